"""The shared download of a client's file (channels/downloads.py) against a local HTTP peer:
its content and type, and every refusal as FileNotAvailable named by the channel's label."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from channels.downloads import download
from channels.sending import FileNotAvailable


@pytest.fixture
async def peer() -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    release = asyncio.Event()

    async def ok(_: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4", content_type="application/pdf")

    async def big(_: web.Request) -> web.Response:
        return web.Response(body=b"x" * 2048)

    async def gone(_: web.Request) -> web.Response:
        return web.Response(status=404)

    async def down(_: web.Request) -> web.Response:
        return web.Response(status=503)

    async def slow(_: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    for handler in (ok, big, gone, down, slow):
        app.router.add_get(f"/{handler.__name__}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    try:
        yield session, str(server.make_url(""))
    finally:
        release.set()
        await session.close()
        await server.close()


async def test_a_file_comes_with_its_content_and_type(
    peer: tuple[aiohttp.ClientSession, str],
) -> None:
    session, base = peer
    fetched = await download(session, f"{base}/ok", "vk", 1024, timeout_seconds=5)
    assert fetched.content == b"%PDF-1.4"
    assert fetched.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("path", "reason", "temporary"),
    [
        ("/big", "the file is larger than 1024 bytes", False),
        ("/gone", "telegram: the file download answered HTTP 404", False),
        ("/down", "telegram: the file download answered HTTP 503", True),
        ("/slow", "telegram: the file download timed out", True),
    ],
)
async def test_a_refused_download_is_file_not_available(
    peer: tuple[aiohttp.ClientSession, str], path: str, reason: str, temporary: bool
) -> None:
    session, base = peer
    with pytest.raises(FileNotAvailable) as caught:
        await download(session, f"{base}{path}", "telegram", 1024, timeout_seconds=0.2)
    assert caught.value.reason == reason
    assert caught.value.temporary is temporary


async def test_an_unreachable_peer_is_a_temporary_network_error() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(FileNotAvailable) as caught:
            # Port 1 on loopback: nothing listens, the connection is refused at once.
            await download(session, "http://127.0.0.1:1/f", "vk", 1024, timeout_seconds=5)
    assert caught.value.reason == "vk: network error (ClientConnectorError)"
    assert caught.value.temporary is True
