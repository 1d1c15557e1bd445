"""The in-app stream's feed: new SSE rows of the outbox, published to this instance's clients.

Routing writes a manager's in-app notification in the same transaction as the assignment; the
feed reads rows committed since the last one it saw (a read, which on SQLite never waits for
the write lock) and fans them out through the EventHub. Every instance runs its own feed for
its own connected clients.
"""

from __future__ import annotations

import asyncio
import logging

from crm_core.storage import Storage
from intake.notify.dispatcher import wait_any
from intake.notify.sse import EventHub, SseNotifier

log = logging.getLogger(__name__)
BATCH = 500


class LiveFeed:
    """Tails the outbox's in-app rows and publishes them."""

    def __init__(self, storage: Storage, hub: EventHub, wake: asyncio.Event) -> None:
        self._storage = storage
        self._publisher = SseNotifier(hub)
        self._wake = wake
        self._last_id: int | None = None

    async def run_once(self) -> int:
        """Publish the rows committed since the last call; returns how many."""
        async with self._storage.reader() as uow:
            if self._last_id is None:
                # Events from before this start are history: clients re-read the API.
                self._last_id = await uow.outbox.last_id()
                return 0
            rows = await uow.outbox.live_since(self._last_id, BATCH)
        for message in rows:
            await self._publisher.send(message)
            self._last_id = message.id
        return len(rows)

    async def run(self, stop: asyncio.Event, idle_poll: float = 0.5) -> None:
        """Publish until `stop` is set, woken after each worker commit or every `idle_poll` s."""
        while not stop.is_set():
            self._wake.clear()
            try:
                while await self.run_once() >= BATCH:
                    pass
            except Exception as err:
                log.error("live_feed_failed error=%s", type(err).__name__)
            await wait_any(stop, self._wake, idle_poll)
