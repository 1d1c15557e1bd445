"""The rows behind the sales reports, fetched with the same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_core.model import LeadStatus
from crm_core.reports import DealRow, DealVisit, LeadRow, Period
from crm_core.sales import DealStatus
from crm_core.storage.session import SqlSession, as_datetime, as_optional_datetime

DEAL_COHORT = "d.pipeline = $1 AND d.created_at >= $2 AND d.created_at < $3"


class SqlReports:
    """Read-only report queries over one session (a ports.ReportRepository)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def funnel_deals(
        self, pipeline: str, period: Period, owner_id: int | None
    ) -> list[DealRow]:
        """Deals of a pipeline created in the period (one owner's, or everyone's with None)."""
        where, args = _deal_cohort(pipeline, period, owner_id)
        rows = await self._s.fetch(
            "SELECT d.id, d.stage, d.status, d.amount, d.currency, d.lost_reason"
            f" FROM deals d WHERE {where} ORDER BY d.id",
            *args,
        )
        return [
            DealRow(
                id=int(r["id"]),
                stage=r["stage"],
                status=DealStatus(r["status"]),
                amount=_decimal(r["amount"]),
                currency=r["currency"],
                lost_reason=r["lost_reason"],
            )
            for r in rows
        ]

    async def funnel_visits(
        self, pipeline: str, period: Period, owner_id: int | None
    ) -> list[DealVisit]:
        """The stage history of the same cohort of deals, oldest visit first per deal."""
        where, args = _deal_cohort(pipeline, period, owner_id)
        rows = await self._s.fetch(
            "SELECT s.deal_id, s.stage, s.entered_at, s.left_at"
            f" FROM deal_stages s JOIN deals d ON d.id = s.deal_id WHERE {where}"
            " ORDER BY s.deal_id, s.id",
            *args,
        )
        return [
            DealVisit(
                deal_id=int(r["deal_id"]),
                stage=r["stage"],
                entered_at=as_datetime(r["entered_at"]),
                left_at=as_optional_datetime(r["left_at"]),
            )
            for r in rows
        ]

    async def quality_leads(self, period: Period, assignee_id: int | None) -> list[LeadRow]:
        """Leads created in the period (one assignee's, or everyone's with None)."""
        args: list[Any] = [period.start, period.end]
        mine = ""
        if assignee_id is not None:
            args.append(assignee_id)
            mine = " AND assignee_id = $3"
        # leads_created (created_at) serves the range; the rest is read from the rows found.
        rows = await self._s.fetch(
            "SELECT channel, source, status, junk_reason, is_repeat, created_at, taken_at"
            f" FROM leads WHERE created_at >= $1 AND created_at < $2{mine}",
            *args,
        )
        return [
            LeadRow(
                channel=r["channel"],
                source=r["source"],
                status=LeadStatus(r["status"]),
                junk_reason=r["junk_reason"],
                is_repeat=bool(r["is_repeat"]),
                created_at=as_datetime(r["created_at"]),
                taken_at=as_optional_datetime(r["taken_at"]),
            )
            for r in rows
        ]


def _deal_cohort(pipeline: str, period: Period, owner_id: int | None) -> tuple[str, list[Any]]:
    args: list[Any] = [pipeline, period.start, period.end]
    if owner_id is None:
        return DEAL_COHORT, args
    args.append(owner_id)
    return f"{DEAL_COHORT} AND d.owner_id = $4", args


def _decimal(value: Any) -> Decimal | None:
    # PostgreSQL returns Decimal; SQLite's NUMERIC affinity gives int or float (via str: exact
    # to the cent, which is all NUMERIC(16, 2) holds on PostgreSQL).
    return None if value is None else Decimal(str(value))
