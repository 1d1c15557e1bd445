"""Wiring of the managers' bot: its aiogram Bot and Dispatcher, the webhook route and the
long-polling task; the notifier's card keyboard. Nothing connects until the app starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError
from aiogram.types import InlineKeyboardMarkup

from config.manager_bot_settings import ManagerBotSettings
from crm_core.notifications import NotificationKind, OutboxMessage
from intake.bootstrap import Services
from workplace.bot import client_replies, commands, lead_card, linking
from workplace.bot.callbacks import CallbackSigner
from workplace.bot.keyboards import card_keyboard

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
# Kinds whose Telegram notification becomes a card with buttons: a lead to take.
CARD_KINDS = frozenset({NotificationKind.LEAD_ASSIGNED, NotificationKind.LEAD_HANDED_OVER})
BACKOFF_MIN_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0


def build_bot(settings: ManagerBotSettings) -> Bot:
    """An aiogram Bot for the configured token and API server (opens nothing yet)."""
    assert settings.token is not None
    api = TelegramAPIServer.from_base(settings.api_base)
    return Bot(settings.token, session=AiohttpSession(api=api))


def build_dispatcher(services: Services, signer: CallbackSigner) -> Dispatcher:
    """One Router per feature; handlers get `services` and `signer` by name."""
    dispatcher = Dispatcher(services=services, signer=signer)
    dispatcher.include_routers(*commands.build_routers())  # before the catch-all routers
    dispatcher.include_routers(
        lead_card.build_router(), client_replies.build_router(), linking.build_router()
    )
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
