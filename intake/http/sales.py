"""The sales process over HTTP: take, junk, reassign, convert leads; deals, tasks, activities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from crm_core.access import listing_scope, may_see
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.deals import add_task, decide_lost, log_activity, move_deal, set_task_done
from crm_core.errors import DomainError
from crm_core.holders import deal_holders, lead_holders
from crm_core.lifecycle import junk_lead, reassign_lead, take_lead
from crm_core.model import Lead, Manager
from crm_core.sales import (
    ActivityKind,
    Deal,
    NewActivity,
    NewTask,
    RecordKind,
    in_stage_for,
)
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.body import (
    BadBody,
    amount_field,
    json_body,
    optional_int_field,
    parse_aware_datetime,
    query_id,
    query_limit,
    required_path_id,
)
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import lead_json, require_manager
from intake.http.records import task_json, work_json
from intake.http.responses import json_response

T = TypeVar("T")
Command = Callable[[UnitOfWork, Manager, datetime], Awaitable[T]]


# ---------------------------------------------------------------- leads


@require_manager
async def take(request: web.Request) -> web.StreamResponse:
    """The assignee takes the lead into work (new → in_work)."""
    lead_id = required_path_id(request, "lead_id")
    return await _lead_command(request, lambda uow, m, now: take_lead(uow, lead_id, m, now))


@require_manager
async def junk(request: web.Request) -> web.StreamResponse:
    """Close the lead as junk with one of the configured reasons."""
    lead_id = required_path_id(request, "lead_id")
    body = await json_body(request)
    reason = _optional_text(body, "reason")
    reasons = request.app[SERVICES].sales.junk_reasons
    return await _lead_command(
        request, lambda uow, m, now: junk_lead(uow, lead_id, m, reason, reasons, now)
    )


@require_manager
async def reassign(request: web.Request) -> web.StreamResponse:
    """Give the lead to another manager (`{"manager": "login"}`)."""
    lead_id = required_path_id(request, "lead_id")
    login = _required_text(await json_body(request), "manager")
    async with request.app[SERVICES].storage.reader() as uow:
        target = await uow.managers.get_by_login(login)
    if target is None:
        return error_response(422, "unknown_manager", f"no manager {login!r}", field="manager")
    return await _lead_command(
        request, lambda uow, m, now: reassign_lead(uow, lead_id, m, target, now)
    )


@require_manager
async def convert(request: web.Request) -> web.StreamResponse:
    """Contact + company (+ deal) from the lead, in one transaction; repeat calls are no-ops."""
    lead_id = required_path_id(request, "lead_id")
    body = await json_body(request)
    create_deal = body.get("create_deal", True)
    if not isinstance(create_deal, bool):
        raise BadBody("create_deal", "must be true or false")
    convert_request = ConvertRequest(
        create_deal=create_deal,
        contact_id=optional_int_field(body, "contact_id"),
        company_id=optional_int_field(body, "company_id"),
        pipeline=_optional_text(body, "pipeline"),
        title=_optional_text(body, "title"),
        amount=amount_field(body, "amount"),
    )
    services = request.app[SERVICES]
    result = await _run(
        request,
        lambda uow, m, now: convert_lead(
            uow,
            lead_id,
            m,
            convert_request,
            services.sales.pipelines,
            services.settings.intake.default_region,
            now,
        ),
    )
    if isinstance(result, web.StreamResponse):
        return result
    return json_response(
        {
            "lead_id": result.lead_id,
            "contact_id": result.contact_id,
            "company_id": result.company_id,
            "deal_id": result.deal_id,
            "created": list(result.created),
        },
        status=201 if result.created else 200,
    )


@require_manager
async def assignments(request: web.Request) -> web.StreamResponse:
    """Every assignment decision about a lead, with its reason."""
    lead_id = required_path_id(request, "lead_id")
    manager = current_manager(request)
    async with request.app[SERVICES].storage.reader() as uow:
        lead = await uow.leads.get(lead_id)
        if lead is None or not may_see(manager, lead_holders(lead)):
            return error_response(404, "not_found", f"no lead {lead_id}", field="lead_id")
        records = await uow.sales.assignments_of(lead_id)
    return json_response(
        {
            "items": [
                {
                    "manager_id": r.manager_id,
                    "queue": r.queue,
                    "kind": r.kind,
                    "reason": r.reason,
                    "decided_at": r.decided_at.isoformat(),
                    "accept_by": _iso(r.accept_by),
                    "wait_until": _iso(r.wait_until),
                }
                for r in records
            ]
        }
    )


# ---------------------------------------------------------------- deals


@require_manager
async def list_deals(request: web.Request) -> web.StreamResponse:
    """Deals visible to the caller, newest first (`?pipeline=&status=&before_id=&limit=`)."""
    manager = current_manager(request)
    query = request.query
    limit, before = query_limit(request), query_id(request, "before_id")
    async with request.app[SERVICES].storage.reader() as uow:
        deals = await uow.sales.list_deals(
            owner_id=scope.id if (scope := listing_scope(manager)) else None,
            pipeline=query.get("pipeline") or None,
            status=query.get("status") or None,
            limit=limit,
            before_id=before,
        )
    now = utcnow()
    return json_response({"items": [deal_json(d, now) for d in deals]})


@require_manager
async def get_deal(request: web.Request) -> web.StreamResponse:
    """One deal with its stage history, tasks, activities and health."""
    deal_id = required_path_id(request, "deal_id")
    manager = current_manager(request)
    async with request.app[SERVICES].storage.reader() as uow:
        deal = await uow.sales.get_deal(deal_id)
        if deal is None or not may_see(manager, deal_holders(deal)):
            return error_response(404, "not_found", f"no deal {deal_id}", field="deal_id")
        body = await deal_detail(uow, deal, manager.timezone)
    return json_response(body)


@require_manager
async def move_stage(request: web.Request) -> web.StreamResponse:
    """Move a deal to a stage (`{"stage": "invoice", "reason": ...}`) under the rules."""
    deal_id = required_path_id(request, "deal_id")
    body = await json_body(request)
    stage = _required_text(body, "stage")
    reason = _optional_text(body, "reason")
    pipelines = request.app[SERVICES].sales.pipelines
    result = await _run(
        request, lambda uow, m, now: move_deal(uow, deal_id, stage, m, reason, pipelines, now)
    )
    if isinstance(result, web.StreamResponse):
        return result
    deal, plan = result
    return json_response({"outcome": plan.outcome.value, "deal": deal_json(deal, utcnow())})


@require_manager
async def approve_lost(request: web.Request) -> web.StreamResponse:
    """A head closes the deal as lost, as its manager asked."""
    return await _decide_lost(request, approve=True)


@require_manager
async def reject_lost(request: web.Request) -> web.StreamResponse:
    """A head refuses the manager's lost request: the deal stays open."""
    return await _decide_lost(request, approve=False)


