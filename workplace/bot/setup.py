"""Wiring of the managers' bot: its aiogram Bot and Dispatcher, the webhook route and the
long-polling task; the notifier's card keyboard. Nothing connects until the app starts."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError
from aiogram.types import InlineKeyboardMarkup
from aiohttp import web

from config.manager_bot_settings import ManagerBotSettings
from crm_core.notifications import NotificationKind, OutboxMessage
from intake.bootstrap import Services
from intake.http.errors import error_response
from intake.http.keys import SERVICES
from intake.http.responses import json_response
from workplace.bot import lead_card, linking
from workplace.bot.callbacks import CallbackSigner
from workplace.bot.keyboards import card_keyboard

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name
WEBHOOK_PATH = "/hooks/manager-bot"
ALLOWED_UPDATES = ["message", "callback_query"]
# Kinds whose Telegram notification becomes a card with buttons: a lead to take.
CARD_KINDS = frozenset({NotificationKind.LEAD_ASSIGNED, NotificationKind.LEAD_HANDED_OVER})
BACKOFF_MIN_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
MANAGER_BOT: web.AppKey[ManagerBot] = web.AppKey("manager_bot")


def build_bot(settings: ManagerBotSettings) -> Bot:
    """An aiogram Bot for the configured token and API server (opens nothing yet)."""
    assert settings.token is not None
    api = TelegramAPIServer.from_base(settings.api_base)
    return Bot(settings.token, session=AiohttpSession(api=api))


def build_dispatcher(services: Services, signer: CallbackSigner) -> Dispatcher:
    """One Router per feature; handlers get `services` and `signer` by name."""
    dispatcher = Dispatcher(services=services, signer=signer)
    dispatcher.include_routers(lead_card.build_router(), linking.build_router())
    return dispatcher


def card_for(
    settings: ManagerBotSettings,
) -> Callable[[OutboxMessage], InlineKeyboardMarkup | None]:
    """The Telegram notifier's keyboard: a card for a lead to take, nothing otherwise."""
    signer = CallbackSigner(settings.callback_secret)

    def card(message: OutboxMessage) -> InlineKeyboardMarkup | None:
        lead_id = message.payload.get("lead_id")
        if message.kind not in CARD_KINDS or not isinstance(lead_id, int):
            return None
        link = message.payload.get("link")
        return card_keyboard(signer, lead_id, link if isinstance(link, str) else None)

    return card


class ManagerBot:
    """The managers' bot at work: feeds updates from the webhook or from getUpdates."""

    def __init__(self, services: Services) -> None:
        settings = services.settings.manager_bot
        self.settings = settings
        self.bot = build_bot(settings)
        self.dispatcher = build_dispatcher(services, CallbackSigner(settings.callback_secret))

    async def feed(self, update: dict[str, Any]) -> None:
        """Handle one update (a failing handler is logged, never raised to the caller)."""
        try:
            await self.dispatcher.feed_raw_update(self.bot, update)
        except Exception as err:
            log.error(
                "manager_bot_update_failed update_id=%s error=%s",
                update.get("update_id"),
                type(err).__name__,
            )

    async def poll(self, stop: asyncio.Event) -> None:
        """Long-poll getUpdates until `stop`; an update is confirmed after it was handled."""
        offset: int | None = None
        backoff = BACKOFF_MIN_SECONDS
        timeout = self.settings.poll_timeout_seconds
        while not stop.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=timeout + 10,
                )
            except (AiogramError, TimeoutError) as err:
                log.warning("manager_bot_poll_failed error=%s", type(err).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
                continue
            backoff = BACKOFF_MIN_SECONDS
            for update in updates:
                await self.dispatcher.feed_update(self.bot, update)
                offset = update.update_id + 1

    async def close(self) -> None:
        """Close the bot's HTTP session."""
        await self.bot.session.close()


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
    bot = ManagerBot(app[SERVICES])
    app[MANAGER_BOT] = bot
    stop = asyncio.Event()
    task = None
    if bot.settings.mode == "polling":
        task = asyncio.create_task(bot.poll(stop), name="manager-bot-polling")
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            task.cancel()  # a getUpdates call may be held open for poll_timeout_seconds
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await bot.close()
