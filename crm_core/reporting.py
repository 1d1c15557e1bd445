"""The reports as a viewer gets them: whose records they cover, the aggregates loaded, the report.

The API (intake/http/reports.py) and the workplace's Отчёты page both call these, so the
scope rule and the queries behind a report live in one place.
"""

from __future__ import annotations

from crm_core.access import listing_scope
from crm_core.model import Manager
from crm_core.pipelines import Pipeline
from crm_core.reports import (
    FunnelReport,
    LeadQualityReport,
    Period,
    funnel_positions,
    funnel_report,
    lead_quality_report,
)
from crm_core.storage.ports import UnitOfWork


def may_pick_manager(viewer: Manager) -> bool:
    """Whether the viewer may narrow reports to one manager: only one who sees everyone's."""
    return listing_scope(viewer) is None


def report_owner_id(viewer: Manager, chosen: Manager | None = None) -> int | None:
    """Whose records a report covers: a manager's own whatever they ask for; a head's reports
    cover everyone (None) or, when the head picks one, that manager."""
    scope = listing_scope(viewer)
    if scope is not None:
        return scope.id
    return chosen.id if chosen is not None else None


async def load_funnel(
    uow: UnitOfWork,
    viewer: Manager,
    pipeline: Pipeline,
    period: Period,
    chosen: Manager | None = None,
) -> FunnelReport:
    """The funnel of deals of `pipeline` created in `period` that the viewer may report on."""
    owner_id = report_owner_id(viewer, chosen)
    positions = funnel_positions(pipeline)
    facts = await uow.reports.funnel_facts(pipeline.key, positions, period, owner_id)
    return funnel_report(pipeline, period, facts)


async def load_lead_quality(
    uow: UnitOfWork, viewer: Manager, period: Period, chosen: Manager | None = None
) -> LeadQualityReport:
    """Lead quality per channel and form over leads created in `period` the viewer may see."""
    facts = await uow.reports.lead_quality_facts(period, report_owner_id(viewer, chosen))
    return lead_quality_report(period, facts)
