"""What every workplace page shares: Russian names, date formatting, rendering, error texts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup, escape

from crm_core.access import may_import_statements
from crm_core.errors import DomainError, MatchError
from crm_core.model import Lead, LeadFlag, LeadStatus, Manager
from intake.http.body import parse_int
from intake.http.keys import SERVICES
from workplace.auth.session import template_context
from workplace.pages.sales_texts import day, number_text, rub

CHANNELS = {
    "webform": "Форма на сайте",
    "telegram": "Telegram",
    "vk": "ВКонтакте",
    "email": "E-mail",
    "call": "Звонок",
    "avito": "Авито",
}
STATUSES = {
    LeadStatus.NEW: "Новая",
    LeadStatus.IN_WORK: "В работе",
    LeadStatus.CONVERTED: "Конвертирована",
    LeadStatus.JUNK: "Брак",
}
DECISIONS = {
    "auto": "Повторное обращение",
    "review": "Возможный дубль",
    "new": "Новый клиент",
    "confirmed": "Клиент подтверждён",
}
# The domain's rules (crm_core.lifecycle, crm_core.matching) as a manager reads them.
RULE_MESSAGES = {
    "lead_not_new": "Заявку уже взяли в работу или закрыли: обновите страницу.",
    "not_assignee": "Заявка назначена другому менеджеру.",
    "lead_closed": "Заявка уже закрыта.",
    "manager_inactive": "Этот менеджер сейчас неактивен: выберите другого.",
    "junk_reason_required": "Выберите причину брака.",
}
STATUS_MESSAGES = {
    403: "Недостаточно прав для этого действия.",
    404: "Заявка не найдена или недоступна вам.",
    409: "Заявка изменилась, пока вы её смотрели: обновите страницу.",
    422: "Проверьте введённые данные.",
}


def error_text(err: DomainError) -> str:
    """A refused command as a Russian sentence for the manager."""
    rule: str | None = getattr(err, "rule", None)
    if rule in RULE_MESSAGES:
        return RULE_MESSAGES[rule]
    if isinstance(err, MatchError) and err.status != 404:
        return "Решение о дубле применить нельзя: заявка уже проверена или клиент другой."
    return STATUS_MESSAGES.get(err.status, "Действие не выполнено.")


def local_time(value: datetime | None, timezone: str = "Europe/Moscow") -> str:
    """`06.12.2026 19:54` in the manager's timezone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def person_name(lead: Lead) -> str:
    """The lead's name as the client gave it, or a placeholder."""
    c = lead.data.contact
    parts = [p for p in (c.last_name, c.first_name, c.patronymic) if p]
    return c.name or " ".join(parts) or "Без имени"


def is_urgent(lead: Lead) -> bool:
    """A missed call from a new number: call back first."""
    return LeadFlag.URGENT in lead.data.flags


def phone(value: str | None) -> str:
    """+7 916 123-45-67 for a Russian number; anything else as stored."""
    if value and len(value) == 12 and value.startswith("+7") and value[1:].isdecimal():
        d = value[2:]
        return f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}"
    return value or ""


def source_names(request: web.Request) -> dict[str, str]:
    """The names of the configured forms, by key (a lead's source is its form key)."""
    return {f.key: f.name for f in request.app[SERVICES].settings.forms}


def option_tags(choices: Mapping[str, str]) -> Markup:
    """`<option>` tags of key → name choices, escaped."""
    # Each tag is escaped by _option; Markup("").join would escape-check every tag again.
    return Markup("".join([_option(key, name) for key, name in choices.items()]))  # noqa: S704


@lru_cache(maxsize=1024)
def _option(key: str, name: str) -> str:
    # The same few dozen options repeat on every row: escape each once.
    return f'<option value="{escape(key)}">{escape(name)}</option>'


def manager_options(team: Sequence[Manager], except_id: int | None = None) -> Markup:
    """`<option>` tags of the team by login (without one manager, such as the current
    assignee). Built here, not in a template loop: Входящие has one per row, and 300 rows of
    30 managers each rendered by Jinja cost more than the rest of the page."""
    return option_tags({m.login: m.name for m in team if m.id != except_id})


MESSENGER_IDS = {
    "telegram_id": "Telegram ID",
    "telegram_username": "Telegram",
    "vk_id": "ВКонтакте ID",
    "avito_id": "Авито ID",
    "whatsapp": "WhatsApp",
    "max_id": "MAX ID",
}
TIMELINE_KINDS = {
    "call": "Звонок",
    "email": "Письмо",
    "message": "Сообщение",
    "note": "Заметка",
    "task": "Задача",
    "stage": "Переход на этап",
    "audit": "Изменение",
}

FILTERS: Mapping[str, Callable[..., Any]] = {
    "local_time": local_time,
    "phone": phone,
    "option_tags": option_tags,
    "manager_options": manager_options,
    "channel_name": lambda key: CHANNELS.get(key, key),
    "status_name": lambda status: STATUSES.get(status, str(status)),
    "decision_name": lambda key: DECISIONS.get(key, key),
    "timeline_kind": lambda key: TIMELINE_KINDS.get(key, key),
    "messenger_name": lambda key: MESSENGER_IDS.get(key, key),
    "rub": rub,
    "day": day,
    "quantity": number_text,
    "percent": lambda value: f"{number_text(value)}%",
}


def render(
    request: web.Request,
    template: str,
    me: Manager,
    context: dict[str, Any],
    *,
    status: int = 200,
    section: str = "",
) -> web.Response:
    """A page or fragment with what every template needs: the viewer, the menu section, the
    request and the session's CSRF token."""
    return aiohttp_jinja2.render_template(
        template,
        request,
        {
            **template_context(request),
            "me": me,
            "section": section,
            "may_import_statements": may_import_statements(me),
            **context,
        },
        status=status,
    )


def not_found(request: web.Request, me: Manager) -> web.Response:
    """The 404 page (a record the viewer may not see does not exist for them)."""
    return render(request, "not_found.html", me, {}, status=404)


def junk_reasons(request: web.Request) -> dict[str, str]:
    """The configured junk reasons, key → name."""
    return request.app[SERVICES].sales.junk_reasons


async def active_managers(request: web.Request) -> list[Manager]:
    """Everyone a lead may be given to, by name (one query)."""
    async with request.app[SERVICES].storage.reader() as uow:
        managers = await uow.managers.list()
    return sorted((m for m in managers if m.active), key=lambda m: m.name)


def path_id(request: web.Request, name: str) -> int | None:
    """The numeric `{name}` of the path, or None when it is not an id (the page then 404s)."""
    return parse_int(request.match_info.get(name, ""))
