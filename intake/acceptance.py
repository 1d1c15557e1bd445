"""The loop that runs the acceptance rule (crm_core.inbound.acceptance) every few seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from crm_core.inbound import hand_over_overdue
from crm_core.storage import Storage, StorageUnavailable
from intake.background import BackgroundLoop
from intake.sales_context import SalesContext

log = logging.getLogger(__name__)
BATCH = 100


class AcceptanceWatch:
    """Periodically passes overdue leads to the next manager (and notifies them)."""

    def __init__(
        self,
        storage: Storage,
        sales: SalesContext,
        clock: Callable[[], datetime],
        on_handed_over: Callable[[int], None] | None = None,
        interval: float = 5.0,
    ) -> None:
        self._storage = storage
        self._sales = sales
        self._clock = clock
        self._on_handed_over = on_handed_over
        self._interval = interval
        self._loop = BackgroundLoop("acceptance-watch", self._run)

    async def run_once(self) -> int:
        """Hand over every lead whose acceptance deadline has passed; returns how many."""
        now = self._clock()
        async with self._storage.transaction() as uow:
            sweep = await hand_over_overdue(
                uow, now, BATCH, self._sales.route, self._sales.hand_over
            )
        for record in sweep.records:
            log.info(
                "lead_handed_over lead_id=%d kind=%s manager_id=%s",
                record.lead_id,
                record.kind,
                record.manager_id,
            )
        if sweep.due and self._on_handed_over is not None:
            self._on_handed_over(sweep.due)
        return sweep.due

    def start(self) -> None:
        """Start watching."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop watching."""
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            try:
                while await self.run_once() >= BATCH:
                    pass
            except StorageUnavailable as err:
                log.warning("acceptance_watch_storage_unavailable error=%s", type(err).__name__)
            except Exception:
                log.exception("acceptance_watch_failed")
            await asyncio.sleep(self._interval)
