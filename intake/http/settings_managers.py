"""/api/v1/settings/managers: the head runs the team without a file and a restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from crm_core.errors import DomainError
from crm_core.storage.ports import StoredSetting
from intake.http.body import json_body
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.http.settings_documents import heads_only, refused
from intake.manager_changes import (
    create_manager,
    deactivate_manager,
    get_manager,
    list_managers,
    update_manager,
)


@require_manager
async def list_route(request: web.Request) -> web.StreamResponse:
    """Every manager's settings with its version."""
    if (denied := heads_only(request)) is not None:
        return denied
    managers = await list_managers(request.app[SERVICES])
    return json_response({"items": [manager_json(m) for m in managers]})


@require_manager
async def create_route(request: web.Request) -> web.StreamResponse:
    """Add a manager."""
    if (denied := heads_only(request)) is not None:
        return denied
    body = await json_body(request)
    try:
        stored = await create_manager(request.app[SERVICES], current_manager(request), body)
    except DomainError as err:
        return refused(err)
    return json_response(manager_json(stored), status=201)


@require_manager
async def get_route(request: web.Request) -> web.StreamResponse:
    """One manager's settings."""
    if (denied := heads_only(request)) is not None:
        return denied
    try:
        stored = await get_manager(request.app[SERVICES], request.match_info["login"])
    except DomainError as err:
        return refused(err)
    return json_response(manager_json(stored))


@require_manager
async def update_route(request: web.Request) -> web.StreamResponse:
    """Replace a manager's settings if still at the version the body names."""
    if (denied := heads_only(request)) is not None:
        return denied
    body = await json_body(request)
    version = body.pop("version", None)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return error_response(
            400, "invalid_body", "version must be the integer version read", field="version"
        )
    login = request.match_info["login"]
    try:
        stored = await update_manager(
            request.app[SERVICES], current_manager(request), login, body, version
        )
    except DomainError as err:
        return refused(err)
    return json_response(manager_json(stored))


@require_manager
async def deactivate_route(request: web.Request) -> web.StreamResponse:
    """Deactivate a manager and hand their open work over."""
    if (denied := heads_only(request)) is not None:
        return denied
    services = request.app[SERVICES]
    heir = request.query.get("hand_over_to") or None
    try:
        done = await deactivate_manager(
            services, current_manager(request), request.match_info["login"], heir
        )
    except DomainError as err:
        return refused(err)
    logins = {m.id: m.login for m in services.sales.team.managers.values()}
    return json_response(
        {
            "manager": manager_json(done.manager),
            "handed_over": {
                "leads": {
                    str(k): logins.get(v, str(v)) for k, v in done.handed_over.leads.items()
                },
                "deals": {
                    str(k): logins.get(v, str(v)) for k, v in done.handed_over.deals.items()
                },
            },
        }
    )


def manager_json(stored: StoredSetting) -> dict[str, Any]:
    """A stored manager as the API shows it."""
    data: Mapping[str, Any] = stored.data
    return {
        "login": stored.key,
        "name": data["name"],
        "role": data.get("role", "manager"),
        "email": data.get("email"),
        "telegram_chat_id": data.get("telegram_chat_id"),
        "timezone": data.get("timezone", "Europe/Moscow"),
        "active": data.get("active", True),
        "working_hours": data.get("working_hours"),
        "absences": [
            {"from": a["from"], "to": a["to"], "note": a.get("note")}
            for a in data.get("absences", [])
        ],
        "version": stored.version,
        "updated_at": stored.updated_at.isoformat(),
        "updated_by": stored.updated_by,
    }
