"""/api/v1/connectors: heads connect Bitrix24 and amoCRM, map their values, and test them."""

from __future__ import annotations

from aiohttp import web

from crm_core.access import may_change_settings
from intake.connectors import setup
from intake.connectors.errors import RemoteFailed
from intake.connectors.probe import send_test_lead
from intake.connectors.setup import ConnectorInvalid
from intake.http.body import json_body, query_id, query_limit, required_path_id
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.webhooks import subscriptions as subs

ID = "connector_id"


@require_manager
async def list_route(request: web.Request) -> web.StreamResponse:
    """Every connector (the secret's variable name, never the secret); heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    found = await setup.connectors(request.app[SERVICES].storage)
    return json_response({"items": [setup.connector_json(c) for c in found]})


@require_manager
async def create_route(request: web.Request) -> web.StreamResponse:
    """Connect a CRM: kind, address, secret's environment variable, mapping; heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    services = request.app[SERVICES]
    try:
        new = setup.parse_connector(await json_body(request), services.settings)
    except ConnectorInvalid as err:
        return error_response(422, "invalid_field", err.message, field=err.field)
    created = await setup.create_connector(services.storage, new, current_manager(request).login)
    return json_response(setup.connector_json(created), status=201)


@require_manager
async def get_route(request: web.Request) -> web.StreamResponse:
    """One connector; heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    connector_id = required_path_id(request, ID)
    found = await setup.get_connector(request.app[SERVICES].storage, connector_id)
    if found is None:
        return _not_found(connector_id)
    return json_response(setup.connector_json(found))


@require_manager
async def update_route(request: web.Request) -> web.StreamResponse:
    """Replace a connector's address, secret variable, mapping and state (same kind)."""
    if (denied := _heads_only(request)) is not None:
        return denied
    connector_id = required_path_id(request, ID)
    services = request.app[SERVICES]
    try:
        new = setup.parse_connector(await json_body(request), services.settings)
    except ConnectorInvalid as err:
        return error_response(422, "invalid_field", err.message, field=err.field)
    current = await setup.get_connector(services.storage, connector_id)
    if current is None:
        return _not_found(connector_id)
    if current.connector != new.kind:
        return error_response(
            422, "invalid_field", "a connector's kind cannot change", field="kind"
        )
    changed = await setup.update_connector(services.storage, connector_id, new)
    if changed is None:
        return _not_found(connector_id)
    return json_response(setup.connector_json(changed))


@require_manager
async def delete_route(request: web.Request) -> web.StreamResponse:
    """Remove a connector with its delivery log and remote ids; heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    connector_id = required_path_id(request, ID)
    if not await setup.delete_connector(request.app[SERVICES].storage, connector_id):
        return _not_found(connector_id)
    return web.Response(status=204)


@require_manager
async def test_route(request: web.Request) -> web.StreamResponse:
    """Create a test lead in the remote CRM now; its id, or 502 with what the CRM said."""
    if (denied := _heads_only(request)) is not None:
        return denied
    connector_id = required_path_id(request, ID)
    services = request.app[SERVICES]
    found = await setup.get_connector(services.storage, connector_id)
    if found is None:
        return _not_found(connector_id)
    try:
        remote_id = await send_test_lead(services.storage, services.settings, found)
    except RemoteFailed as err:
        message = err.message if err.status is None else f"{err.message} ({err.status})"
        return error_response(502, "connector_failed", message, field=ID)
    return json_response({"remote_id": remote_id, "kind": found.connector})


@require_manager
async def deliveries_route(request: web.Request) -> web.StreamResponse:
    """A connector's deliveries, newest first (`before_id` pages); heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    connector_id = required_path_id(request, ID)
    limit = query_limit(request)
    before_id = query_id(request, "before_id")
    storage = request.app[SERVICES].storage
    if await setup.get_connector(storage, connector_id) is None:
        return _not_found(connector_id)
    found = await subs.deliveries(storage, connector_id, None, limit, before_id)
    return json_response({"items": [subs.delivery_json(d) for d in found]})


@require_manager
async def replay_dead_route(request: web.Request) -> web.StreamResponse:
    """Try every dead letter of a connector again; returns how many."""
    if (denied := _heads_only(request)) is not None:
        return denied
    connector_id = required_path_id(request, ID)
    storage = request.app[SERVICES].storage
    if await setup.get_connector(storage, connector_id) is None:
        return _not_found(connector_id)
    return json_response({"replayed": await subs.replay(storage, connector_id, None)})


def _not_found(connector_id: int) -> web.Response:
    return error_response(404, "not_found", f"no connector {connector_id}", field=ID)


def _heads_only(request: web.Request) -> web.Response | None:
    if may_change_settings(current_manager(request)):
        return None
    return error_response(
        403, "forbidden", "only a head of sales manages connectors", field="Authorization"
    )
