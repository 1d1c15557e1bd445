"""The rows the sales reports are computed from."""

from __future__ import annotations

from typing import Protocol

from crm_core.reports import DealRow, DealVisit, LeadRow, Period


class ReportRepository(Protocol):
    """Read-only queries behind the funnel and lead-quality reports."""

    async def funnel_deals(
        self, pipeline: str, period: Period, owner_id: int | None
    ) -> list[DealRow]:
        """Deals of a pipeline created in the period (one owner's, or everyone's with None)."""

    async def funnel_visits(
        self, pipeline: str, period: Period, owner_id: int | None
    ) -> list[DealVisit]:
        """The stage history of the same cohort of deals, oldest visit first per deal."""

    async def quality_leads(self, period: Period, assignee_id: int | None) -> list[LeadRow]:
        """Leads created in the period (one assignee's, or everyone's with None)."""
