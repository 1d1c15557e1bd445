"""Group commit: concurrent requests share one durable transaction, then each gets its 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from crm_core.model import InboxReceipt, NewInboxItem
from crm_core.storage import Storage, StorageRejected, StorageUnavailable

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    item: NewInboxItem
    future: asyncio.Future[InboxReceipt]


class InboxWriter:
    """Queues inbound items and commits whatever has queued while the previous commit ran.

    No timer: under light load a batch is one item and is committed at once; under heavy
    load the batch grows by itself, so one fsync covers many requests.
    """

    def __init__(
        self, storage: Storage, max_batch: int, on_commit: Callable[[int], None] | None = None
    ) -> None:
        self._storage = storage
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def store(self, item: NewInboxItem) -> InboxReceipt:
        """Return only once the item is durably committed (or raise StorageUnavailable)."""
        if self._task is None or self._task.done():
            raise StorageUnavailable("inbox writer is not running")
        future: asyncio.Future[InboxReceipt] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(item, future))
        return await asyncio.shield(future)

    def start(self) -> None:
        """Start the committing task."""
        self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        """Commit everything queued before the call, then stop."""
        if self._task is None:
            return
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            batch = [] if first is None else [first]
            stopping = first is None
            while len(batch) < self._max_batch and not self._queue.empty():
                queued = self._queue.get_nowait()
                if queued is None:
                    stopping = True
                else:
                    batch.append(queued)
            if batch:
                await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            async with self._storage.transaction() as uow:
                receipts = await uow.inbox.add_batch([p.item for p in batch])
        except StorageUnavailable as err:
            log.error("inbox_commit_failed batch=%d error=%s", len(batch), type(err).__name__)
            _fail(batch, err)
            return
        except Exception as err:
            await self._isolate(batch, err)
            return
        for pending, receipt in zip(batch, receipts, strict=True):
            if not pending.future.done():
                pending.future.set_result(receipt)
        if self._on_commit is not None:
            self._on_commit(len(batch))

    async def _isolate(self, batch: list[_Pending], err: Exception) -> None:
        """Commit the halves apart, so one row the database refuses fails only itself."""
        if len(batch) > 1:
            log.warning("inbox_commit_split batch=%d error=%s", len(batch), type(err).__name__)
            middle = len(batch) // 2
            await self._commit(batch[:middle])
            await self._commit(batch[middle:])
            return
        log.error(
            "inbox_item_refused channel=%s error=%s", batch[0].item.channel, type(err).__name__
        )
        # Refused data will be refused on every retry: the sender must hear 4xx, not 503.
        _fail(batch, err if isinstance(err, StorageRejected) else StorageUnavailable(str(err)))


def _fail(batch: list[_Pending], error: Exception) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)
