"""The daily retention job: junk and unconverted leads past `[privacy] retention_days` lose
their personal data (crm_core.persons.apply_retention)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from crm_core.persons import ErasureResult, apply_retention
from crm_core.storage import Storage, StorageUnavailable
from intake.background import BackgroundLoop

log = logging.getLogger(__name__)
DAY_SECONDS = 24 * 3600.0


class RetentionJob:
    """Anonymises stale leads once a day (and once at start)."""

    def __init__(
        self,
        storage: Storage,
        retention_days: int,
        clock: Callable[[], datetime],
        interval: float = DAY_SECONDS,
    ) -> None:
        self._storage = storage
        self._days = retention_days
        self._clock = clock
        self._interval = interval
        self._loop = BackgroundLoop("retention", self._run)

    async def run_once(self) -> ErasureResult:
        """One pass; the rows anonymised (counts only: never personal data in logs)."""
        async with self._storage.transaction() as uow:
            done = await apply_retention(uow, self._days, self._clock())
        if done.id is not None:
            log.info("retention_anonymised erasure_id=%d leads=%d", done.id, done.counts["leads"])
        return done

    def start(self) -> None:
        """Start the daily loop."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop the daily loop."""
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except StorageUnavailable as err:
                log.warning("retention_storage_unavailable error=%s", type(err).__name__)
            except Exception:
                log.exception("retention_failed")
            await asyncio.sleep(self._interval)


@asynccontextmanager
async def running_retention(
    storage: Storage, retention_days: int, clock: Callable[[], datetime]
) -> AsyncIterator[RetentionJob]:
    """The retention job, running for the duration of the block."""
    job = RetentionJob(storage, retention_days, clock)
    job.start()
    try:
        yield job
    finally:
        await job.stop()
