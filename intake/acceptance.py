"""Hand a lead over when its manager has not taken it within the queue's acceptance timeout,
and route a lead that waited for someone to come on duty once someone has."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

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
            overdue = await uow.sales.overdue_acceptance(now, BATCH)
            for lead_id in overdue:
                lead = await uow.leads.lock(lead_id)
                if lead is None or lead.accept_by is None or lead.accept_by > now:
                    continue
                if lead.assignee_id is None:  # it was waiting for someone to come on duty
                    record = await self._sales.route(uow, lead, now)
                else:
                    record = await self._sales.hand_over(uow, lead, now)
                log.info(
                    "lead_handed_over lead_id=%d kind=%s manager_id=%s",
                    lead_id,
                    record.kind,
                    record.manager_id,
                )
        if overdue and self._on_handed_over is not None:
            self._on_handed_over(len(overdue))
        return len(overdue)

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
