"""Downloading a client's file from a platform, bounded in size."""

from __future__ import annotations

import aiohttp

from channels.sending import FileNotAvailable

CHUNK_BYTES = 64 * 1024


async def read_limited(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, refused (FileNotAvailable) past `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise FileNotAvailable(f"the file is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
