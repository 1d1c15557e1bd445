"""/api/v1/settings/queues/preview: who would get a lead from a form, channel or queue now."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm_core.errors import DomainError
from crm_core.routing import MemberState
from intake.http.errors import error_response
from intake.http.keys import SERVICES
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.http.settings_documents import heads_only, refused
from intake.queue_preview import (
    RoutePreview,
    member_state,
    preview_of_channel,
    preview_of_form,
    preview_of_queue,
)

USAGE = "give exactly one of form=<key> or channel=<name> (with source=<name> optionally)"


@require_manager
async def queue_preview_route(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/settings/queues/{key}/preview."""
    if (denied := heads_only(request)) is not None:
        return denied
    try:
        found = await preview_of_queue(request.app[SERVICES], request.match_info["key"])
    except DomainError as err:
        return refused(err)
    return json_response(preview_json(found))


@require_manager
async def route_preview_route(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/settings/queues/preview?form=<key> | ?channel=<name>[&source=<name>]."""
    if (denied := heads_only(request)) is not None:
        return denied
    form, channel = request.query.get("form"), request.query.get("channel")
    source = request.query.get("source")
    if (form is None) == (channel is None) or (source is not None and channel is None):
        return error_response(400, "invalid_query", USAGE, field="form" if form else "channel")
    services = request.app[SERVICES]
    try:
        if form is not None:
            found = await preview_of_form(services, form)
        else:
            assert channel is not None
            found = await preview_of_channel(services, channel, source or "")
    except DomainError as err:
        return refused(err)
    return json_response(preview_json(found))


def preview_json(found: RoutePreview) -> dict[str, Any]:
    """A preview as the API shows it."""
    decision = found.preview.decision
    assignee = None
    if decision.manager_id is not None:
        manager = found.who(decision.manager_id)
        assignee = {"login": manager[0], "name": manager[1]}
    return {
        "queue": (
            None if found.queue is None else {"key": found.queue.key, "name": found.queue.name}
        ),
        "routed_by": "queue" if found.routed_by is None else found.routed_by.value,
        "route_reason": found.route_reason,
        "assignee": assignee,
        "kind": decision.kind.value,
        "reason": decision.reason,
        "accept_by": None if decision.accept_by is None else decision.accept_by.isoformat(),
        "wait_until": None if decision.wait_until is None else decision.wait_until.isoformat(),
        "members": [_member(found, m) for m in found.preview.members],
        "at": found.at.isoformat(),
    }


def _member(found: RoutePreview, member: MemberState) -> dict[str, Any]:
    return {
        "login": found.who(member.manager_id)[0],
        "name": member.name,
        "weight": member.weight,
        "capacity": member.daily_capacity,
        "active": member.active,
        "on_duty": member.on_duty,
        "absent": member.absent,
        "at_capacity": member.at_capacity,
        "assigned_today": member.assigned_today,
        "served": member.served,
        "state": member_state(member),
    }
