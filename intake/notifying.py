"""Wiring of manager notifications: the notifiers the settings enable, the outbox dispatcher,
the in-app live feed, and the acceptance watch that hands over leads nobody took."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Protocol

from config import Settings
from crm_core.notifications import NotificationChannel, OutboxPort
from crm_core.storage import Storage
from intake.acceptance import AcceptanceWatch
from intake.clock import utcnow
from intake.notify.dispatcher import Dispatcher, Notifier
from intake.notify.email import EmailNotifier
from intake.notify.live import LiveFeed
from intake.notify.sse import EventHub, SseNotifier
from intake.sales_context import SalesContext


class Closable(Protocol):
    """A notifier holding an HTTP session."""

    async def close(self) -> None:
        """Release the session."""


# Notifications wait this long after a wake-up so one batch carries many (see Dispatcher.run).
COALESCE_SECONDS = 0.05


def build_notifiers(
    settings: Settings,
    hub: EventHub,
    storage: Storage,
    reasons: Mapping[str, str] | None = None,
) -> tuple[dict[NotificationChannel, Notifier], list[Closable]]:
    """The in-app stream always; Telegram and e-mail when configured (and what to close).
    The managers' bot keeps its cards in `storage` and names junk reasons from `reasons`."""
    config = settings.notifications
    notifiers: dict[NotificationChannel, Notifier] = {NotificationChannel.SSE: SseNotifier(hub)}
    closable: list[Closable] = []
    manager_bot = settings.manager_bot
    if manager_bot.token:
        # With the managers' bot configured, Telegram notifications go through it: a chat
        # linked with /start is with that bot, and a new lead comes as a card with buttons
        # (remembered, so it is edited when the lead changes and the client's messages thread
        # under it).
        from workplace.bot.notifier import manager_bot_notifier

        cards = manager_bot_notifier(settings, storage, utcnow, reasons)
        notifiers[NotificationChannel.TELEGRAM] = cards
        closable.append(cards)
    elif config.telegram_bot_token:
        # aiogram takes 2 s to import: only a service with a bot configured pays for it.
        from intake.notify import telegram as bot

        telegram = bot.TelegramNotifier(config.telegram_bot_token, config.telegram_api_base)
        notifiers[NotificationChannel.TELEGRAM] = telegram
        closable.append(telegram)
    if config.smtp_host:
        notifiers[NotificationChannel.EMAIL] = EmailNotifier(
            config.smtp_host,
            config.smtp_port,
            config.smtp_sender or "leadintake@localhost",
            username=config.smtp_username,
            password=config.smtp_password,
            use_tls=config.smtp_tls == "tls",
            start_tls=config.smtp_tls == "starttls",
        )
    return notifiers, closable


@asynccontextmanager
async def running_notifications(
    settings: Settings,
    storage: Storage,
    sales: SalesContext,
    hub: EventHub,
    wake: asyncio.Event,
    live_wake: asyncio.Event,
) -> AsyncIterator[Dispatcher]:
    """Run the dispatcher, the in-app feed and the acceptance watch until the block ends.

    `wake` starts the dispatcher (Telegram, e-mail), `live_wake` the in-app feed.
    """
    notifiers, closable = build_notifiers(settings, hub, storage, sales.junk_reasons)

    @asynccontextmanager
    async def outbox() -> AsyncIterator[OutboxPort]:
        async with storage.transaction() as uow:
            yield uow.outbox

    dispatcher = Dispatcher(outbox, notifiers, utcnow, batch=settings.notifications.dispatch_batch)
    stop = asyncio.Event()
    task = asyncio.create_task(
        dispatcher.run(stop, wake, idle_poll=0.5, coalesce=COALESCE_SECONDS), name="notify"
    )
    live = LiveFeed(storage, hub, live_wake)
    live_task = asyncio.create_task(live.run(stop), name="live-feed")

    def handed_over(_count: int) -> None:
        wake.set()
        live_wake.set()

    watch = AcceptanceWatch(storage, sales, utcnow, on_handed_over=handed_over)
    watch.start()
    try:
        yield dispatcher
    finally:
        await watch.stop()
        stop.set()
        hub.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task
            await live_task
        for notifier in closable:
            await notifier.close()
