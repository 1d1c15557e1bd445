"""Настройки → Очереди: the head edits the queues and sees who would get the next lead.

Every rule is `intake.settings_changes`' and the config checker's; this page turns the form
into a queue document, shows what was refused next to its field, and shows the routing
preview (`intake.queue_preview`, the code a real lead goes through, run without writing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from channels.registry import CHANNELS
from config.settings import FALLBACK_WAIT
from crm_core.access import may_change_settings
from crm_core.errors import DomainError
from crm_core.model import Manager
from intake.bootstrap import Services, load_team
from intake.http.keys import SERVICES
from intake.queue_preview import (
    CHANNEL_NAMES,
    RoutePreview,
    member_state,
    preview_of_channel,
    preview_of_form,
    preview_of_queue,
)
from intake.settings_changes import (
    STALE,
    create_document,
    delete_document,
    list_documents,
    update_document,
)
from workplace.pages.settings_forms import russian
from workplace.pages.shared import render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/queues"
KIND = "queues"
HEADS_ONLY = "Настройки очередей доступны только руководителю отдела продаж."
NEW = "__new__"  # the add form's slot in `errors` and `drafts`
# Where a refusal is shown: the checker's field (its path inside the queue) → the form's.
FIELD_SLOTS = (
    ("key", "key"),
    ("name", "name"),
    ("managers", "managers"),
    ("fallback", "fallback"),
    ("acceptance_timeout", "acceptance_timeout"),
    ("channels", "channels"),
    ("version", "form"),
)
_FORM_QUEUE = re.compile(r"forms\[(\d+)\]\.queue")
_NOT_A_HEAD = re.compile(r"must be a head of sales \(role 'head'\); '(.*)' is a manager")
_DURATION = re.compile(r"(\d+)([dhms])")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass
class Draft:
    """A queue as the edit form shows it (from the stored document, or as submitted)."""

    key: str = ""
    name: str = ""
    members: dict[str, tuple[str, str]] = field(default_factory=dict)  # login → weight, cap
    fallback: str = ""
    timeout_minutes: str = ""
    channels: tuple[str, ...] = ()
    version: int = 0


async def page(request: web.Request) -> web.StreamResponse:
    """Every queue in order with its members, routes and preview; heads only."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    return await _render(request, me)


async def create(request: web.Request) -> web.StreamResponse:
    """Add a queue from the page's form."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    form = await request.post()
    draft, mistakes = _draft(form, str(form.get("key", "")).strip())
    if not draft.key:
        mistakes["key"] = "Укажите ключ: строчные латинские буквы, цифры, «-» или «_»."
    if not mistakes:
        try:
            await create_document(request.app[SERVICES], me, KIND, _document(draft))
        except DomainError as err:
            mistakes = _placed(err, _names(request))
    if mistakes:
        return await _render(request, me, errors={NEW: mistakes}, drafts={NEW: draft})
    raise web.HTTPSeeOther(f"{SECTION}?saved={quote(draft.key)}#queue-{quote(draft.key)}")


async def update(request: web.Request) -> web.StreamResponse:
    """Save a queue's edit form (refused as stale when someone saved it meanwhile)."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    key = request.match_info["key"]
    form = await request.post()
    draft, mistakes = _draft(form, key)
    if not mistakes:
        try:
            await update_document(
                request.app[SERVICES], me, KIND, key, _document(draft), draft.version
            )
        except DomainError as err:
            mistakes = _placed(err, _names(request))
    if mistakes:
        return await _render(request, me, errors={key: mistakes}, drafts={key: draft})
    raise web.HTTPSeeOther(f"{SECTION}?saved={quote(key)}#queue-{quote(key)}")


