"""/api/v1/settings/{queues,pipelines,forms}: the head edits the sales setup over HTTP.

One set of handlers serves the three kinds (the kind is bound when the routes are added);
every rule lives in `intake.settings_changes` and the config checker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crm_core.access import may_change_settings
from crm_core.errors import DomainError
from crm_core.storage.ports import StoredSetting
from intake.http.body import json_body
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.settings_changes import (
    EDITABLE,
    create_document,
    delete_document,
    get_document,
    list_documents,
    update_document,
)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def document_routes(kind: str) -> list[tuple[str, str, Route]]:
    """(method, path, handler) of one kind's list, create, read, replace and delete."""
    assert kind in EDITABLE
    base = f"/api/v1/settings/{kind}"

    @require_manager
    async def list_route(request: web.Request) -> web.StreamResponse:
        if (denied := heads_only(request)) is not None:
            return denied
        items = await list_documents(request.app[SERVICES], kind)
        return json_response({"items": [document_json(s) for s in items]})

    @require_manager
    async def create_route(request: web.Request) -> web.StreamResponse:
        if (denied := heads_only(request)) is not None:
            return denied
        body = await json_body(request)
        try:
            stored = await create_document(
                request.app[SERVICES], current_manager(request), kind, body
            )
        except DomainError as err:
            return refused(err)
        return json_response(document_json(stored), status=201)

    @require_manager
    async def get_route(request: web.Request) -> web.StreamResponse:
        if (denied := heads_only(request)) is not None:
            return denied
        try:
            stored = await get_document(request.app[SERVICES], kind, request.match_info["key"])
        except DomainError as err:
            return refused(err)
        return json_response(document_json(stored))

    @require_manager
    async def update_route(request: web.Request) -> web.StreamResponse:
        if (denied := heads_only(request)) is not None:
            return denied
        body = await json_body(request)
        version = body.pop("version", None)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            return error_response(
                400, "invalid_body", "version must be the integer version read", field="version"
            )
        try:
            stored = await update_document(
                request.app[SERVICES],
                current_manager(request),
                kind,
                request.match_info["key"],
                body,
                version,
            )
        except DomainError as err:
            return refused(err)
        return json_response(document_json(stored))

    @require_manager
    async def delete_route(request: web.Request) -> web.StreamResponse:
        if (denied := heads_only(request)) is not None:
            return denied
        raw = request.query.get("version")
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            return error_response(
                400, "invalid_query", "version must be a positive integer", field="version"
            )
        try:
            stored = await delete_document(
                request.app[SERVICES],
                current_manager(request),
                kind,
                request.match_info["key"],
                None if raw is None else int(raw),
            )
        except DomainError as err:
            return refused(err)
        return json_response({"deleted": document_json(stored)})

    return [
        ("GET", base, list_route),
        ("POST", base, create_route),
        ("GET", base + "/{key}", get_route),
        ("PUT", base + "/{key}", update_route),
        ("DELETE", base + "/{key}", delete_route),
    ]


def document_json(stored: StoredSetting) -> dict[str, Any]:
    """A stored queue, pipeline or form as the API shows it: its document and version."""
    data = dict(stored.data)
    if "secret" in data:
        data["secret"] = mask(str(data["secret"]))
    return {
        "key": stored.key,
        "data": data,
        "version": stored.version,
        "updated_at": stored.updated_at.isoformat(),
        "updated_by": stored.updated_by,
    }


def mask(secret: str) -> str:
    """A secret never shown back in full: its last 4 characters at most."""
    return "••••" + (secret[-4:] if len(secret) >= 12 else "")


def refused(err: DomainError) -> web.Response:
    """A refused change as the API's error body."""
    return error_response(err.status, error_code(err), err.message, field=err.field)


def heads_only(request: web.Request) -> web.Response | None:
    """403 unless the caller may change the sales setup (crm_core.access)."""
    if may_change_settings(current_manager(request)):
        return None
    return error_response(
        403, "forbidden", "only a head of sales changes the sales settings", field="Authorization"
    )
