"""A note, a task, a task done from the deal card (plain forms: back to the card after).

Each runs the same crm_core command as the API (`POST /api/v1/activities`, `POST
/api/v1/tasks`, `POST /api/v1/tasks/{id}/done`); a refusal or bad input comes back as a
Russian message on the card.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from crm_core.deals import add_task, log_activity, set_task_done
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.sales import ActivityKind, NewActivity, NewTask, RecordKind
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.deal_actions import rule_text
from workplace.pages.deal_card import load_card
from workplace.pages.lead_notes import NOTE_MAX, TITLE_MAX, local_due
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

Command = Callable[[UnitOfWork, Manager, datetime], Awaitable[object]]


async def add_note(request: web.Request) -> web.StreamResponse:
    """Заметка on the deal."""
    form = await request.post()
    text = str(form.get("text") or "").strip()
    problem = None
    if not text:
        problem = "Напишите текст заметки."
    elif len(text) > NOTE_MAX:
        problem = f"Заметка слишком длинная: не больше {NOTE_MAX} символов."

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> object:
        note = NewActivity(RecordKind.DEAL, deal_id, ActivityKind.NOTE, text, now, me.login, me.id)
        return await log_activity(uow, note, me)

    deal_id = path_id(request, "deal_id") or 0
    return await _act(request, deal_id, problem, command)


async def add_deal_task(request: web.Request) -> web.StreamResponse:
    """Задача on the deal, for its owner, due at a local time of the manager."""
    form = await request.post()
    title = str(form.get("title") or "").strip()
    me = await viewer(request)
    due = local_due(str(form.get("due_at") or "").strip(), me.timezone)
    problem = None
    if not title:
        problem = "Напишите, что нужно сделать."
    elif len(title) > TITLE_MAX:
        problem = f"Название задачи слишком длинное: не больше {TITLE_MAX} символов."
    elif due is None:
        problem = "Укажите срок задачи: дату и время."

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> object:
        assert due is not None
        deal = await uow.sales.get_deal(deal_id)
        owner = deal.owner_id if deal and deal.owner_id else me.id
        task = NewTask(RecordKind.DEAL, deal_id, "call", title, due, owner, me.login)
        return await add_task(uow, task, me, now)

    deal_id = path_id(request, "deal_id") or 0
    return await _act(request, deal_id, problem, command)


async def task_done(request: web.Request) -> web.StreamResponse:
    """Выполнено on a task of the deal's timeline."""
    task_id = path_id(request, "task_id") or 0

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> object:
        return await set_task_done(uow, task_id, True, me, now)

    return await _act(request, path_id(request, "deal_id") or 0, None, command)


async def _act(
    request: web.Request, deal_id: int, problem: str | None, command: Command
) -> web.StreamResponse:
    """Run the command unless the input is wrong; back to the card, or the card with why."""
    me = await viewer(request)
    if problem is None:
        try:
            async with request.app[SERVICES].storage.transaction() as uow:
                await command(uow, me, utcnow())
        except DomainError as err:
            problem = rule_text(err, None)
    if problem is None:
        raise web.HTTPSeeOther(f"/deals/{deal_id}")
    card = await load_card(request, me, deal_id)
    if card is None:
        return not_found(request, me)
    return render(request, "deal_card.html", me, {**card, "message": problem}, section="/deals")
