"""Настройки → Справочники: the head edits the junk reasons, phone lines and extensions.

The same code as /api/v1/settings/{junk-reasons,lines,extensions} (`intake.settings_changes`
and the config checker): this page turns a row's form into a document and shows what was
refused next to the list it belongs to.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from config.sales_documents import EXTENSIONS, JUNK_REASONS, LINE_FIELDS, LINES
from crm_core.access import may_change_settings
from crm_core.errors import DomainError
from crm_core.model import Manager
from intake.bootstrap import load_team
from intake.http.keys import SERVICES
from intake.settings_changes import (
    STALE,
    create_document,
    delete_document,
    list_documents,
    update_document,
)
from workplace.pages.settings_forms import russian
from workplace.pages.shared import phone, render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/lists"
RUSSIAN_DIGITS = 11  # 7 and ten digits: a Russian number as lines are stored
HEADS_ONLY = "Справочники доступны только руководителю отдела продаж."
# The page's path segment → the kind, and the fields a row's form carries.
KINDS = {"junk-reasons": JUNK_REASONS, "lines": LINES, "extensions": EXTENSIONS}
FIELDS = {
    JUNK_REASONS: ("key", "name"),
    LINES: ("line", *LINE_FIELDS),
    EXTENSIONS: ("extension", "login"),
}
TITLES = {JUNK_REASONS: "Причина брака", LINES: "Линия", EXTENSIONS: "Добавочный"}


async def page(request: web.Request) -> web.StreamResponse:
    """The junk reasons, phone lines and extensions, each editable; heads only."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    return await _render(request, me)


async def create(request: web.Request) -> web.StreamResponse:
    """Add a junk reason, line or extension from the page's form."""
    me, kind = await viewer(request), _kind(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    doc = _document(kind, await request.post())
    try:
        await create_document(request.app[SERVICES], me, kind, doc)
    except DomainError as err:
        return await _render(request, me, error=(kind, _refusal(err)), draft=(kind, doc))
    raise web.HTTPSeeOther(f"{SECTION}?saved={quote(kind)}#{kind}")


async def update(request: web.Request) -> web.StreamResponse:
    """Save one row (refused as stale when someone saved it meanwhile)."""
    me, kind = await viewer(request), _kind(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    form = await request.post()
    key = request.match_info["key"]
    try:
        await update_document(
            request.app[SERVICES], me, kind, key, _document(kind, form), _version(form)
        )
    except DomainError as err:
        return await _render(request, me, error=(kind, _refusal(err)))
    raise web.HTTPSeeOther(f"{SECTION}?saved={quote(kind)}#{kind}")


async def delete(request: web.Request) -> web.StreamResponse:
    """Delete one row (refused while something needs it: the last junk reason...)."""
    me, kind = await viewer(request), _kind(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    form = await request.post()
    try:
        await delete_document(
            request.app[SERVICES], me, kind, request.match_info["key"], _version(form)
        )
    except DomainError as err:
        return await _render(request, me, error=(kind, _refusal(err)))
    raise web.HTTPSeeOther(f"{SECTION}?deleted={quote(kind)}#{kind}")


async def _render(
    request: web.Request,
    me: Manager,
    *,
    error: tuple[str, str] | None = None,
    draft: tuple[str, dict[str, Any]] | None = None,
) -> web.Response:
    services = request.app[SERVICES]
    await load_team(services)
    settings = services.sales.settings
    context = {
        "reasons": await list_documents(services, JUNK_REASONS),
        "lines": await list_documents(services, LINES),
        "extensions": await list_documents(services, EXTENSIONS),
        "queues": [(q.key, q.name) for q in settings.queues],
        "pipelines": [(p.key, p.name) for p in settings.pipelines],
        "team": sorted(
            ((m.login, m.name) for m in services.sales.team.managers.values() if m.active),
            key=lambda pair: pair[1],
        ),
        "errors": dict([error]) if error else {},
        "drafts": dict([draft]) if draft else {},
        "saved": request.query.get("saved"),
        "deleted": request.query.get("deleted"),
        "titles": TITLES,
        "line_number": line_number,
    }
    status = 422 if error else 200
    return render(request, "settings_lists.html", me, context, status=status, section=SECTION)


def line_number(line: str) -> str:
    """A stored line (digits only) as people write it: +7 495 123-45-67 for a Russian number,
    a short or foreign number as stored."""
    if len(line) == RUSSIAN_DIGITS and line.startswith("7"):
        return phone(f"+{line}")
    return line


def _kind(request: web.Request) -> str:
    kind = KINDS.get(request.match_info["kind"])
    if kind is None:
        raise web.HTTPNotFound()
    return kind


def _document(kind: str, form: MultiDictProxy[Any]) -> dict[str, Any]:
    """The row's document: its non-empty fields (the checker decides whether it is right)."""
    doc: dict[str, Any] = {}
    for name in FIELDS[kind]:
        value = str(form.get(name, "")).strip()
        if value:
            doc[name] = value
    return doc


def _version(form: MultiDictProxy[Any]) -> int:
    raw = str(form.get("version", ""))
    return int(raw) if raw.isascii() and raw.isdecimal() and int(raw) >= 1 else 1


def _refusal(err: DomainError) -> str:
    if err.field == "version":
        return f"Не сохранено: {STALE}. Обновите страницу и повторите."
    message = russian(err.message)
    return f"{err.field}: {message}" if err.field else message