async def _decide_lost(request: web.Request, *, approve: bool) -> web.StreamResponse:
    deal_id = required_path_id(request, "deal_id")
    pipelines = request.app[SERVICES].sales.pipelines
    result = await _run(
        request, lambda uow, m, now: decide_lost(uow, deal_id, m, approve, pipelines, now)
    )
    if isinstance(result, web.StreamResponse):
        return result
    return json_response(deal_json(result, utcnow()))


# ---------------------------------------------------------------- tasks, activities


@require_manager
async def create_task(request: web.Request) -> web.StreamResponse:
    """Plan a task: `{"entity": "deal", "entity_id": 1, "title": ..., "due_at": ISO}`."""
    body = await json_body(request)
    manager = current_manager(request)
    entity, entity_id = _record(body)
    due = _datetime(body, "due_at")
    assignee = optional_int_field(body, "assignee_id") or manager.id
    task = NewTask(
        entity,
        entity_id,
        _optional_text(body, "type") or "call",
        _required_text(body, "title"),
        due,
        assignee,
        manager.login,
    )
    result = await _run(request, lambda uow, m, now: add_task(uow, task, m, now))
    if isinstance(result, web.StreamResponse):
        return result
    return json_response(task_json(result, utcnow(), manager.timezone), status=201)


@require_manager
async def complete_task(request: web.Request) -> web.StreamResponse:
    """Mark a task done (`{"done": false}` reopens it)."""
    task_id = required_path_id(request, "task_id")
    # Not `request.can_read_body`: the body timeout middleware has read it already, so that
    # is False and `{"done": false}` was ignored. An empty body is `{}`: done.
    body = await json_body(request)
    done = body.get("done", True)
    if not isinstance(done, bool):
        raise BadBody("done", "must be true or false")
    manager = current_manager(request)
    result = await _run(request, lambda uow, m, now: set_task_done(uow, task_id, done, m, now))
    if isinstance(result, web.StreamResponse):
        return result
    return json_response(task_json(result, utcnow(), manager.timezone))


