"""GET /api/v1/reports/*: the deal funnel of a pipeline and lead quality per channel and form."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm_core.access import listing_scope
from crm_core.model import Manager
from crm_core.reporting import load_funnel, load_lead_quality, may_pick_manager
from crm_core.reports import (
    FunnelReport,
    InvalidPeriod,
    LeadQuality,
    LeadQualityReport,
    Period,
    resolve_period,
)
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response

SHARE_DIGITS = 4


class UnknownManager(Exception):
    """`?manager=` names nobody."""


@require_manager
async def funnel(request: web.Request) -> web.StreamResponse:
    """`?pipeline=&from=&to=&manager=`: deals created in the period, per stage, as both
    funnels (`manager`: a head narrows the report to one manager; ignored for others)."""
    manager = current_manager(request)
    services = request.app[SERVICES]
    pipelines = services.sales.pipelines
    key = request.query.get("pipeline") or next(iter(pipelines), None)
    pipeline = pipelines.get(key) if key is not None else None
    if pipeline is None:
        known = ", ".join(pipelines) or "none configured"
        return error_response(
            422, "unknown_pipeline", f"no pipeline {key!r}; known: {known}", field="pipeline"
        )
    try:
        period = request_period(request, manager)
    except InvalidPeriod as err:
        return period_error(err)
    try:
        async with services.storage.reader() as uow:
            chosen = await chosen_manager(request, uow, manager)
            report = await load_funnel(uow, manager, pipeline, period, chosen)
    except UnknownManager:
        login = request.query.get("manager", "")
        return error_response(422, "unknown_manager", f"no manager {login!r}", field="manager")
    return json_response(funnel_json(report, manager, chosen))


@require_manager
async def lead_quality(request: web.Request) -> web.StreamResponse:
    """`?from=&to=&manager=`: leads created in the period per channel and form: qualified vs
    junk (`manager`: a head narrows the report to one manager; ignored for others)."""
    manager = current_manager(request)
    try:
        period = request_period(request, manager)
    except InvalidPeriod as err:
        return period_error(err)
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            chosen = await chosen_manager(request, uow, manager)
            report = await load_lead_quality(uow, manager, period, chosen)
    except UnknownManager:
        login = request.query.get("manager", "")
        return error_response(422, "unknown_manager", f"no manager {login!r}", field="manager")
    return json_response(lead_quality_json(report, manager, chosen))


def funnel_json(
    report: FunnelReport, viewer: Manager, chosen: Manager | None = None
) -> dict[str, Any]:
    """The funnel report on the wire."""
    return {
        "pipeline": {"key": report.pipeline, "name": report.pipeline_name},
        "period": period_json(report.period),
        "scope": report_scope(viewer, chosen),
        "stages": [
            {
                "key": s.key,
                "name": s.name,
                "kind": s.kind.value,
                "reached": s.reached,
                "now_in": s.now_in,
                "conversion_from_previous": rounded_share(s.conversion_from_previous),
                "median_seconds_in_stage": s.median_seconds_in_stage,
                "closed_visits": s.closed_visits,
            }
            for s in report.stages
        ],
        "totals": {
            "deals": report.deals,
            "open": report.open,
            "won": report.won,
            "lost": report.lost,
            "won_amount": {c: str(a) for c, a in report.won_amount.items()},
            "lost_by_reason": report.lost_by_reason,
        },
    }


def lead_quality_json(
    report: LeadQualityReport, viewer: Manager, chosen: Manager | None = None
) -> dict[str, Any]:
    """The lead-quality report on the wire."""
    return {
        "period": period_json(report.period),
        "scope": report_scope(viewer, chosen),
        "groups": [
            {"channel": g.channel, "source": g.source, **_quality_json(g.quality)}
            for g in report.groups
        ],
        "total": _quality_json(report.total),
    }


def _quality_json(q: LeadQuality) -> dict[str, Any]:
    return {
        "leads": q.leads,
        "new": q.new,
        "in_work": q.in_work,
        "converted": q.converted,
        "junk": q.junk,
        "qualified_share": rounded_share(q.qualified_share),
        "junk_share": rounded_share(q.junk_share),
        "junk_by_reason": q.junk_by_reason,
        "taken": q.taken,
        "median_seconds_to_take": q.median_seconds_to_take,
        "repeat_share": rounded_share(q.repeat_share),
    }


def request_period(request: web.Request, manager: Manager) -> Period:
    """The `?from=&to=` period in the manager's timezone (raises InvalidPeriod)."""
    return resolve_period(
        request.query.get("from"),
        request.query.get("to"),
        now=utcnow(),
        timezone=manager.timezone,
    )


def period_error(err: InvalidPeriod) -> web.Response:
    error = "invalid_query" if err.status == 400 else "invalid_field"
    return error_response(err.status, error, err.message, field=err.field)


def period_json(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def report_scope(viewer: Manager, chosen: Manager | None) -> str:
    # Only a head sees the whole team (or picks one manager); a manager's covers what they own.
    if listing_scope(viewer):
        return "own"
    return "manager" if chosen is not None else "all"


async def chosen_manager(request: web.Request, uow: UnitOfWork, viewer: Manager) -> Manager | None:
    """The manager of `?manager=login` when the viewer may pick one (UnknownManager for a login
    nobody has); others' `manager` is ignored unread, so it can neither widen nor probe."""
    login = request.query.get("manager", "")
    if not login or not may_pick_manager(viewer):
        return None
    chosen = await uow.managers.get_by_login(login)
    if chosen is None:
        raise UnknownManager(login)
    return chosen


def rounded_share(value: float | None) -> float | None:
    return None if value is None else round(value, SHARE_DIGITS)
