"""POST /hooks/telegram/{bot_name}: verify, persist durably in the inbox, then answer 200.

Unlike aiogram's webhook handler, which answers Telegram before processing, an update is
acknowledged only once it is committed: a crash in between makes Telegram re-deliver it, and
the inbox's unique (channel, external_id) turns the re-delivery into a no-op.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.telegram.adapter import (
    AcceptedUpdate,
    IgnoredUpdate,
    check_secret,
    decode_update,
    parse_update,
)
from channels.telegram.const import CHANNEL, SECRET_HEADER
from channels.telegram.replies import auto_reply
from config.channel_settings import TelegramBotSettings
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.inbound import BodyTooLarge, read_body, store_event
from intake.http.keys import SERVICES
from intake.http.responses import json_response
from intake.reply_gate import reply_window

log = logging.getLogger(__name__)
# Kept with the raw update for support; never the secret-token header.
SAFE_HEADERS = (
    "User-Agent",
    "Content-Type",
    "Content-Length",
    "X-Request-Id",
    "X-Forwarded-For",
    "X-Real-Ip",
)


async def post_update(request: web.Request) -> web.StreamResponse:
    """Receive one telegram update: verify, persist in the inbox, then acknowledge."""
    services = request.app[SERVICES]
    counter = services.metrics.intake_requests
    name = request.match_info["bot_name"]
    bot = _bot(services.settings.telegram_bots, name)
    if bot is None:
        return error_response(
            404, "unknown_bot", f"no telegram bot named {name!r}", field="bot_name"
        )
    try:
        check_secret(bot.webhook_secret, request.headers.get(SECRET_HEADER))
    except ChannelAuthFailed as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(401, "unauthorized", str(err), field=SECRET_HEADER)
    try:
        body = await read_body(request)
    except BodyTooLarge as err:
        return err.response()
    try:
        update = decode_update(body)
        outcome = parse_update(bot.name, update, received_at=utcnow())
    except MalformedBody as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(400, "malformed_body", str(err), field="body")
    except InvalidSubmission as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(400, "invalid_field", err.message, field=err.field)
    if isinstance(outcome, IgnoredUpdate):
        counter.labels(CHANNEL, "ignored").inc()
        log.debug(
            "telegram_update_ignored bot=%s update_id=%s kind=%s reason=%s",
            bot.name,
            outcome.update_id,
            outcome.kind,
            outcome.reason,
        )
        return json_response({})
    return await _store(request, outcome, update)


async def _store(
    request: web.Request, outcome: AcceptedUpdate, update: dict[str, Any]
) -> web.Response:
    event = outcome.event
    receipt = await store_event(request, event, {"update": update}, SAFE_HEADERS)
    bot = _bot(request.app[SERVICES].settings.telegram_bots, event.source)
    # Telegram runs a Bot API call named in the webhook answer: the auto-reply rides on it,
    # once per update (a re-delivery gets {} so the customer is not answered twice).
    if receipt.created and bot is not None and bot.auto_reply:
        reply = auto_reply(event, bot.auto_reply, ask_phone=bot.ask_phone)
        gate = request.app[SERVICES].replies
        if reply is not None and gate.allow(f"{bot.name}:{reply['chat_id']}", reply_window(bot)):
            return json_response(reply)
    return json_response({})


def _bot(bots: tuple[TelegramBotSettings, ...], name: str) -> TelegramBotSettings | None:
    return next((b for b in bots if b.name == name), None)
