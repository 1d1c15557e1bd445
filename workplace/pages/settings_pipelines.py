"""Настройки → Воронки: the head adds pipelines and shapes their stages (order, names,
colours, kinds, required fields, tasks on entry), the stage order mode and lost reasons.

Every change goes through `intake.settings_changes` (the config checker, the optimistic
version, the audit, the deals guard), as the API's does; a refusal is shown next to the
field it names. A pipeline is one form: its buttons (save, a stage up or down, delete, add)
each save the whole pipeline as edited, so nothing typed is lost on a move.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from crm_core.access import may_change_settings
from crm_core.errors import DomainError
from crm_core.model import Manager
from intake.bootstrap import Services
from intake.http.keys import SERVICES
from intake.pipeline_changes import deals_text, move_stage_deals
from intake.settings_changes import (
    STALE,
    create_document,
    list_documents,
    update_document,
)
from workplace.pages.deals_board import FIELD_NAMES
from workplace.pages.shared import render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/pipelines"
HEADS_ONLY = "Настройки воронок доступны только руководителю отдела продаж."
STAGE_ORDERS = {
    "free": "Свободный: на любой этап",
    "semi_strict": "Полустрогий: любые этапы, но все до «Успешно»",
    "strict": "Строгий: только на следующий этап",
}
STAGE_KINDS = {"open": "В работе", "won": "Успешно", "lost": "Провалено"}
# The deal follows the money: at most one open stage of a pipeline carries each flag.
MONEY_FLAGS = {
    "on_invoice": "Сюда при выставлении счёта",
    "on_payment": "Сюда при полной оплате",
}
TASK_TYPES = {"call": "Звонок", "meeting": "Встреча", "email": "Письмо", "task": "Задача"}
# A new pipeline starts with the three stages every pipeline needs; the head renames them.
NEW_PIPELINE_STAGES = (
    {"key": "new", "name": "Новая", "kind": "open"},
    {"key": "won", "name": "Успешно", "kind": "won"},
    {"key": "lost", "name": "Провалено", "kind": "lost"},
)
_STAGE_FIELD = re.compile(r"stages\[(\d+)\](?:\.(.+))?")
_ACTION = re.compile(r"(up|down|delete):(\d+)")


@dataclass
class PipelineForm:
    """One pipeline as its form shows it: the document (as stored or as typed), its version,
    how many deals stand in each stage, and the refusals by field."""

    key: str
    version: int
    data: dict[str, Any]
    counts: Mapping[str, int]
    errors: dict[str, str] = field(default_factory=dict)
    stage_errors: dict[int, dict[str, str]] = field(default_factory=dict)
    offer_move: str | None = None

    def error(self, name: str) -> str:
        """The refusal of a pipeline-level field, or ''."""
        return self.errors.get(name, "")

    def stage_error(self, index: int, name: str = "") -> str:
        """The refusal of one stage's field ('' for the stage as a whole), or ''."""
        return self.stage_errors.get(index, {}).get(name, "")


async def page(request: web.Request) -> web.StreamResponse:
    """Every pipeline with its stages in order, and the form to add one."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    notice = _notice(request.query)
    return await _render(request, me, notice=notice)


async def add_pipeline(request: web.Request) -> web.StreamResponse:
    """Add a pipeline with a first open stage, a won and a lost one (renamed afterwards)."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    form = await request.post()
    doc = {
        "key": _text(form, "key"),
        "name": _text(form, "name"),
        "stages": [dict(s) for s in NEW_PIPELINE_STAGES],
    }
    try:
        await create_document(request.app[SERVICES], me, "pipelines", doc)
    except DomainError as err:
        new_errors = {err.field if err.field in ("key", "name") else "key": err.message}
        return await _render(
            request, me, status=err.status, new=doc, new_errors=new_errors, notice=None
        )
    raise web.HTTPSeeOther(f"{SECTION}?saved={doc['key']}#pipeline-{doc['key']}")


