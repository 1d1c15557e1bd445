"""The aggregates the sales reports are computed from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from crm_core.reports import FunnelFacts, LeadQualityFacts, Period


class ReportRepository(Protocol):
    """Read-only queries behind the funnel and lead-quality reports."""

    async def funnel_facts(
        self, pipeline: str, positions: Mapping[str, int], period: Period, owner_id: int | None
    ) -> FunnelFacts:
        """Tallies, furthest positions and stage times of a pipeline's deals created in the
        period (one owner's, or everyone's with None); `positions` ranks the funnel's stages."""

    async def lead_quality_facts(
        self, period: Period, assignee_id: int | None
    ) -> LeadQualityFacts:
        """Tallies and waits to the first take of leads created in the period (one assignee's,
        or everyone's with None)."""