async def delete(request: web.Request) -> web.StreamResponse:
    """Delete a queue nothing names (refused with the reason otherwise)."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    key = request.match_info["key"]
    form = await request.post()
    version = _positive(str(form.get("version", "")))
    services = request.app[SERVICES]
    try:
        await delete_document(services, me, KIND, key, version)
    except DomainError as err:
        errors = {key: {"form": _delete_refusal(services, err)}}
        return await _render(request, me, errors=errors)
    raise web.HTTPSeeOther(f"{SECTION}?deleted={quote(key)}")


@dataclass(frozen=True, slots=True)
class QueueCard:
    """One queue as the page lists it."""

    key: str
    name: str
    version: int
    members: list[dict[str, Any]]
    fallback: str
    timeout: str
    channels: list[str]
    forms: list[str]
    sources: list[str]
    preview: RoutePreview
    draft: Draft


async def _render(
    request: web.Request,
    me: Manager,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    drafts: dict[str, Draft] | None = None,
) -> web.Response:
    services = request.app[SERVICES]
    await load_team(services)
    errors = errors or {}
    drafts = drafts or {}
    stored = await list_documents(services, KIND)
    settings = services.sales.settings
    team = sorted(services.sales.team.managers.values(), key=lambda m: (not m.active, m.name))
    names = {m.login: m.name for m in team}
    routes = await _routes(services)
    cards = []
    for doc in stored:
        data = doc.data
        draft = _draft_of(data, doc.version)
        members = []
        preview = await preview_of_queue(services, doc.key, reload=False)
        states = {preview.who(m.manager_id)[0]: m for m in preview.preview.members}
        for login, (weight, capacity) in draft.members.items():
            state = states.get(login)
            members.append(
                {
                    "login": login,
                    "name": names.get(login, login),
                    "weight": weight,
                    "capacity": capacity,
                    "state": member_state(state) if state else "",
                    "today": state.assigned_today if state else 0,
                }
            )
        fallback = data.get("fallback")
        cards.append(
            QueueCard(
                key=doc.key,
                name=str(data.get("name", doc.key)),
                version=doc.version,
                members=members,
                fallback=(
                    names.get(fallback, fallback)
                    if fallback and fallback != FALLBACK_WAIT
                    else "ждать первого на смене"
                ),
                timeout=_minutes_text(draft.timeout_minutes),
                channels=[CHANNEL_NAMES.get(c, c) for c in data.get("channels", ())],
                forms=[r["what"] for r in routes if r["queue"] == doc.key and r["form"]],
                sources=[r["what"] for r in routes if r["queue"] == doc.key and not r["form"]],
                preview=preview,
                draft=drafts.get(doc.key, draft),
            )
        )
    context = {
        "cards": cards,
        "routes": routes,
        "team": team,
        "heads": [m for m in team if m.is_head and m.active],
        "channel_names": CHANNEL_NAMES,
        "errors": errors,
        "new": drafts.get(NEW, Draft(members={})),
        "saved": next(
            (c.name for c in cards if c.key == request.query.get("saved")),
            request.query.get("saved"),
        ),
        "deleted": request.query.get("deleted"),
        "state_class": _state_class,
        "member_rows": lambda draft: _member_rows(draft, team),
        "stale": STALE,
        "forms_count": len(settings.forms),
    }
    status = 422 if errors else 200
    return render(request, "settings_queues.html", me, context, status=status, section=SECTION)


async def _routes(services: Services) -> list[dict[str, Any]]:
    """Each form, channel and channel source with the queue and manager its next lead gets."""
    settings = services.sales.settings
    rows: list[dict[str, Any]] = []
    for form in settings.forms:
        found = await preview_of_form(services, form.key, reload=False)
        rows.append(_route_row(f"Форма «{form.name}»", found, form=True))
    for channel, label in CHANNEL_NAMES.items():
        if channel == "webform":
            continue
        found = await preview_of_channel(services, channel, reload=False)
        rows.append(_route_row(label, found, form=False))
    for spec in CHANNELS:
        for section in spec.settings:
            if not section.routed:
                continue
            for source in settings.channel(section.attribute):
                if getattr(source, "queue", None):
                    found = await preview_of_channel(
                        services, spec.name, source.name, reload=False
                    )
                    label = CHANNEL_NAMES.get(spec.name, spec.name)
                    rows.append(_route_row(f"{label}: {source.name}", found, form=False))
    return rows


def _route_row(what: str, found: RoutePreview, *, form: bool) -> dict[str, Any]:
    decision = found.preview.decision
    who = found.who(decision.manager_id)[1] if decision.manager_id is not None else ""
    return {
        "what": what,
        "form": form,
        "queue": found.queue.key if found.queue else None,
        "queue_name": found.queue.name if found.queue else "—",
        "route_reason": found.route_reason,
        "who": who,
        "reason": decision.reason,
        "kind": decision.kind.value,
    }


def _names(request: web.Request) -> dict[str, str]:
    """Login → name of everyone on the team."""
    return {m.login: m.name for m in request.app[SERVICES].sales.team.managers.values()}


def _member_rows(draft: Draft, team: list[Manager]) -> list[dict[str, Any]]:
    """The edit form's member rows: the queue's members in order, then everyone else active."""
    by_login = {m.login: m for m in team}
    others = [m.login for m in team if m.active and m.login not in draft.members]
    logins = [*draft.members, *others]
    rows = []
    for login in logins:
        manager = by_login.get(login)
        weight, capacity = draft.members.get(login, ("1", ""))
        rows.append(
            {
                "login": login,
                "name": manager.name if manager else login,
                "head": bool(manager and manager.is_head),
                "inactive": bool(manager and not manager.active),
                "checked": login in draft.members,
                "weight": weight,
                "capacity": capacity,
            }
        )
    return rows


def _state_class(state: str) -> str:
    return {
        "на смене": "duty-on",
        "отсутствует": "duty-absent",
        "лимит на сегодня исчерпан": "duty-absent",
    }.get(state, "duty-off")


def _draft_of(data: Any, version: int) -> Draft:
    """The edit form's values of a stored queue document."""
    members: dict[str, tuple[str, str]] = {}
    for entry in data.get("managers", ()):
        if isinstance(entry, str):
            members[entry] = ("1", "")
        else:
            capacity = entry.get("capacity")
            members[entry["login"]] = (
                str(entry.get("weight", 1)),
                "" if capacity is None else str(capacity),
            )
    fallback = data.get("fallback") or ""
    return Draft(
        key=str(data.get("key", "")),
        name=str(data.get("name", "")),
        members=members,
        fallback="" if fallback == FALLBACK_WAIT else fallback,
        timeout_minutes=_minutes(data.get("acceptance_timeout")),
        channels=tuple(data.get("channels", ())),
        version=version,
    )


