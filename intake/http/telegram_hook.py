"""Webhook of the telegram channel (being built)."""

from __future__ import annotations

from aiohttp import web

from intake.http.errors import error_response


async def post_update(request: web.Request) -> web.StreamResponse:
    """Receive one telegram update: verify, persist in the inbox, then acknowledge."""
    return error_response(501, "not_implemented", "the telegram channel is not configured")
