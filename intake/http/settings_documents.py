"""/api/v1/settings/{queues,pipelines,forms,junk-reasons,lines,extensions}: the head edits
the sales setup over HTTP.

One set of handlers serves every kind (the kind is bound when the routes are added);
every rule lives in `intake.settings_changes` and the config checker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crm_core.access import may_change_settings
from crm_core.errors import DomainError
from crm_core.storage.ports import StoredSetting
from intake.form_snippets import Snippet, snippet, with_secret
from intake.form_snippets import mask as mask  # the API's mask: channel pages use it too
from intake.form_submissions import forget_form
from intake.http.body import json_body
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.http.settings_paths import document_path
from intake.pipeline_changes import move_stage_deals
from intake.settings_changes import (
    EDITABLE,
    create_document,
    delete_document,
    get_document,
    list_documents,
    update_document,
)

FORMS = "forms"
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def document_routes(kind: str) -> list[tuple[str, str, Route]]:
    """(method, path, handler) of one kind's list, create, read, replace and delete."""
    assert kind in EDITABLE
    base = document_path(kind)

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
        generated = None
        if kind == FORMS:
            body, generated = with_secret(body)
        try:
            stored = await create_document(
                request.app[SERVICES], current_manager(request), kind, body
            )
        except DomainError as err:
            return refused(err)
        return json_response(document_json(stored, generated), status=201)

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
        services, key, generated = request.app[SERVICES], request.match_info["key"], None
        try:
            if kind == FORMS:
                current = (await get_document(services, kind, key)).data.get("secret")
                body, generated = with_secret(body, None if current is None else str(current))
            stored = await update_document(
                services, current_manager(request), kind, key, body, version
            )
        except DomainError as err:
            return refused(err)
        return json_response(document_json(stored, generated))

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
        if kind == FORMS:
            services = request.app[SERVICES]
            await forget_form(services.form_log, services.storage, stored.key)
        return json_response({"deleted": document_json(stored)})

    extra = [("GET", base + "/{key}/snippet", form_snippet_route)] if kind == FORMS else []
    return [
        *extra,
        ("GET", base, list_route),
        ("POST", base, create_route),
        ("GET", base + "/{key}", get_route),
        ("PUT", base + "/{key}", update_route),
        ("DELETE", base + "/{key}", delete_route),
    ]


@require_manager
async def move_deals_route(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/settings/pipelines/{key}/stages/{stage}/move-deals `{"to": "<stage>"}`."""
    if (denied := heads_only(request)) is not None:
        return denied
    body = await json_body(request)
    to = body.get("to")
    if not isinstance(to, str) or not to.strip():
        return error_response(400, "invalid_body", "to must be a stage's key", field="to")
    try:
        moved = await move_stage_deals(
            request.app[SERVICES],
            current_manager(request),
            request.match_info["key"],
            request.match_info["stage"],
            to.strip(),
        )
    except DomainError as err:
        return refused(err)
    return json_response({"moved": moved, "to": to.strip()})


def document_json(stored: StoredSetting, generated: str | None = None) -> dict[str, Any]:
    """A stored queue, pipeline or form as the API shows it: its document (a form's secret
    masked) and version; a secret just generated is shown in full, this once."""
    data = dict(stored.data)
    if "secret" in data:
        data["secret"] = mask(str(data["secret"]))
    shown: dict[str, Any] = {
        "key": stored.key,
        "data": data,
        "version": stored.version,
        "updated_at": stored.updated_at.isoformat(),
        "updated_by": stored.updated_by,
    }
    if generated is not None:
        shown["secret"] = generated
    return shown


@require_manager
async def form_snippet_route(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/settings/forms/{key}/snippet: the HTML form and Tilda webhook URL."""
    if (denied := heads_only(request)) is not None:
        return denied
    services = request.app[SERVICES]
    form = services.settings.form(request.match_info["key"])
    if form is None:
        key = request.match_info["key"]
        return error_response(404, "not_found", f"no form {key!r}", field="key")
    return json_response(snippet_json(snippet(form, services.settings.http.public_url)))


def snippet_json(found: Snippet) -> dict[str, Any]:
    """A form's snippet as the API shows it."""
    return {
        "key": found.key,
        "action": found.action,
        "html": found.html,
        "tilda_webhook_url": found.tilda_webhook_url,
        "secret_field": found.secret_field,
        "secret_header": found.secret_header,
        "public_html": found.public_html,
        "warning": found.warning,
        "server_example": found.server_example,
    }


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
