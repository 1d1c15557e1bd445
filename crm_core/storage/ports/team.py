"""The per-manager counts behind the head's team panel."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.team_panel import DealTotal, LeadCounts


class TeamRepository(Protocol):
    """Read-only aggregate queries, one GROUP BY each, over the whole team."""

    async def open_leads(self) -> dict[int | None, LeadCounts]:
        """New and in-work leads by assignee (None: nobody's yet)."""

    async def overdue_tasks(self, now: datetime) -> dict[int, int]:
        """Open tasks due before `now`, by assignee."""

    async def median_take_seconds(self, since: datetime) -> dict[int, float]:
        """Per assignee, the median seconds from a lead's creation to its first take, over
        the leads created since `since` and taken."""

    async def open_deals(self) -> list[DealTotal]:
        """Open deals by owner and currency: count and summed amount."""
