"""Slow clients are dropped: a header read timeout and a body read timeout.

Headers: aiohttp's keep-alive timer is armed when a connection opens and again after each
response, and closes the connection only while no request's headers have been parsed
(the protocol is idle, waiting for a message); a handler running or reading a body is never
cut. Set to `[http] header_timeout_seconds`, it is exactly a header read timeout, and it
also ends idle keep-alive connections after that long. tests/e2e/test_slow_clients.py
holds aiohttp to it (3.14 arms the timer on connect; an upgrade that stops would fail it).

Body: a middleware reads the body (bounded by `max_body_bytes`) within
`[http] body_timeout_seconds`; routes then read it from aiohttp's cache. Too slow is 408
and the connection is closed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from config import Settings
from intake.http.errors import Handler, error_response
from intake.http.inbound import BodyTooLarge
from intake.http.keys import SERVICES
from intake.http.uploads import MULTIPART


def server_args(settings: Settings) -> dict[str, Any]:
    """Arguments of aiohttp's connection handler (`web.Application(handler_args=...)`)."""
    return {"keepalive_timeout": settings.http.header_timeout_seconds}


@web.middleware
async def body_timeout_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the whole body within the body timeout, or answer 408 and close."""
    # A small body usually arrives with the headers: nothing to wait for, so no timer to arm
    # (a timer per request costs more than the rest of this middleware).
    if not request.body_exists or request.content.is_eof():
        return await handler(request)
    http = request.app[SERVICES].settings.http
    if (request.content_length or 0) <= http.max_body_bytes:
        try:
            async with asyncio.timeout(http.body_timeout_seconds):
                await _read_whole(request)
        except TimeoutError:
            request.app[SERVICES].metrics.errors.labels("body_timeout").inc()
            response = error_response(
                408,
                "request_timeout",
                f"the body did not arrive within {http.body_timeout_seconds:g} s",
                field="body",
            )
            response.force_close()
            # Sent here, then the connection closed: aiohttp would otherwise keep reading
            # ("lingering") the rest of the slow body for another 10 s.
            await response.prepare(request)
            await response.write_eof()
            request.protocol.force_close()
            return response
        except web.HTTPRequestEntityTooLarge:
            return BodyTooLarge(http.max_body_bytes).response()
    return await handler(request)


async def _read_whole(request: web.Request) -> None:
    """The body into aiohttp's cache: a multipart form parsed (aiohttp parses it from the
    stream, never from read()'s bytes, so reading it raw first would leave the form empty)."""
    if request.content_type != MULTIPART:
        await request.read()
        return
    with contextlib.suppress(ValueError, HttpProcessingError):  # malformed: the handler says so
        await request.post()
