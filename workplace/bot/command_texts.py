"""What the managers' bot's commands and morning digest say (Russian), and how a lead, a task
or a deal reads in a chat message (HTML, every value escaped)."""

from __future__ import annotations

import html

from crm_core.model import Lead
from crm_core.my_work import DueTask
from crm_core.sales import Deal
from workplace.pages.shared import CHANNELS, STATUSES, local_time, person_name

# The bot's menu (setMyCommands): command → description.
COMMANDS = {
    "leads": "Мои открытые заявки",
    "tasks": "Задачи на сегодня и просроченные",
    "find": "Найти клиента: телефон, e-mail или имя",
    "unlink": "Отключить бота",
}

LEADS_TITLE = "Открытые заявки ({total}):"
LEADS_TEAM_TITLE = "Открытые заявки команды ({total}):"
NO_LEADS = "Открытых заявок нет."
MORE = "…и ещё {count}"
WORKPLACE = "в рабочем месте"
OPEN = "Открыть"

TASKS_TITLE = "Задачи на сегодня и просроченные ({total}):"
NO_TASKS = "На сегодня задач нет, просроченных тоже."
DONE = "Готово"
TASK_DONE = "Задача выполнена."
TASK_ALREADY_DONE = "Задача уже выполнена."
TASK_UNAVAILABLE = "Задача не найдена или недоступна вам."
OVERDUE_MARK = "просрочена"

FIND_USAGE = (
    "Напишите после /find телефон, e-mail или имя клиента, например: /find +7 916 123-45-67"
)
FIND_NOTHING = "Никого не нашлось. Проверьте написание или поищите по телефону."
FIND_TITLE = "Найдено клиентов: {count}"
FIND_NO_OPEN = "Открытых заявок и сделок нет."
CONTACT_NO_NAME = "Без имени"

DIGEST_TITLE = "Доброе утро, {name}! Сводка на {day}:"
DIGEST_OVERDUE = "Просроченные задачи: {count}"
DIGEST_UNTAKEN = "Не взятые заявки: {count}"
DIGEST_IDLE = "Сделки без следующего дела: {count}"

TASK_RECORDS = {"lead": "Заявка", "deal": "Сделка", "contact": "Клиент", "company": "Компания"}
TASK_PATHS = {
    "lead": "/leads/{}",
    "deal": "/deals/{}",
    "contact": "/clients/contacts/{}",
    "company": "/clients/companies/{}",
}


def esc(value: object) -> str:
    """A value as text in an HTML message."""
    return html.escape(str(value), quote=False)


def link(url: str | None, text: str) -> str:
    """`<a href=…>text</a>` (text already escaped), or the text alone without a URL."""
    if not url or not url.startswith(("http://", "https://")):
        return text
    return f'<a href="{html.escape(url, quote=True)}">{text}</a>'


def page_url(base: str, path: str) -> str | None:
    """The workplace page at `path`, or None without a public base URL."""
    return f"{base.rstrip('/')}{path}" if base else None


def lead_line(lead: Lead, base: str, timezone: str, sources: dict[str, str]) -> str:
    """`🔥 №5 Иван Петров · Новая · Сайт · 06.12.2026 19:54` with a link to the lead."""
    mark = "🔥 " if any(f.value == "urgent" for f in lead.data.flags) else ""
    source = sources.get(lead.data.source) or CHANNELS.get(lead.data.channel, lead.data.channel)
    parts = [
        link(page_url(base, f"/leads/{lead.id}"), f"№{lead.id}"),
        esc(person_name(lead)),
    ]
    tail = [STATUSES.get(lead.status, lead.status.value), source]
    tail.append(local_time(lead.created_at, timezone))
    return f"{mark}{' '.join(parts)} · {esc(' · '.join(tail))}"


def task_line(number: int, due: DueTask, base: str, timezone: str) -> str:
    """`1. Позвонить — Заявка №5: Иван Петров, до 10:00 (просрочена)`."""
    task = due.task
    record = f"{TASK_RECORDS.get(task.entity.value, task.entity.value)} №{task.entity_id}"
    if due.record_title:
        record = f"{record}: {due.record_title}"
    path = TASK_PATHS.get(task.entity.value)
    url = page_url(base, path.format(task.entity_id)) if path else None
    when = f"до {local_time(task.due_at, timezone)}"
    if due.overdue:
        when = f"{when} ({OVERDUE_MARK})"
    return f"{number}. <b>{esc(task.title)}</b> — {link(url, esc(record))}, {esc(when)}"


def deal_line(deal: Deal, base: str, stages: dict[tuple[str, str], str]) -> str:
    """`Сделка №3 «Поставка» · Первичный контакт · 120 000 RUB`."""
    stage = stages.get((deal.pipeline, deal.stage), deal.stage)
    tail = [stage]
    if deal.amount is not None:
        tail.append(f"{deal.amount:,.0f}".replace(",", " ") + f" {deal.currency}")
    name = link(page_url(base, f"/deals/{deal.id}"), f"Сделка №{deal.id}")
    return f"{name} «{esc(deal.title)}» · {esc(' · '.join(tail))}"


def more_line(count: int, base: str, path: str) -> str:
    """`…и ещё 5 в рабочем месте` (linked)."""
    return f"{esc(MORE.format(count=count))} {link(page_url(base, path), WORKPLACE)}"