async def save_pipeline(request: web.Request) -> web.StreamResponse:
    """Save a pipeline as edited, after the button's own step: a stage up, down, deleted or
    added (the version read must still be the stored one)."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    key = request.match_info["key"]
    form = await request.post()
    typed = pipeline_from_form(key, form)
    version = _version(form)
    action = str(form.get("action") or "save")
    wanted, errors = apply_action(typed, action, form)
    edited = PipelineForm(key, version, wanted, {}, {})
    if not errors:
        try:
            await update_document(request.app[SERVICES], me, "pipelines", key, wanted, version)
        except DomainError as err:
            deleted = _ACTION.fullmatch(action)
            if getattr(err, "rule", None) == "stage_has_deals" and deleted:
                # The stage stays on the page, with the offer to move its deals.
                index = int(deleted.group(2))
                edited = PipelineForm(key, version, typed, {}, {})
                # The page offers the move right below: the API's route name is not for it.
                edited.stage_errors[index] = {"": err.message.replace(" (move-deals)", "")}
                edited.offer_move = typed["stages"][index]["key"]
            else:
                place_error(edited, err.field, _message(err))
            return await _render(request, me, status=err.status, edited=edited)
        raise web.HTTPSeeOther(f"{SECTION}?saved={key}#pipeline-{key}")
    for name, message in errors.items():
        place_error(edited, name, message)
    return await _render(request, me, status=422, edited=edited)


async def move_deals(request: web.Request) -> web.StreamResponse:
    """Move a stage's deals to another stage (so the stage can then be deleted)."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    key, stage = request.match_info["key"], request.match_info["stage"]
    form = await request.post()
    try:
        moved = await move_stage_deals(request.app[SERVICES], me, key, stage, _text(form, "to"))
    except DomainError as err:
        return await _render(
            request,
            me,
            status=err.status,
            notice=("error", f"Сделки не перенесены: {err.message}"),
            anchor=key,
        )
    raise web.HTTPSeeOther(f"{SECTION}?moved={len(moved)}&from={stage}#pipeline-{key}")


def pipeline_from_form(key: str, form: MultiMapping[Any]) -> dict[str, Any]:
    """The pipeline document the form holds (stages in the form's order)."""
    stages = []
    for i in range(_int(form.get("stage_count"), 0, 200)):
        prefix = f"stage-{i}-"
        tasks = []
        for j in range(_int(form.get(f"{prefix}task_count"), 0, 50) + 1):
            title = _text(form, f"{prefix}task-{j}-title")
            if title:
                tasks.append(
                    {
                        "title": title,
                        "type": _text(form, f"{prefix}task-{j}-type") or "call",
                        "due_in": _text(form, f"{prefix}task-{j}-due_in"),
                    }
                )
        stage: dict[str, Any] = {
            "key": _text(form, f"{prefix}key"),
            "name": _text(form, f"{prefix}name"),
            "kind": _text(form, f"{prefix}kind") or "open",
            "required_fields": _list(form.getall(f"{prefix}required", [])),
            "tasks": tasks,
        }
        for flag in MONEY_FLAGS:
            if form.get(f"{prefix}{flag}"):
                stage[flag] = True
        color = _text(form, f"{prefix}color")
        if color and not form.get(f"{prefix}no_color"):
            stage["color"] = color
        stages.append(stage)
    return {
        "key": key,
        "name": _text(form, "name"),
        "stage_order": _text(form, "stage_order") or "free",
        "require_next_activity": bool(form.get("require_next_activity")),
        "lost_requires_approval": bool(form.get("lost_requires_approval")),
        "won_requires_shipment": bool(form.get("won_requires_shipment")),
        "ship_before_payment": bool(form.get("ship_before_payment")),
        "lost_reasons": _lines(_text(form, "lost_reasons", strip=False)),
        "stages": stages,
    }


