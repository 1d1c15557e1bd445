"""The team panel's aggregates, one GROUP BY query each, the same SQL on SQLite and PostgreSQL
(but for the seconds between two timestamps, which each dialect spells its own way)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from crm_core.model import LeadStatus
from crm_core.storage.session import SqlSession
from crm_core.team_panel import DealTotal, LeadCounts

WAIT_SECONDS = {
    "postgres": "EXTRACT(EPOCH FROM (taken_at - created_at))",
    # SQLite keeps UTC ISO text, which julianday() reads, offset included.
    "sqlite": "(julianday(taken_at) - julianday(created_at)) * 86400.0",
}


class SqlTeam:
    """Per-manager counts over one session (a ports.TeamRepository)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def open_leads(self) -> dict[int | None, LeadCounts]:
        """New and in-work leads by assignee (None: nobody's yet)."""
        rows = await self._s.fetch(
            "SELECT assignee_id, status, COUNT(*) AS n FROM leads"
            " WHERE status IN ($1, $2) GROUP BY assignee_id, status",
            LeadStatus.NEW.value,
            LeadStatus.IN_WORK.value,
        )
        counts: dict[int | None, LeadCounts] = {}
        for r in rows:
            key = None if r["assignee_id"] is None else int(r["assignee_id"])
            before = counts.get(key, LeadCounts())
            if r["status"] == LeadStatus.NEW.value:
                counts[key] = LeadCounts(int(r["n"]), before.in_work)
            else:
                counts[key] = LeadCounts(before.new, int(r["n"]))
        return counts

    async def overdue_tasks(self, now: datetime) -> dict[int, int]:
        """Open tasks due before `now`, by assignee."""
        rows = await self._s.fetch(
            "SELECT assignee_id, COUNT(*) AS n FROM tasks"
            " WHERE done_at IS NULL AND due_at < $1 AND assignee_id IS NOT NULL"
            " GROUP BY assignee_id",
            now,
        )
        return {int(r["assignee_id"]): int(r["n"]) for r in rows}

    async def median_take_seconds(self, since: datetime) -> dict[int, float]:
        """Per assignee, the median seconds from a lead's creation to its first take, over
        the leads created since `since` and taken."""
        wait = WAIT_SECONDS[self._s.dialect]
        # The median in SQL (row numbers within each manager's ordered waits), so only one
        # row per manager crosses to Python whatever the number of leads.
        rows = await self._s.fetch(
            "SELECT assignee_id, AVG(wait) AS median FROM ("
            "  SELECT assignee_id, wait,"
            "   ROW_NUMBER() OVER (PARTITION BY assignee_id ORDER BY wait) AS rn,"
            "   COUNT(*) OVER (PARTITION BY assignee_id) AS cnt"
            f"  FROM (SELECT assignee_id, {wait} AS wait FROM leads"
            "   WHERE created_at >= $1 AND taken_at IS NOT NULL AND assignee_id IS NOT NULL) w"
            ") ranked WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2) GROUP BY assignee_id",
            since,
        )
        return {int(r["assignee_id"]): max(float(r["median"]), 0.0) for r in rows}

    async def open_deals(self) -> list[DealTotal]:
        """Open deals by owner and currency: count and summed amount."""
        # Summed in whole kopecks: SQLite would otherwise add binary floats.
        rows = await self._s.fetch(
            "SELECT owner_id, currency, COUNT(*) AS n,"
            " SUM(CAST(ROUND(COALESCE(amount, 0) * 100) AS BIGINT)) AS cents"
            " FROM deals WHERE status = 'open' AND owner_id IS NOT NULL"
            " GROUP BY owner_id, currency",
        )
        return [
            DealTotal(
                owner_id=int(r["owner_id"]),
                currency=r["currency"],
                count=int(r["n"]),
                amount=Decimal(int(r["cents"] or 0)) / 100,
            )
            for r in rows
        ]
