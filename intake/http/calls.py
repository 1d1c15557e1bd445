"""The call log: GET /api/v1/calls (newest first, filterable) and /api/v1/calls/{call_id}."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from crm_core.access import listing_scope, may_see
from crm_core.calls import CallDirection, CallOutcome, StoredCall
from crm_core.holders import call_holders
from intake.http.body import query_id, query_limit, required_path_id
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response

OUTCOMES = tuple(o.value for o in CallOutcome)
DIRECTIONS = tuple(d.value for d in CallDirection)


@require_manager
async def list_calls(request: web.Request) -> web.StreamResponse:
    """Calls the caller took part in (a head: all), newest first.

    `?outcome=answered|missed|busy|failed&direction=in|out|internal&before_id=&limit=`.
    """
    manager = current_manager(request)
    query = request.query
    outcome, direction = query.get("outcome") or None, query.get("direction") or None
    if outcome is not None and outcome not in OUTCOMES:
        return _bad_choice("outcome", OUTCOMES)
    if direction is not None and direction not in DIRECTIONS:
        return _bad_choice("direction", DIRECTIONS)
    limit, before = query_limit(request), query_id(request, "before_id")
    async with request.app[SERVICES].storage.reader() as uow:
        calls = await uow.calls.list(
            manager_id=scope.id if (scope := listing_scope(manager)) else None,
            outcome=outcome,
            direction=direction,
            limit=limit,
            before_id=before,
        )
    items = [call_json(c) for c in calls]
    next_before = items[-1]["id"] if len(items) == limit else None
    return json_response({"items": items, "next_before_id": next_before})


@require_manager
async def get_call(request: web.Request) -> web.StreamResponse:
    """One call with the provider events it was assembled from."""
    call_id = required_path_id(request, "call_id")
    manager = current_manager(request)
    async with request.app[SERVICES].storage.reader() as uow:
        call = await uow.calls.get_by_id(call_id)
    if call is None or not may_see(manager, call_holders(call)):
        return error_response(404, "not_found", f"no call {call_id}", field="call_id")
    body = call_json(call)
    body["events"] = [
        {"key": f.event_key, "stage": f.stage.value, "at": f.at.isoformat()}
        for f in sorted(call.facts, key=lambda f: (f.at, f.event_key))
    ]
    return json_response(body)


def call_json(call: StoredCall) -> dict[str, Any]:
    """A call as the API shows it."""
    s = call.summary
    return {
        "id": call.id,
        "provider": s.provider if s else None,
        "call_id": s.call_id if s else None,
        "direction": s.direction.value if s and s.direction else None,
        "caller": s.caller if s else None,
        "callee": s.callee if s else None,
        "line": s.line if s else None,
        "extension": s.extension if s else None,
        "outcome": s.outcome.value if s and s.outcome else None,
        "started_at": _iso(s.started_at if s else None),
        "answered_at": _iso(s.answered_at if s else None),
        "ended_at": _iso(s.ended_at if s else None),
        "duration_seconds": s.duration_seconds if s else None,
        "talk_seconds": s.talk_seconds if s else None,
        "recording": s.recording_ref if s else None,
        "completed_at": _iso(call.completed_at),
        "lead_id": call.lead_id,
        "logged_on": {"entity": call.entity, "id": call.entity_id} if call.entity else None,
        "manager_id": call.manager_id,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _bad_choice(field: str, allowed: tuple[str, ...]) -> web.Response:
    return error_response(
        422, "invalid_field", f"{field} must be one of: {', '.join(allowed)}", field=field
    )
