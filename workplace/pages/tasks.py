"""Мои задачи: open tasks grouped as overdue, today and upcoming; done with one click."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.access import listing_scope
from crm_core.deals import set_task_done
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.sales import RecordKind, Task
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.lead_notes import card_fragment
from workplace.pages.shared import path_id, render
from workplace.viewer import viewer

# More open tasks than this is a planning problem, not a page problem.
TASK_LIMIT = 500
RECORD_LABELS = {
    RecordKind.LEAD: "Заявка",
    RecordKind.DEAL: "Сделка",
    RecordKind.CONTACT: "Клиент",
    RecordKind.COMPANY: "Компания",
}
# Only leads and deals have their own pages so far.
RECORD_PATHS = {
    RecordKind.LEAD: "/leads/{}",
    RecordKind.DEAL: "/deals/{}",
    RecordKind.CONTACT: "/clients/contacts/{}",
    RecordKind.COMPANY: "/clients/companies/{}",
}
TASK_TYPES = {"call": "Звонок", "meeting": "Встреча", "email": "Письмо", "task": "Дело"}
DONE_ERRORS = {
    404: "Задача не найдена или недоступна вам.",
    403: "Недостаточно прав, чтобы закрыть эту задачу.",
}


@dataclass(frozen=True, slots=True)
class TaskItem:
    """A task with the record it belongs to, as a link."""

    task: Task
    record: str
    href: str | None


@dataclass(frozen=True, slots=True)
class TaskGroups:
    """Open tasks by their due time in the viewer's timezone."""

    overdue: list[TaskItem]
    today: list[TaskItem]
    upcoming: list[TaskItem]


def task_item(task: Task, title: str | None = None) -> TaskItem:
    """The task with a label ("Заявка №5: Иван Петров") and a link for its record."""
    path = RECORD_PATHS.get(task.entity)
    label = f"{RECORD_LABELS.get(task.entity, task.entity.value)} №{task.entity_id}"
    if title:
        label = f"{label}: {title}"
    return TaskItem(task, label, path.format(task.entity_id) if path else None)


def group_tasks(
    tasks: Iterable[tuple[Task, str | None]], now: datetime, timezone: str
) -> TaskGroups:
    """Overdue (due before now), today (until the viewer's local midnight), upcoming."""
    zone = ZoneInfo(timezone)
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), zone)
    groups = TaskGroups([], [], [])
    for task, title in sorted(tasks, key=lambda pair: (pair[0].due_at, pair[0].id)):
        if task.due_at < now:
            groups.overdue.append(task_item(task, title))
        elif task.due_at < tomorrow:
            groups.today.append(task_item(task, title))
        else:
            groups.upcoming.append(task_item(task, title))
    return groups


async def page(request: web.Request) -> web.StreamResponse:
    """The viewer's open tasks (a head: everyone's, or one manager's with `?manager=`)."""
    me = await viewer(request)
    async with request.app[SERVICES].storage.reader() as uow:
        managers = await uow.managers.list()
        chosen = _chosen(request, me, managers)
        tasks = await uow.sales.open_tasks(chosen.id if chosen else None, TASK_LIMIT)
    groups = group_tasks(tasks, utcnow(), me.timezone)
    context = {
        "groups": [
            ("overdue", "Просроченные", groups.overdue),
            ("today", "Сегодня", groups.today),
            ("upcoming", "Предстоящие", groups.upcoming),
        ],
        "total": len(tasks),
        "chosen": chosen,
        "team": sorted(managers, key=lambda m: m.name),
        "manager_names": {m.id: m.name for m in managers},
        "types": TASK_TYPES,
        "limit": TASK_LIMIT,
    }
    return render(request, "tasks.html", me, context, section="/tasks")


def _chosen(request: web.Request, me: Manager, managers: list[Manager]) -> Manager | None:
    """Whose tasks to list: the API's listing rule, and a head may pick one manager."""
    scope = listing_scope(me)
    if scope is not None:
        return scope
    login = request.query.get("manager", "")
    return next((m for m in managers if m.login == login), None)


async def done(request: web.Request) -> web.StreamResponse:
    """Выполнено: the API's task-done command; a second click changes nothing and says so."""
    me = await viewer(request)
    form = await request.post()
    task_id = path_id(request, "task_id") or 0
    task: Task | None = None
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            before = await uow.sales.get_task(task_id)
            task = await set_task_done(uow, task_id, True, me, utcnow())
        already = before is not None and before.done_at is not None
        message = "Задача уже выполнена." if already else "Задача выполнена."
        ok = True
    except DomainError as err:
        message, ok = DONE_ERRORS.get(err.status, "Действие не выполнено."), False
    lead_id = str(form.get("lead_id") or "")
    on_card = form.get("view") == "card" and lead_id.isdecimal() and len(lead_id) < 19
    if "HX-Request" not in request.headers:  # a plain form post (no JavaScript): back to the page
        raise web.HTTPSeeOther(f"/leads/{lead_id}" if on_card else "/tasks")
    if on_card:
        return await card_fragment(request, me, int(lead_id), message, ok)
    context = {
        "item": task_item(task) if task else None,
        "task_id": task_id,
        "message": message,
        "ok": ok,
        "closed": True,
        "types": TASK_TYPES,
    }
    return render(request, "_task_row.html", me, context)
