"""Downloading a client's file from a platform, bounded in size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

from channels.sending import FetchedFile, FileNotAvailable

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


@contextmanager
def network_errors(label: str) -> Iterator[None]:
    """Translate a timeout or aiohttp error in the block into a temporary FileNotAvailable."""
    try:
        yield
    except TimeoutError as err:
        raise FileNotAvailable(f"{label}: the file download timed out", temporary=True) from err
    except aiohttp.ClientError as err:
        # Only the class name: some aiohttp errors quote the URL, which may hold a token.
        raise FileNotAvailable(
            f"{label}: network error ({type(err).__name__})", temporary=True
        ) from err


async def download(
    session: aiohttp.ClientSession, url: str, label: str, max_bytes: int, *, timeout_seconds: float
) -> FetchedFile:
    """GET `url` as a client's file: anything but 200, more than `max_bytes`, a timeout or a
    network error is FileNotAvailable, its reason starting with the channel's `label`."""
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    with network_errors(label):
        async with session.get(url, timeout=timeout) as response:
            if response.status != 200:
                raise FileNotAvailable(
                    f"{label}: the file download answered HTTP {response.status}",
                    temporary=response.status >= 500,
                )
            content = await read_limited(response, max_bytes)
            return FetchedFile(content, response.headers.get("Content-Type"))
