"""No token reaches a log line: the running service, aiohttp's own error logs included."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from pathlib import Path

import aiohttp

from intake.log_secrets import SecretMaskingFilter, mask_secrets
from intake.logs import JsonFormatter
from tests.crash.test_sigkill import ServerProcess

TOKEN = "li_" + secrets.token_urlsafe(32)


def test_token_looking_values_are_masked() -> None:
    line = (
        f"GET /api/v1/events?access_token={TOKEN}&token=abc123&smart-token=dD0x HTTP/1.1"
        f" Authorization: Bearer {TOKEN} and bearer qwerty, stray {TOKEN[:20]}"
    )
    masked = mask_secrets(line)
    assert TOKEN[3:20] not in masked and "abc123" not in masked and "qwerty" not in masked
    assert "dD0x" not in masked
    assert "access_token=***" in masked and "Bearer ***" in masked


def test_the_filter_masks_arguments_and_tracebacks() -> None:
    try:
        raise ValueError(f"bad line b'GET /?access_token={TOKEN}'")
    except ValueError as err:
        record = logging.LogRecord(
            "aiohttp.server",
            logging.ERROR,
            __file__,
            1,
            "seen %s",
            (TOKEN,),
            (ValueError, err, None),
        )
    assert SecretMaskingFilter().filter(record)
    line = JsonFormatter().format(record)
    assert TOKEN[3:] not in line
    assert json.loads(line)["message"] == "seen li_***"
    assert "access_token=***" in json.loads(line)["traceback"]


async def test_an_oversize_request_line_logs_no_token(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.start()
    try:
        async with aiohttp.ClientSession() as session:
            await server.wait_ready(session)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        target = f"/api/v1/events?access_token={TOKEN}&pad={'a' * 9000}"
        writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        assert status.split()[1] == b"400"
        log = await _wait_for_log(server.log, "aiohttp.server")
    finally:
        server.kill()
    assert "access_token=***" in log
    assert TOKEN[3:] not in log and TOKEN[3:23] not in log


async def _wait_for_log(path: Path, needle: str, timeout: float = 10) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while needle not in (text := await asyncio.to_thread(path.read_text, "utf-8", "replace")):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no {needle!r} in the server log: {text[-2000:]}")
        await asyncio.sleep(0.05)
    return text
