"""The per-manager counts behind the head's team panel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from crm_core.team_panel import DealTotal, LeadCounts


class TeamRepository(Protocol):
    """Read-only aggregate queries, one GROUP BY each, over the whole team."""

    async def open_leads(self) -> dict[int | None, LeadCounts]:
        """New and in-work leads by assignee (None: nobody's yet)."""

    async def overdue_tasks(self, now: datetime) -> dict[int, int]:
        """Open tasks due before `now`, by assignee."""

    async def recent_waits(
        self, manager_ids: Sequence[int], since: datetime, per_manager: int
    ) -> dict[int, list[float]]:
        """Per manager, the seconds from creation to the first take of their newest
        `per_manager` taken leads created since `since`."""

    async def open_deals(self) -> list[DealTotal]:
        """Open deals by owner and currency: count and summed amount."""
