"""The inbox worker: drains pending rows into leads, at least once and idempotently."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from crm_core.inbound import Handled
from crm_core.model import InboxItem
from crm_core.storage import Storage, StorageRejected, StorageUnavailable, UnitOfWork
from intake.background import BackgroundLoop
from intake.clock import utcnow

log = logging.getLogger(__name__)


Outcome = Handled | Exception


class BatchHandler(Protocol):
    """Turns claimed inbox rows into leads in two steps."""

    def prepare(self, items: Sequence[InboxItem]) -> list[Any]:
        """CPU-only work per row (decode, normalize), done before the write transaction."""

    async def apply(
        self, uow: UnitOfWork, items: Sequence[InboxItem], prepared: Sequence[Any], now: datetime
    ) -> list[Outcome]:
        """Write the rows' results in the transaction; one outcome per row, in order."""


ProcessedCallback = Callable[[InboxItem, Handled], None]
# Called in the transaction that parks a row for good: (uow, row, reason, now).
ParkedCallback = Callable[[UnitOfWork, InboxItem, str, datetime], Awaitable[None]]
RETRY_BASE_SECONDS = 2.0


class InboxWorker:
    """Claims pending inbox rows in batches and hands each batch to the handler.

    Rows are claimed inside the transaction that creates their leads, so a crash at any
    point leaves them pending for the next run (here or on another instance).
    """

    def __init__(
        self,
        storage: Storage,
        handler: BatchHandler,
        *,
        batch: int,
        poll_seconds: float,
        max_attempts: int,
        coalesce_seconds: float = 0.0,
        on_processed: ProcessedCallback | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_parked: ParkedCallback | None = None,
    ) -> None:
        self._storage = storage
        self._handler = handler
        self._batch = batch
        self._poll = poll_seconds
        self._max_attempts = max_attempts
        self._coalesce = coalesce_seconds
        self._on_processed = on_processed
        self._clock = clock
        self._on_parked = on_parked
        self._wakeup = asyncio.Event()
        self._loop = BackgroundLoop("inbox-worker", self._run)
        self.last_cycle_monotonic: float | None = None
        self.last_error: str | None = None

    def wake(self) -> None:
        """Look for work now (called after the inbox commits)."""
        self._wakeup.set()

    def start(self) -> None:
        """Start the draining loop."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop after the current transaction is rolled back or committed."""
        await self._loop.stop()

    def alive(self, max_silence: float) -> bool:
        """True when the loop ran recently."""
        running = self._loop.running
        last = self.last_cycle_monotonic
        return running and last is not None and time.monotonic() - last < max_silence

    async def _run(self) -> None:
        while True:
            self.last_cycle_monotonic = time.monotonic()
            self._wakeup.clear()
            try:
                done = await self.drain_once()
            except StorageUnavailable as err:
                self.last_error = str(err)
                log.warning("worker_storage_unavailable error=%s", type(err).__name__)
                done = 0
            if done >= self._batch:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a stop()'s
            # cancellation that lands as the wake-up fires, and the loop would run on.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wakeup.wait()
            if self._coalesce:
                # Under load, let rows accumulate so one transaction takes many of them and
                # the worker does not contend with the inbox writer for the write lock.
                await asyncio.sleep(self._coalesce)

    async def drain_once(self) -> int:
        """Process one batch; returns how many rows were handled."""
        try:
            return await self._process_batch(self._batch)
        except StorageUnavailable:
            raise
        except Exception:
            log.exception("worker_batch_failed; isolating rows one by one")
        handled = 0
        for _ in range(self._batch):
            try:
                count = await self._process_batch(1)
            except StorageUnavailable:
                raise
            except _ItemFailed as failed:
                await self._record_failure(failed.item, failed.error)
                count = 1
            if count == 0:
                break
            handled += count
        return handled

    async def _process_batch(self, limit: int) -> int:
        processed: list[tuple[InboxItem, Handled]] = []
        failed: list[tuple[InboxItem, Exception]] = []
        now = self._clock()
        # Prepare outside the transaction: on SQLite it holds the one write lock the inbox
        # writer needs to acknowledge requests.
        async with self._storage.reader() as reader:
            due = await reader.inbox.peek_pending(limit, now)
        if not due:
            return 0
        claimed: list[InboxItem] = []
        try:
            prepared = dict(zip((i.id for i in due), self._handler.prepare(due), strict=True))
            async with self._storage.transaction() as uow:
                items = await uow.inbox.claim_pending(limit, now)
                claimed = items
                if not items:
                    return 0
                missing = [i for i in items if i.id not in prepared]
                if missing:  # claimed by us but not seen by the peek (another instance's rows)
                    prepared.update(
                        zip((i.id for i in missing), self._handler.prepare(missing), strict=True)
                    )
                outcomes = await self._handler.apply(
                    uow, items, [prepared[i.id] for i in items], now
                )
                for item, outcome in zip(items, outcomes, strict=True):
                    if isinstance(outcome, Exception):
                        failed.append((item, outcome))
                    else:
                        processed.append((item, outcome))
                await uow.inbox.mark_processed(
                    [(item.id, handled.lead_id) for item, handled in processed], now
                )
                for item, error in failed:
                    await self._record_failure_in(uow, item, error, now)
        except StorageUnavailable:
            raise
        except Exception as err:
            # Caught outside the transaction, so the error is the storage's translation
            # (StorageRejected for data the database refuses), not the driver's.
            if limit == 1:
                raise _ItemFailed(claimed[0] if claimed else due[0], err) from err
            raise
        # Only after the commit: a rolled-back batch must not count as processed.
        if self._on_processed is not None:
            for item, handled in processed:
                self._on_processed(item, handled)
        return len(items)

    async def _record_failure(self, item: InboxItem, error: BaseException) -> None:
        now = self._clock()
        async with self._storage.transaction() as uow:
            await self._record_failure_in(uow, item, error, now)

    async def _record_failure_in(
        self, uow: UnitOfWork, item: InboxItem, error: BaseException, now: datetime
    ) -> None:
        log.error(
            "worker_item_failed intake_id=%d attempts=%d error=%s",
            item.id,
            item.attempts + 1,
            type(error).__name__,
        )
        delay = RETRY_BASE_SECONDS * 2 ** min(item.attempts, 10)
        # Data the database refuses is refused on every try: park it now, not after backoff.
        refused = isinstance(error, StorageRejected)
        max_attempts = item.attempts + 1 if refused else self._max_attempts
        await uow.inbox.record_failure(
            item.id,
            f"{type(error).__name__}: {error}",
            now,
            now + timedelta(seconds=delay),
            max_attempts,
        )
        if item.attempts + 1 >= max_attempts and self._on_parked is not None:
            await self._on_parked(uow, item, type(error).__name__, now)


class _ItemFailed(Exception):
    """One row's handler failed; carries the row so its failure can be recorded."""

    def __init__(self, item: InboxItem, error: BaseException) -> None:
        super().__init__(str(error))
        self.item = item
        self.error = error
