"""GET /api/v1/leads and /api/v1/leads/{id}: what managers see, with bearer-token auth."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from crm_core.access import listing_scope, may_see
from crm_core.holders import lead_holders
from crm_core.model import ConsentRecord, Lead, LeadFilter, LeadJoin, LeadStatus, Manager
from crm_core.sales import RecordKind
from intake.auth import manager_for_token
from intake.clock import utcnow
from intake.http.body import BadQuery, parse_int, query_id, query_limit, required_path_id
from intake.http.errors import error_response
from intake.http.keys import CURRENT_MANAGER, SERVICES, current_manager
from intake.http.records import work_json
from intake.http.responses import json_response

DUPLICATE_DECISIONS = ("auto", "review", "new", "confirmed")
ViewHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require_manager(handler: ViewHandler) -> ViewHandler:
    """401 unless the request carries a valid `Authorization: Bearer <token>`."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        manager = await bearer_manager(request)
        if manager is None:
            return error_response(
                401,
                "unauthorized",
                "a valid bearer token is required (leadintake token create --manager LOGIN)",
                field="Authorization",
                headers={"WWW-Authenticate": 'Bearer realm="leadintake"'},
            )
        request[CURRENT_MANAGER] = manager
        return await handler(request)

    return wrapper


async def bearer_manager(request: web.Request) -> Manager | None:
    """The manager of the request's `Authorization: Bearer <token>`, if the token is valid."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await manager_for_token(request.app[SERVICES].storage, token.strip())


@require_manager
async def list_leads(request: web.Request) -> web.StreamResponse:
    """Leads visible to the caller, newest first, with cursor pagination."""
    manager = current_manager(request)
    where, limit, before_id = _parse_listing(request, manager)
    async with request.app[SERVICES].storage.reader() as uow:
        leads = await uow.leads.list(where, limit + 1, before_id)
    page = leads[:limit]
    next_cursor = _encode_cursor(page[-1].id) if len(leads) > limit else None
    return json_response({"items": [lead_json(lead) for lead in page], "next_cursor": next_cursor})


@require_manager
async def get_lead(request: web.Request) -> web.StreamResponse:
    """One lead, if the caller may see it (others get 404, not 403, to reveal nothing)."""
    manager = current_manager(request)
    lead_id = required_path_id(request, "lead_id")
    async with request.app[SERVICES].storage.reader() as uow:
        lead = await uow.leads.get(lead_id)
        if lead is None or not may_see(manager, lead_holders(lead)):
            return error_response(404, "not_found", f"no lead {lead_id}", field="lead_id")
        consents = await uow.consents.for_lead(lead.id)
        work = await work_json(uow, RecordKind.LEAD, lead.id, manager.timezone, utcnow())
        joins = await uow.leads.joins_of(lead.id)
    body = lead_json(lead)
    body["consents"] = [_consent_json(c) for c in consents]
    body["joins"] = [_join_json(j) for j in joins]
    body.update(work)
    return json_response(body)


def _parse_listing(request: web.Request, manager: Manager) -> tuple[LeadFilter, int, int | None]:
    q = request.query
    status = q.get("status")
    if status is not None and status not in {s.value for s in LeadStatus}:
        allowed = ", ".join(s.value for s in LeadStatus)
        raise BadQuery("status", f"status must be one of {allowed}")
    limit = query_limit(request)
    duplicate_check = q.get("duplicate_check") or None
    if duplicate_check is not None and duplicate_check not in DUPLICATE_DECISIONS:
        allowed = ", ".join(DUPLICATE_DECISIONS)
        raise BadQuery("duplicate_check", f"duplicate_check must be one of {allowed}")
    where = LeadFilter(
        status=LeadStatus(status) if status else None,
        channel=q.get("channel") or None,
        assignee=q.get("assignee") or None,
        created_from=_parse_time("created_from", q.get("created_from")),
        created_to=_parse_time("created_to", q.get("created_to")),
        visible_to=scope.login if (scope := listing_scope(manager)) else None,
        duplicate_check=duplicate_check,
        contact_id=query_id(request, "contact_id"),
    )
    cursor = q.get("cursor")
    return where, limit, _decode_cursor(cursor) if cursor else None


def _parse_time(field: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError as err:
        raise BadQuery(field, f"{field} must be an ISO 8601 date or time") from err
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise BadQuery("cursor", "cursor is not one this API issued") from err
    version, _, value = text.partition(":")
    last_id = parse_int(value) if version == "v1" else None
    if last_id is None:
        raise BadQuery("cursor", "cursor is not one this API issued")
    return last_id


def lead_json(lead: Lead) -> dict[str, Any]:
    """The public JSON shape of a lead."""
    d = lead.data
    c = d.contact
    return {
        "id": lead.id,
        "intake_id": d.inbox_id,
        "status": lead.status.value,
        "channel": d.channel,
        "source": d.source,
        "form": d.source if d.channel == "webform" else None,
        "name": c.name,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "patronymic": c.patronymic,
        "phone": c.phone,
        "phone_raw": c.phone_raw,
        "phone_extension": c.phone_extension,
        "email": c.email,
        "email_raw": c.email_raw,
        "company": c.company,
        "position": c.position,
        "messenger_ids": c.messenger_ids,
        "comment": d.comment,
        "utm": d.utm,
        "page_url": d.page_url,
        "referrer": d.referrer,
        "flags": [f.value for f in d.flags],
        "fields": d.fields,
        "meta": d.meta,
        "queue": d.queue,
        "pipeline": d.pipeline,
        "assignee": lead.assignee,
        "assignee_id": lead.assignee_id,
        "accept_by": lead.accept_by.isoformat() if lead.accept_by else None,
        "taken_at": lead.taken_at.isoformat() if lead.taken_at else None,
        "junk_reason": lead.junk_reason,
        "converted_at": lead.converted_at.isoformat() if lead.converted_at else None,
        "deal_id": lead.deal_id,
        "contact_id": lead.contact_id,
        "company_id": lead.company_id,
        "is_repeat": lead.match.is_repeat if lead.match else False,
        "duplicate_of": lead.match.duplicate_of_id if lead.match else None,
        "duplicate_check": None
        if lead.match is None
        else {
            "decision": lead.match.decision,
            "score": lead.match.score,
            "explanation": lead.match.explanation,
        },
        "received_at": d.received_at.isoformat(),
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
    }


def _join_json(j: LeadJoin) -> dict[str, Any]:
    return {
        "id": j.id,
        "survivor_id": j.survivor_id,
        "joined_id": j.joined_id,
        "by_lead_id": j.by_lead_id,
        "reason": j.reason,
        "joined_at": j.joined_at.isoformat(),
        "undone_at": j.undone_at.isoformat() if j.undone_at else None,
    }


def _consent_json(c: ConsentRecord) -> dict[str, Any]:
    return {
        "given": c.given,
        "text_version": c.text_version,
        "raw_value": c.raw_value,
        "source": c.source,
        "recorded_at": c.recorded_at.isoformat(),
    }