def apply_action(
    doc: dict[str, Any], action: str, form: MultiMapping[Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The document after the pressed button's step, and refusals of the page's own inputs
    (the rules themselves are the config checker's)."""
    stages = list(doc["stages"])
    step = _ACTION.fullmatch(action)
    if step is not None:
        verb, index = step.group(1), int(step.group(2))
        if index >= len(stages):
            return doc, {"stages": "Этап не найден: обновите страницу."}
        if verb == "delete":
            del stages[index]
        else:
            other = index - 1 if verb == "up" else index + 1
            if 0 <= other < len(stages):
                stages[index], stages[other] = stages[other], stages[index]
    elif action == "add" or (action == "save" and _text(form, "new-name")):
        # Enter in the new stage's name saves the form: the stage typed is added, not lost.
        name = _text(form, "new-name")
        if not name:
            return doc, {"new-name": "Введите название этапа."}
        kind = _text(form, "new-kind") or "open"
        taken = {s["key"] for s in stages}
        key = _text(form, "new-key") or _free_key(taken)
        new: dict[str, Any] = {"key": key, "name": name, "kind": kind}
        color = _text(form, "new-color")
        if color and not form.get("new-no_color"):
            new["color"] = color
        # Open stages come before the won and lost ones; a new lost stage goes last.
        at = len(stages)
        if kind == "open":
            at = next((i for i, s in enumerate(stages) if s.get("kind") != "open"), len(stages))
        stages.insert(at, new)
    return {**doc, "stages": stages}, {}


def place_error(edited: PipelineForm, name: str, message: str) -> None:
    """Put a refusal next to the field it names (`stages[2].color` → the third stage's)."""
    found = _STAGE_FIELD.fullmatch(name)
    if found is not None:
        index, rest = int(found.group(1)), found.group(2) or ""
        edited.stage_errors.setdefault(index, {})[rest.split(".")[0].split("[")[0]] = message
    else:
        edited.errors[name] = message


async def _render(
    request: web.Request,
    me: Manager,
    *,
    status: int = 200,
    edited: PipelineForm | None = None,
    new: Mapping[str, Any] | None = None,
    new_errors: Mapping[str, str] | None = None,
    notice: tuple[str, str] | None = None,
    anchor: str | None = None,
) -> web.Response:
    services: Services = request.app[SERVICES]
    stored = await list_documents(services, "pipelines")
    async with services.storage.reader() as uow:
        counts = {s.key: await uow.sales.stage_counts(s.key) for s in stored}
    forms = []
    for s in stored:
        if edited is not None and edited.key == s.key:
            edited.counts = counts[s.key]
            forms.append(edited)
        else:
            forms.append(PipelineForm(s.key, s.version, dict(s.data), counts[s.key]))
    context = {
        "pipelines": forms,
        "new": new or {},
        "new_errors": new_errors or {},
        "notice": notice,
        "anchor": anchor,
        "stage_orders": STAGE_ORDERS,
        "stage_kinds": STAGE_KINDS,
        "task_types": TASK_TYPES,
        "money_flags": MONEY_FLAGS,
        "field_names": FIELD_NAMES,
        "deals_text": deals_text,
        "stale": STALE,
    }
    return render(request, "settings_pipelines.html", me, context, status=status, section=SECTION)


def _notice(query: Mapping[str, str]) -> tuple[str, str] | None:
    if "saved" in query:
        return ("ok", "Воронка сохранена. Изменения уже действуют.")
    if "moved" in query:
        moved = _int(query.get("moved"), 0, 1_000_000)
        return ("ok", f"Перенесено: {deals_text(moved)}. Теперь этап можно удалить.")
    return None


def _message(err: DomainError) -> str:
    if getattr(err, "rule", None) == "version_conflict":
        return (
            f"Не сохранено: {STALE}. Обновите страницу, чтобы увидеть изменения,"
            " и повторите правку."
        )
    for flag, label in MONEY_FLAGS.items():
        if f"only one stage may be marked {flag}" in err.message:
            return f"Отметку «{label}» может нести только один этап воронки."
        if f"{flag} marks an open stage" in err.message:
            return f"Отметку «{label}» ставят только этапу «В работе», не успеху и не провалу."
    return err.message.replace(" (move-deals)", "")


def _version(form: MultiMapping[Any]) -> int:
    return _int(form.get("version"), 0, 2**31)


def _int(value: object, low: int, high: int) -> int:
    text = str(value or "")
    return min(max(int(text), low), high) if text.isascii() and text.isdigit() else low


def _text(form: MultiMapping[Any], name: str, *, strip: bool = True) -> str:
    value = form.get(name)
    text = value if isinstance(value, str) else ""
    return text.strip() if strip else text


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _list(values: list[Any]) -> list[str]:
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            found.extend(v.strip() for v in value.split(",") if v.strip())
    return list(dict.fromkeys(found))


def _free_key(taken: set[str]) -> str:
    n = len(taken) + 1
    while f"stage_{n}" in taken:
        n += 1
    return f"stage_{n}"
