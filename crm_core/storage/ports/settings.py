"""The stored sales setup: versioned documents per kind, and the work a leaving manager holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StoredSetting:
    """One object of the sales setup (a manager, later a queue...) as its TOML-shaped document."""

    kind: str
    key: str
    version: int
    data: Mapping[str, Any]
    updated_at: datetime
    updated_by: str


class SettingsRepository(Protocol):
    """The sales setup in the database and its global version."""

    async def version(self) -> int:
        """The global settings version (bumped by every change)."""

    async def bump(self) -> int:
        """Increase the global version; returns the new one."""

    async def seeded(self, kind: str) -> bool:
        """True once this kind was seeded from the file (the database rules it from then on)."""

    async def mark_seeded(self, kind: str, source: str, now: datetime) -> None:
        """Record that this kind was seeded from `source`."""

    async def list(self, kind: str) -> list[StoredSetting]:
        """Every object of a kind in its order (position, then key)."""

    async def get(self, kind: str, key: str, *, for_update: bool = False) -> StoredSetting | None:
        """One object by key."""

    async def add(
        self, kind: str, key: str, data: Mapping[str, Any], actor: str, now: datetime
    ) -> StoredSetting | None:
        """Store a new object at version 1; None when the key is taken."""

    async def replace(
        self,
        kind: str,
        key: str,
        data: Mapping[str, Any],
        expected_version: int,
        actor: str,
        now: datetime,
    ) -> StoredSetting | None:
        """Replace an object if it is still at `expected_version`; None when it is not."""

    async def remove(self, kind: str, key: str, expected_version: int) -> bool:
        """Delete an object if it is still at `expected_version`; whether it was deleted."""


class HandOverRepository(Protocol):
    """The open work a manager holds, for handing it over when they leave."""

    async def open_lead_ids(self, manager_id: int) -> list[int]:
        """Leads assigned to the manager and not closed (new or in work), oldest first."""

    async def open_deal_ids(self, manager_id: int) -> list[int]:
        """Open deals the manager owns, oldest first."""

    async def set_deal_owner(self, deal_id: int, owner_id: int, now: datetime) -> None:
        """Give a deal to another owner."""
