"""The managers' bot in the service's app, without importing aiogram (2 s) unless the bot
is configured: the webhook route and the bot's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from intake.http.errors import error_response
from intake.http.keys import SERVICES
from intake.http.responses import json_response

if TYPE_CHECKING:
    from workplace.bot.setup import ManagerBot

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name
WEBHOOK_PATH = "/hooks/manager-bot"
MANAGER_BOT: web.AppKey[ManagerBot] = web.AppKey("manager_bot")


async def webhook(request: web.Request) -> web.StreamResponse:
    """POST /hooks/manager-bot: Telegram's update, checked by its secret-token header."""
    bot = request.app.get(MANAGER_BOT)
    if bot is None or bot.settings.mode != "webhook":
        return error_response(
            404, "not_configured", "the managers' bot takes no webhook here", field="path"
        )
    expected = bot.settings.webhook_secret or ""
    given = request.headers.get(SECRET_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return error_response(401, "unauthorized", "wrong secret token", field=SECRET_HEADER)
    try:
        update = json.loads(await request.read())
    except ValueError:
        update = None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return error_response(400, "malformed_body", "not a Telegram update", field="body")
    # Handled before the answer: a crash in between makes Telegram deliver it again.
    await bot.feed(update)
    return json_response({})


def setup_manager_bot(app: web.Application) -> None:
    """Run the bot with the app when a token is configured (its webhook route is listed with
    the others in intake/http/app.py, answering 404 unless the bot is in webhook mode)."""
    if app[SERVICES].settings.manager_bot.enabled:
        app.cleanup_ctx.append(_bot_ctx)


async def _bot_ctx(app: web.Application) -> AsyncIterator[None]:
    from workplace.bot.commands import CommandsAtWork
    from workplace.bot.setup import ManagerBot

    bot = ManagerBot(app[SERVICES])
    app[MANAGER_BOT] = bot
    commands = CommandsAtWork(app[SERVICES], bot.bot)  # the menu and the morning digest
    commands.start()
    stop = asyncio.Event()
    task = None
    if bot.settings.mode == "polling":
        task = asyncio.create_task(bot.poll(stop), name="manager-bot-polling")
    try:
        yield
    finally:
        await commands.stop()
        stop.set()
        if task is not None:
            task.cancel()  # a getUpdates call may be held open for poll_timeout_seconds
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await bot.close()
