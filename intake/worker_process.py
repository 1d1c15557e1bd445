"""`leadintake worker`: the inbox worker in a process of its own.

With `leadintake serve --no-worker` the HTTP process only verifies, stores and acknowledges;
normalization, duplicate detection, routing and notifications are queued by this process.
On two or more cores that keeps the requests' latency free of the worker's CPU bursts.
Several workers may run against one PostgreSQL (claims skip locked rows).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import replace

from config import Settings
from intake.bootstrap import build_services, load_team, refreshing_team

log = logging.getLogger(__name__)
# Without the in-process wake-up after each commit the worker looks this often.
POLL_SECONDS = 0.05


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Drain the inbox until `stop` is set (the database must be migrated already)."""
    intake = replace(settings.intake, worker_poll_seconds=POLL_SECONDS)
    services = build_services(replace(settings, intake=intake))
    await services.storage.open()
    try:
        await load_team(services)
        async with refreshing_team(services):
            services.worker.start()
            log.info("worker_started database=%s", settings.database.url.split(":", 1)[0])
            await stop.wait()
            await services.worker.stop()
            log.info("worker_stopped")
    finally:
        await services.storage.close()


def main(settings: Settings) -> None:
    """Run the worker until SIGINT or SIGTERM."""

    async def until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    asyncio.run(until_signalled())
