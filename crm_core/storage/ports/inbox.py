"""The durable inbox of raw inbound requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from crm_core.model import InboxItem, InboxReceipt, InboxStats, NewInboxItem, ParkedRequest


class InboxRepository(Protocol):
    """Raw inbound requests, stored before the sender gets its 2xx."""

    async def add_batch(self, items: Sequence[NewInboxItem]) -> list[InboxReceipt]:
        """Store items idempotently on (channel, external_id); one receipt per item, in order."""

    async def claim_pending(self, limit: int, now: datetime) -> list[InboxItem]:
        """Lock up to `limit` due pending rows for this transaction (skipping rows others hold)."""

    async def peek_pending(self, limit: int, now: datetime) -> list[InboxItem]:
        """Due pending rows without locking them (to prepare work before a transaction)."""

    async def mark_processed(
        self, outcomes: Sequence[tuple[int, int | None]], now: datetime
    ) -> None:
        """Record that rows (item id, lead id or None) were handled."""

    async def record_failure(
        self, item_id: int, error: str, now: datetime, retry_at: datetime, max_attempts: int
    ) -> None:
        """Count a failed attempt; park the row as failed after `max_attempts`."""

    async def get(self, item_id: int) -> InboxItem | None:
        """One row by intake id."""

    async def lead_of(self, channel: str, external_ids: Sequence[str]) -> int | None:
        """The lead the newest of these processed requests went into (e-mail threads)."""

    async def parked(self, limit: int) -> list[ParkedRequest]:
        """Rows parked as failed, newest first (dismissed ones included)."""

    async def requeue(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Put parked rows (all when `ids` is None) back to pending; returns how many."""

    async def dismiss(self, ids: Sequence[int], now: datetime) -> int:
        """Set parked rows aside so they stop holding readiness; returns how many."""

    async def stats(self) -> InboxStats:
        """Pending and failed counts and the oldest pending row's time."""