def _draft(form: MultiDictProxy[Any], key: str) -> tuple[Draft, dict[str, str]]:
    """The submitted queue, and our own Russian complaints about values that are no number."""
    mistakes: dict[str, str] = {}
    members: dict[str, tuple[str, str]] = {}
    for login in form.getall("member", []):
        login = str(login)
        weight = str(form.get(f"weight.{login}", "1")).strip() or "1"
        capacity = str(form.get(f"capacity.{login}", "")).strip()
        if not weight.isdecimal() or int(weight) < 1:
            mistakes["managers"] = f"Вес менеджера {login} — целое число от 1."
        if capacity and (not capacity.isdecimal() or int(capacity) < 1):
            mistakes["managers"] = (
                f"Лимит в день менеджера {login} — целое число от 1 или пусто (без лимита)."
            )
        members[login] = (weight, capacity)
    timeout = str(form.get("timeout_minutes", "")).strip()
    if timeout and (not timeout.isdecimal() or int(timeout) < 1):
        mistakes["acceptance_timeout"] = (
            "Время на взятие — целое число минут от 1 или пусто (без ограничения)."
        )
    draft = Draft(
        key=key,
        name=str(form.get("name", "")).strip(),
        members=members,
        fallback=str(form.get("fallback", "")),
        timeout_minutes=timeout,
        channels=tuple(str(c) for c in form.getall("channel", [])),
        version=_positive(str(form.get("version", ""))) or 0,
    )
    return draft, mistakes


def _document(draft: Draft) -> dict[str, Any]:
    """A queue document of the submitted form (the checker decides whether it is right)."""
    members: list[Any] = []
    for login, (weight, capacity) in draft.members.items():
        member: dict[str, Any] = {"login": login, "weight": int(weight)}
        if capacity:
            member["capacity"] = int(capacity)
        members.append(member)
    doc: dict[str, Any] = {"key": draft.key, "name": draft.name, "managers": members}
    if draft.fallback:
        doc["fallback"] = draft.fallback
    if draft.timeout_minutes:
        doc["acceptance_timeout"] = f"{int(draft.timeout_minutes)}m"
    if draft.channels:
        doc["channels"] = list(draft.channels)
    return doc


def _placed(err: DomainError, names: dict[str, str]) -> dict[str, str]:
    """A refusal next to its field: in Russian where the settings pages translate the
    checker's message (workplace.pages.settings_forms), else as the checker names it."""
    if err.field == "version":
        return {"form": f"Не сохранено: {STALE}. Обновите страницу и повторите."}
    not_a_head = _NOT_A_HEAD.search(err.message)
    if err.field == "fallback" and not_a_head is not None:
        who = names.get(not_a_head.group(1), not_a_head.group(1))
        return {
            "fallback": f"Резервом очереди может быть только руководитель, а «{who}» — менеджер."
        }
    for prefix, slot in FIELD_SLOTS:
        if err.field == prefix or err.field.startswith((f"{prefix}[", f"{prefix}.")):
            return {slot: russian(err.message)}
    # Another object's field (`forms[1].queue`): named, so the head knows where to look.
    message = russian(err.message)
    return {"form": f"{err.field}: {message}" if err.field and message != err.message else message}


def _delete_refusal(services: Services, err: DomainError) -> str:
    """Why a queue cannot be deleted, naming the form or channel that still sends to it."""
    if err.field == "version":
        return f"Не удалено: {STALE}. Обновите страницу."
    named = _FORM_QUEUE.fullmatch(err.field)
    forms = services.sales.settings.forms
    if named is not None and int(named.group(1)) < len(forms):
        form = forms[int(named.group(1))]
        return (
            f"Очередь нельзя удалить: в неё направляет заявки форма «{form.name}». Сначала"
            f" выберите для формы другую очередь. ({err.message})"
        )
    if getattr(err, "rule", None) == "still_used":
        return f"Очередь нельзя удалить: её указывает источник канала. ({err.message})"
    return f"Очередь нельзя удалить: {err.message}"


def _minutes(text: Any) -> str:
    """ "1h30m" as "90" (whole minutes; seconds round up)."""
    if not isinstance(text, str):
        return ""
    seconds = sum(int(n) * _SECONDS[unit] for n, unit in _DURATION.findall(text))
    return str(-(-seconds // 60)) if seconds else ""


def _minutes_text(minutes: str) -> str:
    if not minutes:
        return "без ограничения"
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} ч {rest} мин"
    return f"{hours} ч" if hours else f"{rest} мин"


def _positive(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdecimal() and int(raw) >= 1 else None
