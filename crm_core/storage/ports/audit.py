"""The append-only audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from crm_core.model import AuditEntry


class AuditRepository(Protocol):
    """Append-only log of changes."""

    async def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries."""

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        """Entries about one record, oldest first."""
