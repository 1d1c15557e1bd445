"""The notification outbox: what the domain enqueues and the dispatcher and live stream read."""

from __future__ import annotations

from typing import Protocol

from crm_core.notifications import OutboxMessage, OutboxPort


class OutboxRepository(OutboxPort, Protocol):
    """The outbox port plus the reads of readiness checks and the in-app event stream."""

    async def stats(self) -> dict[str, int]:
        """Number of messages per status ('pending', 'sent', 'failed'), zeros included."""

    async def get(self, message_id: int) -> OutboxMessage | None:
        """One message by id, whatever its status."""

    async def live_since(self, after_id: int, limit: int) -> list[OutboxMessage]:
        """In-app (SSE) messages of every manager with ids above `after_id`, oldest first."""

    async def last_id(self) -> int:
        """The newest message id (0 when there is none)."""

    async def for_manager(self, manager_id: int, after_id: int, limit: int) -> list[OutboxMessage]:
        """A manager's in-app (SSE) messages with ids above `after_id`, oldest first."""
