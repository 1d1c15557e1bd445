"""Slow clients over real sockets: headers and bodies must arrive within their timeouts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from config import load_settings
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service

TIMEOUT = 0.5
SLACK = 1.5  # scheduling on a busy 2-core machine
FORM = b'{"name": "Ivan", "phone": "+79161234567"}'


@pytest.fixture
async def quick(tmp_path: Path) -> AsyncIterator[Running]:
    """The service with half-second header and body timeouts."""
    config = TEST_CONFIG.format(db=tmp_path / "db.sqlite3").replace(
        "port = 8080\n",
        f"port = 8080\nheader_timeout_seconds = {TIMEOUT}\nbody_timeout_seconds = {TIMEOUT}\n",
    )
    path = tmp_path / "quick.toml"
    path.write_text(config, "utf-8")
    settings = load_settings(path, environ={})
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(settings, storage) as running,
    ):
        yield running


async def connect(running: Running) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    port = running.client.server.port
    assert port is not None
    return await asyncio.open_connection("127.0.0.1", port)


def head(length: int) -> bytes:
    return (
        "POST /api/v1/forms/site HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def trickle(writer: asyncio.StreamWriter, chunks: list[bytes], every: float) -> None:
    """Send chunks with a pause between them until done or the peer hangs up."""
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(every)
    except ConnectionError:
        return


async def hung_up(reader: asyncio.StreamReader) -> bool:
    """True once the server closes: end of stream, or a reset (it closed with our bytes unread)."""
    try:
        return await reader.read() == b""
    except ConnectionResetError:
        return True


async def test_a_client_trickling_headers_is_disconnected(quick: Running) -> None:
    reader, writer = await connect(quick)
    lines = [b"POST /api/v1/forms/site HTTP/1.1\r\n"] + [b"X-Slow: 1\r\n"] * 100
    sender = asyncio.create_task(trickle(writer, lines, 0.1))
    started = asyncio.get_running_loop().time()
    closed = await asyncio.wait_for(hung_up(reader), TIMEOUT + SLACK)
    elapsed = asyncio.get_running_loop().time() - started
    sender.cancel()
    writer.close()
    assert closed  # without an answer
    assert TIMEOUT * 0.8 <= elapsed < TIMEOUT + SLACK


async def test_a_body_trickled_byte_by_byte_gets_408(quick: Running) -> None:
    reader, writer = await connect(quick)
    writer.write(head(len(FORM)))
    sender = asyncio.create_task(trickle(writer, [bytes([b]) for b in FORM], 1.0))
    answer = await asyncio.wait_for(reader.read(), TIMEOUT + SLACK)
    sender.cancel()
    writer.close()
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 408 Request Timeout"
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["error"] == "request_timeout" and body["field"] == "body"
    async with quick.client.get("/metrics") as r:
        assert 'leadintake_errors_total{kind="body_timeout"} 1.0' in await r.text()


async def test_a_normal_client_is_unaffected(quick: Running) -> None:
    # Headers and body in a few packets, well within the timeouts, on one kept-alive
    # connection: two requests with a pause shorter than the timeout between them.
    reader, writer = await connect(quick)
    for _ in range(2):
        request = head(len(FORM)) + FORM
        await trickle(writer, [request[:40], request[40:]], 0.05)
        status = await asyncio.wait_for(reader.readline(), 5)
        assert status.startswith(b"HTTP/1.1 202"), status
        headers = await reader.readuntil(b"\r\n\r\n")
        length = int(headers.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        await asyncio.sleep(TIMEOUT / 3)
    writer.close()
    headers = {"Content-Type": "application/json"}
    async with quick.client.post("/api/v1/forms/site", data=FORM, headers=headers) as r:
        assert r.status == 202


async def test_two_hundred_slowloris_connections_are_closed(quick: Running) -> None:
    connections = [await connect(quick) for _ in range(200)]
    lines = [b"GET /healthz HTTP/1.1\r\n"] + [b"X-Slow: 1\r\n"] * 100
    senders = [asyncio.create_task(trickle(w, lines, 0.2)) for _, w in connections]
    started = asyncio.get_running_loop().time()
    closed = await asyncio.wait_for(
        asyncio.gather(*(hung_up(r) for r, _ in connections)), TIMEOUT + SLACK + 2
    )
    elapsed = asyncio.get_running_loop().time() - started
    for task in senders:
        task.cancel()
    for _, writer in connections:
        writer.close()
    assert closed == [True] * 200
    assert elapsed < TIMEOUT + SLACK + 2
    async with quick.client.get("/healthz") as r:  # and the service still answers
        assert r.status == 200
