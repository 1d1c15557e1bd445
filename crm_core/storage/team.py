"""The team panel's aggregates, one GROUP BY query each, the same SQL on SQLite and PostgreSQL
(but for the seconds between two timestamps, which each dialect spells its own way)."""

from __future__ import annotations

from collections.abc import Sequence
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

    async def recent_waits(
        self, manager_ids: Sequence[int], since: datetime, per_manager: int
    ) -> dict[int, list[float]]:
        """Per manager, the seconds from creation to the first take of their newest
        `per_manager` taken leads created since `since`."""
        if not manager_ids:
            return {}
        wait = WAIT_SECONDS[self._s.dialect]
        # One statement of one short index range scan per manager (leads_taken_by_assignee),
        # so the work is bounded by the team's size, not by the number of leads.
        parts = [
            f"SELECT * FROM (SELECT assignee_id, {wait} AS wait FROM leads"
            f" WHERE assignee_id = ${n + 3} AND created_at >= $1 AND taken_at IS NOT NULL"
            " ORDER BY created_at DESC LIMIT $2) t" + str(n)
            for n in range(len(manager_ids))
        ]
        rows = await self._s.fetch(" UNION ALL ".join(parts), since, per_manager, *manager_ids)
        waits: dict[int, list[float]] = {}
        for r in rows:
            # To the millisecond: SQLite's julianday arithmetic leaves float noise below it.
            waits.setdefault(int(r["assignee_id"]), []).append(round(float(r["wait"]), 3))
        return waits

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
                amount=Decimal(int(r["cents"] or 0)).scaleb(-2),
            )
            for r in rows
        ]
