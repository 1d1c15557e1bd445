"""A note or a task added from the lead card; the card comes back with its timeline.

Each runs the same crm_core command as the API (`POST /api/v1/activities` with kind note,
`POST /api/v1/tasks`); a refused command or bad input comes back as a Russian message on the
card, with what the manager typed kept in the form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.deals import add_task, log_activity
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.sales import ActivityKind, NewActivity, NewTask, RecordKind
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.lead_card import load_card
from workplace.pages.shared import error_text, path_id, render
from workplace.viewer import viewer

NOTE_MAX = 10_000
TITLE_MAX = 500
TASK_TYPE_KEYS = ("call", "meeting", "email", "task")
# What <input type="datetime-local"> sends: a local wall-clock time without a zone.
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


async def add_note(request: web.Request) -> web.StreamResponse:
    """Заметка on the lead."""
    me = await viewer(request)
    lead_id = path_id(request, "lead_id") or 0
    form = await request.post()
    text = str(form.get("text") or "").strip()
    kept = {"note_text": text}
    if not text:
        return await _answer(request, me, lead_id, "Напишите текст заметки.", False, kept)
    if len(text) > NOTE_MAX:
        message = f"Заметка слишком длинная: не больше {NOTE_MAX} символов."
        return await _answer(request, me, lead_id, message, False, kept)
    note = NewActivity(
        RecordKind.LEAD, lead_id, ActivityKind.NOTE, text, utcnow(), me.login, me.id
    )
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            await log_activity(uow, note, me)
    except DomainError as err:
        return await _answer(request, me, lead_id, error_text(err), False, kept)
    return await _answer(request, me, lead_id, "Заметка добавлена.", True, {})


async def add_lead_task(request: web.Request) -> web.StreamResponse:
    """Задача on the lead, due at a time the manager gives in their own timezone."""
    me = await viewer(request)
    lead_id = path_id(request, "lead_id") or 0
    form = await request.post()
    title = str(form.get("title") or "").strip()
    due_text = str(form.get("due_at") or "").strip()
    task_type = str(form.get("type") or "call")
    login = str(form.get("assignee") or "")
    kept = {"task_title": title, "task_due": due_text, "task_type": task_type, "task_to": login}
    due = local_due(due_text, me.timezone)
    problem = None
    if not title:
        problem = "Напишите, что нужно сделать."
    elif len(title) > TITLE_MAX:
        problem = f"Название задачи слишком длинное: не больше {TITLE_MAX} символов."
    elif due is None:
        problem = "Укажите срок задачи: дату и время."
    elif task_type not in TASK_TYPE_KEYS:
        problem = "Выберите тип задачи из списка."
    if problem or due is None:
        return await _answer(request, me, lead_id, problem or "", False, kept)
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            # Like the API's assignee_id: the task is the author's unless they name someone.
            assignee = await uow.managers.get_by_login(login) if login else me
            if assignee is None:
                raise DomainError("assignee", f"no manager {login!r}")
            task = NewTask(RecordKind.LEAD, lead_id, task_type, title, due, assignee.id, me.login)
            await add_task(uow, task, me, utcnow())
    except DomainError as err:
        unknown = err.field in ("assignee", "assignee_id")
        message = "Выберите активного менеджера из списка." if unknown else error_text(err)
        return await _answer(request, me, lead_id, message, False, kept)
    return await _answer(request, me, lead_id, "Задача добавлена.", True, {})


def local_due(text: str, timezone: str) -> datetime | None:
    """A local date and time in the manager's timezone as an aware UTC datetime, or None."""
    for fmt in LOCAL_FORMATS:
        try:
            wall = datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(timezone))
        except ValueError:
            continue
        return wall.astimezone(UTC)
    return None


async def _answer(
    request: web.Request,
    me: Manager,
    lead_id: int,
    message: str,
    ok: bool,
    kept: dict[str, str],
) -> web.StreamResponse:
    if "HX-Request" not in request.headers:  # a plain form post (no JavaScript): back to the card
        raise web.HTTPSeeOther(f"/leads/{lead_id}")
    return await card_fragment(request, me, lead_id, message, ok, kept)


async def card_fragment(
    request: web.Request,
    me: Manager,
    lead_id: int,
    message: str,
    ok: bool,
    extra: dict[str, Any] | None = None,
) -> web.StreamResponse:
    """The card's body again (timeline included), with the outcome on top."""
    card = await load_card(request, me, lead_id) or {"lead": None}
    context = {**card, **(extra or {}), "message": message, "ok": ok}
    return render(request, "_lead_card_body.html", me, context)
