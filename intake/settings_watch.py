"""Every process re-reads the team and queues when the sales-settings version moves.

A cheap poll of one row (every `POLL_SECONDS`) works the same on SQLite and across instances
sharing a PostgreSQL, so a head's change reaches the API, the worker and the pollers of every
instance within a second or two without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from intake.background import BackgroundLoop
from intake.bootstrap import Services, load_team

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


def settings_watch(
    services: Services,
    poll_seconds: float = POLL_SECONDS,
    reload: Callable[[Services], Awaitable[None]] = load_team,
) -> BackgroundLoop:
    """A loop that reloads the team whenever the stored settings version changes."""

    async def body() -> None:
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                async with services.storage.reader() as uow:
                    version = await uow.settings.version()
                if version != services.settings_version:
                    await reload(services)
                    log.info("sales_settings_reloaded version=%d", services.settings_version)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not end the watch; the next poll tries again.
                log.exception("sales_settings_watch_failed")

    return BackgroundLoop("sales-settings-watch", body)
