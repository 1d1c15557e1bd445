"""Calls reported by telephony providers, one record per provider call."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.calls import StoredCall


class CallRepository(Protocol):
    """Calls keyed by (provider, call id); a call is locked while its events are folded in."""

    async def lock_or_create(self, provider: str, call_id: str, now: datetime) -> StoredCall:
        """The call, created empty if new, locked until the transaction ends."""

    async def save(self, call: StoredCall, now: datetime) -> None:
        """Store the call's facts, summary and sales outcome."""

    async def get(self, provider: str, call_id: str) -> StoredCall | None:
        """One call by its provider's id."""

    async def get_by_id(self, call_id: int) -> StoredCall | None:
        """One call by its record id."""

    async def list(
        self,
        *,
        manager_id: int | None,
        outcome: str | None,
        direction: str | None,
        limit: int,
        before_id: int | None,
    ) -> list[StoredCall]:
        """The call log, newest first; optionally one manager's, one outcome's, one direction's."""

    async def count(self) -> int:
        """How many calls are stored."""