@require_manager
async def create_activity(request: web.Request) -> web.StreamResponse:
    """Log a call, e-mail, message or note on a lead, contact, company or deal."""
    body = await json_body(request)
    manager = current_manager(request)
    entity, entity_id = _record(body)
    kind_text = _required_text(body, "kind")
    if kind_text not in {k.value for k in ActivityKind}:
        raise BadBody("kind", "one of: " + ", ".join(k.value for k in ActivityKind))
    at = _datetime(body, "at") if body.get("at") is not None else utcnow()
    activity = NewActivity(
        entity,
        entity_id,
        ActivityKind(kind_text),
        _optional_text(body, "text"),
        at,
        manager.login,
        manager.id,
    )
    result = await _run(request, lambda uow, m, now: log_activity(uow, activity, m))
    if isinstance(result, web.StreamResponse):
        return result
    return json_response({"id": result}, status=201)


# ---------------------------------------------------------------- shapes


def deal_json(deal: Deal, now: datetime) -> dict[str, Any]:
    """The public JSON shape of a deal."""
    return {
        "id": deal.id,
        "title": deal.title,
        "pipeline": deal.pipeline,
        "stage": deal.stage,
        "status": deal.status.value,
        "amount": str(deal.amount) if deal.amount is not None else None,
        "currency": deal.currency,
        "products": deal.products,
        "comment": deal.comment,
        "fields": deal.fields,
        "contact_id": deal.contact_id,
        "company_id": deal.company_id,
        "lead_id": deal.lead_id,
        "owner_id": deal.owner_id,
        "lost_reason": deal.lost_reason,
        "pending_lost": deal.pending_lost,
        "stage_entered_at": deal.stage_entered_at.isoformat(),
        "seconds_in_stage": int(in_stage_for(deal, now).total_seconds()),
        "created_at": deal.created_at.isoformat(),
        "closed_at": _iso(deal.closed_at),
    }


async def deal_detail(uow: UnitOfWork, deal: Deal, timezone: str) -> dict[str, Any]:
    """A deal with its history, tasks, activities and health colour."""
    now = utcnow()
    history = await uow.sales.stage_history(deal.id)
    return {
        **deal_json(deal, now),
        "stage_history": [
            {"stage": v.stage, "entered_at": v.entered_at.isoformat(), "left_at": _iso(v.left_at)}
            for v in history
        ],
        **await work_json(uow, RecordKind.DEAL, deal.id, timezone, now),
    }


# ---------------------------------------------------------------- helpers


async def _lead_command(request: web.Request, command: Command[Lead]) -> web.StreamResponse:
    result = await _run(request, command)
    if isinstance(result, web.StreamResponse):
        return result
    return json_response(lead_json(result))


async def _run(request: web.Request, command: Command[T]) -> T | web.StreamResponse:
    """Run a domain command in a transaction; rule violations become 4xx naming the rule."""
    manager = current_manager(request)
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            return await command(uow, manager, utcnow())
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)


def _record(body: dict[str, Any]) -> tuple[RecordKind, int]:
    entity = _required_text(body, "entity")
    if entity not in {k.value for k in RecordKind}:
        raise BadBody("entity", "one of: " + ", ".join(k.value for k in RecordKind))
    entity_id = optional_int_field(body, "entity_id")
    if entity_id is None:
        raise BadBody("entity_id", "required, a number")
    return RecordKind(entity), entity_id


def _required_text(body: dict[str, Any], field: str) -> str:
    value = _optional_text(body, field)
    if value is None:
        raise BadBody(field, "required, a non-empty string")
    return value


def _optional_text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadBody(field, "must be a string")
    return value.strip() or None


def _datetime(body: dict[str, Any], field: str) -> datetime:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise BadBody(field, "must be a string")
    try:
        return parse_aware_datetime(value or "")
    except ValueError as err:
        raise BadBody(field, str(err)) from err


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
