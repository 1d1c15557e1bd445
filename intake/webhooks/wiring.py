"""The webhook sender, the overdue-task watch and the connectors' watch, running while the
service runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from crm_core.storage import Storage
from intake.background import BackgroundLoop
from intake.bootstrap import Services
from intake.clock import utcnow
from intake.connectors.dispatch import ConnectorDispatcher
from intake.connectors.watch import ConnectorWatch
from intake.webhooks.overdue import report_overdue_tasks
from intake.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)


@asynccontextmanager
async def running_webhooks(services: Services) -> AsyncIterator[WebhookSender]:
    """Deliver webhooks and watch for overdue tasks until the block ends."""
    settings = services.settings.webhooks
    sender = WebhookSender(
        services.storage,
        settings,
        utcnow,
        services.metrics,
        services.webhook_wakeup,
        ConnectorDispatcher(services.storage, services.settings),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop), name="webhook-sender")
    watch = BackgroundLoop(
        "webhook-overdue", lambda: _watch_overdue(services.storage, settings.overdue_poll_seconds)
    )
    watch.start()
    connectors = connector_watch(services)
    connectors.start()
    try:
        yield sender
    finally:
        await connectors.stop()
        await watch.stop()
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def connector_watch(services: Services) -> ConnectorWatch:
    """The heads' alerts about failing connectors, through the notification outbox."""

    def wake() -> None:
        services.notify_wakeup.set()
        services.live_wakeup.set()

    return ConnectorWatch(services.storage, lambda: services.sales.team, utcnow, on_alert=wake)


async def _watch_overdue(storage: Storage, every: float) -> None:
    while True:
        try:
            await report_overdue_tasks(storage, utcnow())
        except Exception:
            log.exception("webhook_overdue_failed")
        await asyncio.sleep(every)
