"""Настройки → Менеджеры: the head hires, edits, marks absences, deactivates with a hand-over,
and gives access (an invite link, a first password, API tokens) — heads only.

Every change goes through the same code as /api/v1/settings/managers (intake.manager_changes):
the config checker's rules, the optimistic version («изменено другим пользователем»), the
audit log and the settings version every process picks up.
"""

from __future__ import annotations

import calendar
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from config.settings import ManagerSettings
from config.team_documents import parse_manager
from crm_core.access import may_change_settings
from crm_core.errors import DomainError, NotFound, RuleError
from crm_core.model import Manager
from crm_core.storage.ports import StoredSetting
from crm_core.tokens import UnknownManager
from intake.auth import issue_api_token, list_tokens, revoke_token
from intake.bootstrap import Services
from intake.clock import utcnow
from intake.http.keys import SERVICES
from intake.manager_changes import (
    create_manager,
    deactivate_manager,
    get_manager,
    list_managers,
    update_manager,
)
from intake.sales_setup import availability_of
from intake.settings_changes import STALE
from workplace.auth.invites import first_password, invite_link
from workplace.auth.service import UnknownLogin
from workplace.pages.flash import Flash, Secret, forget_flash, redirect_with, take_flash
from workplace.pages.settings_forms import (
    DAY_LABELS,
    FieldError,
    field_error,
    week_inputs,
    week_spec,
)
from workplace.pages.shared import local_time, path_id, render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/managers"
HEADS_ONLY = "Настройки команды доступны только руководителю отдела продаж."
ROLES = {"manager": "Менеджер", "head": "Руководитель"}
ABSENCE_KINDS = {"vacation": "Отпуск", "sick": "Больничный", "other": "Отсутствие"}
TIMEZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Asia/Tashkent",
)
ACCESS_CHOICES = {"invite": "Ссылка-приглашение", "password": "Первый пароль"}
MAX_FIELD = 300
# The fields the pages' forms have: a refusal naming another one is shown above the form.
FORM_FIELDS = frozenset(
    {"login", "name", "role", "email", "timezone", "working_hours", "telegram_chat_id"}
    | {"from", "to", "hand_over_to", "token_name"}
)
REFUSED = "Изменение не сохранено."


@dataclass(frozen=True, slots=True)
class ManagerRow:
    """One line of the managers' list."""

    settings: ManagerSettings
    stored: StoredSetting
    absent_now: bool
    telegram: str
    open_leads: int
    access: str


# Pages --------------------------------------------------------------------------------------

SettingsHandler = Callable[[web.Request, Manager], Awaitable[web.StreamResponse]]


def heads_only_page(
    handler: SettingsHandler,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A settings page or action for whoever may change the sales setup; anyone else signed
    in gets the 403 page (and nobody signed in goes to sign in)."""

    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        me = await viewer(request)
        if not may_change_settings(me):
            return heads_only(request, me, HEADS_ONLY)
        return await handler(request, me)

    return wrapper


@heads_only_page
async def page(request: web.Request, me: Manager) -> web.StreamResponse:
    """The managers' list and the form to add one (and, once, what the last action issued)."""
    flash = await take_flash(request)
    response = await _list_page(
        request,
        me,
        notice=flash.notice if flash else None,
        secret=flash.secret if flash else None,
    )
    forget_flash(request, response)
    return response


@heads_only_page
async def create(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Добавить менеджера»: the new manager, and their invite link or first password."""
    form = await _form(request)
    services = request.app[SERVICES]
    doc: dict[str, Any] = {
        "login": _text(form, "login"),
        "name": _text(form, "name"),
        "role": _text(form, "role") or "manager",
        "email": _text(form, "email") or None,
        "timezone": _text(form, "timezone") or "Europe/Moscow",
        "working_hours": _hours(form),
    }
    try:
        stored = await create_manager(services, me, doc)
    except DomainError as err:
        return await _list_page(
            request, me, form=form, error=field_error(err, FORM_FIELDS), status=err.status
        )
    login = stored.key
    secret = await _access(services, me, login, _text(form, "access"))
    notice = f"Менеджер «{stored.data['name']}» добавлен."
    # Post/Redirect/Get: a refresh of the list adds nobody and issues no second link.
    raise await redirect_with(request, SECTION, Flash(notice, secret))


@heads_only_page
async def manager_page(request: web.Request, me: Manager) -> web.StreamResponse:
    """One manager: profile, absences with a calendar, access, tokens, deactivation (and,
    once, what the last action issued)."""
    flash = await take_flash(request)
    response = await _manager_page(
        request,
        me,
        request.match_info["login"],
        notice=flash.notice if flash else None,
        secret=flash.secret if flash else None,
    )
    forget_flash(request, response)
    return response


@heads_only_page
async def update(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Сохранить» the profile: name, role, e-mail, timezone, working hours, Telegram chat."""
    form = await _form(request)
    login = request.match_info["login"]

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        return doc | {
            "name": _text(form, "name"),
            "role": _text(form, "role") or "manager",
            "email": _text(form, "email") or None,
            "timezone": _text(form, "timezone") or "Europe/Moscow",
            "working_hours": _hours(form),
            "telegram_chat_id": _text(form, "telegram_chat_id") or None,
        }

    return await _edit(request, me, login, form, change, "Изменения сохранены.", "profile")


@heads_only_page
async def add_absence(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Добавить отсутствие»: a vacation or sick leave, whole days in the manager's timezone."""
    form = await _form(request)
    login = request.match_info["login"]

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        zone = _zone(doc)
        start, end = _day(form, "from"), _day(form, "to")
        if start is None:
            raise RuleError("invalid_field", "absences[0].from", "is required", 422)
        if end is None:
            raise RuleError("invalid_field", "absences[0].to", "is required", 422)
        kind = ABSENCE_KINDS.get(_text(form, "kind"), ABSENCE_KINDS["other"])
        comment = _text(form, "note")
        absence = {
            "from": datetime.combine(start, time(0), zone).isoformat(),
            # Through the last day inclusive: up to the next local midnight.
            "to": datetime.combine(end + timedelta(days=1), time(0), zone).isoformat(),
            "note": f"{kind}: {comment}" if comment else kind,
        }
        return doc | {"absences": [*doc.get("absences", []), absence]}

    return await _edit(request, me, login, form, change, "Отсутствие добавлено.", "absence")


@heads_only_page
async def remove_absence(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Удалить» one absence (the one shown, by its position and dates)."""
    form = await _form(request)
    login = request.match_info["login"]

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        absences = list(doc.get("absences", []))
        index = _int(_text(form, "index"))
        if index is None or not 0 <= index < len(absences):
            raise RuleError("version_conflict", "version", STALE)
        if absences[index]["from"] != _text(form, "from"):
            raise RuleError("version_conflict", "version", STALE)
        del absences[index]
        return doc | {"absences": absences}

    return await _edit(request, me, login, form, change, "Отсутствие удалено.", "absence")


@heads_only_page
async def deactivate(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Деактивировать»: open leads and deals to a chosen manager or by the queues' rules."""
    form = await _form(request)
    login = request.match_info["login"]
    services = request.app[SERVICES]
    heir = _text(form, "hand_over_to") or None  # none chosen: by the queues' rules
    try:
        done = await deactivate_manager(services, me, login, heir)
    except DomainError as err:
        return await _manager_page(
            request, me, login, error=_deactivate_error(err), status=err.status
        )
    leads, deals = len(done.handed_over.leads), len(done.handed_over.deals)
    whom = "по правилам очередей"
    if heir is not None:
        async with services.storage.reader() as uow:
            found = await uow.managers.get_by_login(heir)
        whom = f"менеджеру {found.name if found else heir}"
    notice = f"Менеджер деактивирован. Передано {whom}: заявок {leads}, сделок {deals}."
    return await _manager_page(request, me, login, notice=notice)


@heads_only_page
async def activate(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Вернуть в работу»: an inactive manager is active again."""
    form = await _form(request)
    login = request.match_info["login"]
    return await _edit(
        request,
        me,
        login,
        form,
        lambda doc: doc | {"active": True},
        "Менеджер снова в работе.",
        "deactivate",
    )


@heads_only_page
async def access(request: web.Request, me: Manager) -> web.StreamResponse:
    """A new invite link or a new first password for a manager, shown once."""
    form = await _form(request)
    login = request.match_info["login"]
    services = request.app[SERVICES]
    how = _text(form, "access")
    secret = await _access(services, me, login, how)
    if secret is None:
        error = FieldError("", "Менеджер неактивен: сначала верните его в работу.")
        return await _manager_page(request, me, login, error=error, status=422)
    notice = "Первый пароль задан." if how == "password" else "Ссылка-приглашение создана."
    # Post/Redirect/Get: a refresh of the page issues no second link or password.
    raise await redirect_with(request, f"{SECTION}/{quote(login)}", Flash(notice, secret))


@heads_only_page
async def issue_token(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Выпустить токен» for the manager, shown once."""
    form = await _form(request)
    login = request.match_info["login"]
    services = request.app[SERVICES]
    name = _text(form, "token_name")
    if not name:
        error = FieldError(
            "token_name", "Назовите токен: для чего он (например, «интеграция с 1С»)."
        )
        return await _manager_page(request, me, login, error=error, status=422)
    try:
        issued = await issue_api_token(
            services.storage,
            login,
            name[:100],
            me.login,
            expires_in=timedelta(days=services.settings.tokens.expiry_days),
        )
    except UnknownManager:
        error = FieldError("token_name", "Токен выпускается только активному менеджеру.")
        return await _manager_page(request, me, login, error=error, status=422)
    secret = Secret(
        f"API-токен «{name}»",
        issued.secret,
        "Скопируйте токен сейчас: он показывается один раз. Передавайте его в заголовке"
        " Authorization: Bearer …",
    )
    # Post/Redirect/Get: a refresh of the page issues no second token.
    raise await redirect_with(
        request, f"{SECTION}/{quote(login)}", Flash("Токен выпущен.", secret)
    )


@heads_only_page
async def revoke(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Отозвать» a token: it opens nothing from now on."""
    login = request.match_info["login"]
    token_id = path_id(request, "token_id")
    services = request.app[SERVICES]
    tokens = [t for t in await list_tokens(services.storage) if t.login == login]
    if token_id is None or token_id not in {t.id for t in tokens}:
        error = FieldError("", "Такого токена у менеджера нет.")
        return await _manager_page(request, me, login, error=error, status=404)
    await revoke_token(services.storage, token_id, me.login)
    return await _manager_page(request, me, login, notice="Токен отозван.")


# Rendering ----------------------------------------------------------------------------------


async def _list_page(
    request: web.Request,
    me: Manager,
    *,
    form: Mapping[str, str] | None = None,
    error: FieldError | None = None,
    notice: str | None = None,
    secret: Secret | None = None,
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    now = utcnow()
    stored = await list_managers(services)
    async with services.storage.reader() as uow:
        rows = {m.login: m for m in await uow.managers.list()}
        open_leads = await uow.team.open_leads()
        linked = {m.id for m, _ in await uow.bot_links.linked_chats()}
        invited = await uow.credentials.pending_invites(now)
        passwords = await uow.credentials.with_password()
    lines = []
    for item in stored:
        settings = parse_manager(item.data, "database", f"managers.{item.key}")
        row = rows.get(item.key)
        manager_id = row.id if row is not None else -1
        lines.append(
            ManagerRow(
                settings=settings,
                stored=item,
                absent_now=availability_of(settings).is_absent(now),
                telegram=_telegram(settings, manager_id in linked),
                open_leads=open_leads[manager_id].open if manager_id in open_leads else 0,
                access=_access_state(manager_id, passwords, invited, settings.timezone),
            )
        )
    lines.sort(key=lambda r: (not r.settings.active, r.settings.role != "head", r.settings.name))
    values = dict(form or {})
    context = {
        "rows": lines,
        "form": values,
        "week_values": _week_values(values) if form else ["09:00-18:00"] * 5 + ["", ""],
        "always": bool(form) and values.get("hours") != "schedule",
        "error": error,
        "refused": "Менеджер не добавлен." if error else None,
        "notice": notice,
        "secret": secret,
        **_choices(),
    }
    response = render(
        request, "settings_managers.html", me, context, status=status, section=SECTION
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def _manager_page(
    request: web.Request,
    me: Manager,
    login: str,
    *,
    form: Mapping[str, str] | None = None,
    form_name: str = "",
    error: FieldError | None = None,
    notice: str | None = None,
    secret: Secret | None = None,
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    try:
        stored = await get_manager(services, login)
    except NotFound:
        return render(request, "not_found.html", me, {}, status=404, section=SECTION)
    settings = parse_manager(stored.data, "database", f"managers.{login}")
    now = utcnow()
    async with services.storage.reader() as uow:
        row = await uow.managers.get_by_login(login)
        assert row is not None
        linked = row.id in {m.id for m, _ in await uow.bot_links.linked_chats()}
        invited = await uow.credentials.pending_invites(now)
        passwords = await uow.credentials.with_password()
        open_leads = len(await uow.handover.open_lead_ids(row.id))
        open_deals = len(await uow.handover.open_deal_ids(row.id))
        team = [m for m in await uow.managers.list() if m.active and m.login != login]
    tokens = [t for t in await list_tokens(services.storage) if t.login == login]
    month = _month(request.query.get("month"), now, settings.timezone)
    values = dict(form or {})
    profile = values if form_name == "profile" else {}
    context = {
        "manager": settings,
        "stored": stored,
        "row": row,
        "telegram": _telegram(settings, linked),
        "access_state": _access_state(row.id, passwords, invited, settings.timezone),
        "absent_now": availability_of(settings).is_absent(now),
        "open_leads": open_leads,
        "open_deals": open_deals,
        "heirs": sorted(team, key=lambda m: m.name),
        "tokens": [(t, t.state(now).value) for t in tokens],
        "profile": profile,
        "week_values": _week_values(profile)
        if profile
        else week_inputs(settings.working_hours, settings.timezone),
        "always": profile.get("hours") != "schedule"
        if profile
        else settings.working_hours is None,
        "absence_form": values if form_name == "absence" else {},
        "absences": _absences(settings),
        "calendar": _calendar(settings, month),
        "error": error,
        "refused": REFUSED if error else None,
        "notice": notice,
        "secret": secret,
        "is_me": login == me.login,
        **_choices(),
    }
    response = render(
        request, "settings_manager.html", me, context, status=status, section=SECTION
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _choices() -> dict[str, Any]:
    return {
        "roles": ROLES,
        "timezones": TIMEZONES,
        "day_labels": DAY_LABELS,
        "absence_kinds": ABSENCE_KINDS,
        "access_choices": ACCESS_CHOICES,
        "local_time": local_time,
    }


# Changes ------------------------------------------------------------------------------------


async def _edit(
    request: web.Request,
    me: Manager,
    login: str,
    form: Mapping[str, str],
    change: Callable[[dict[str, Any]], dict[str, Any]],
    done: str,
    form_name: str,
) -> web.Response:
    """Apply `change` to the manager's document as read at the form's version, through
    update_manager; the page again, with the refusal next to its field when there is one."""
    services = request.app[SERVICES]
    version = _int(_text(form, "version"))
    try:
        current = await get_manager(services, login)
        if version is None or version != current.version:
            raise RuleError("version_conflict", "version", STALE)
        doc = {k: v for k, v in current.data.items() if k != "login"}
        await update_manager(services, me, login, change(doc), version)
    except NotFound:
        return render(request, "not_found.html", me, {}, status=404, section=SECTION)
    except DomainError as err:
        return await _manager_page(
            request,
            me,
            login,
            form=form,
            form_name=form_name,
            error=field_error(err, FORM_FIELDS),
            status=err.status,
        )
    return await _manager_page(request, me, login, notice=done)


async def _access(services: Services, me: Manager, login: str, how: str) -> Secret | None:
    """An invite link or a first password for the manager; None for an inactive one."""
    now = utcnow()
    try:
        if how == "password":
            password = await first_password(services.storage, login, me.login, now)
            return Secret(
                "Первый пароль",
                password,
                f"Передайте менеджеру логин «{login}» и этот пароль: он показывается один раз."
                " Прежние сеансы менеджера закрыты.",
            )
        url = await invite_link(
            services.storage, services.settings.http.public_url, login, me.login, now
        )
    except (NotFound, UnknownLogin):
        return None
    return Secret(
        "Ссылка-приглашение",
        url,
        "Отправьте ссылку менеджеру: по ней он задаст свой пароль. Ссылка действует 3 дня и"
        " открывается один раз; она показывается только сейчас.",
    )


def _deactivate_error(err: DomainError) -> FieldError:
    if err.field == "hand_over_to":
        if err.status == 404:
            return FieldError("hand_over_to", "Такого менеджера нет.")
        return FieldError("hand_over_to", "Этот менеджер не может принять работу: он неактивен.")
    return field_error(err, frozenset())


# Values -------------------------------------------------------------------------------------


async def _form(request: web.Request) -> dict[str, str]:
    """The form's text fields (an unreadable body reads as an empty form)."""
    try:
        form = await request.post()
    except (ValueError, HttpProcessingError):
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _text(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return value.strip()[:MAX_FIELD] if isinstance(value, str) else ""


def _int(value: str) -> int | None:
    return int(value) if value.isdecimal() and len(value) < 12 else None


def _hours(form: Mapping[str, str]) -> dict[str, str] | None:
    """Working hours from the form: None (round the clock) or the week's table."""
    if _text(form, "hours") != "schedule":
        return None
    return week_spec(_week_values(form))


def _week_values(form: Mapping[str, str]) -> list[str]:
    return [_text(form, f"day{i}") for i in range(7)]


def _day(form: Mapping[str, str], name: str) -> date | None:
    try:
        return date.fromisoformat(_text(form, name))
    except ValueError:
        return None


def _zone(doc: Mapping[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(str(doc.get("timezone") or "Europe/Moscow"))
    except (ValueError, KeyError):
        return ZoneInfo("Europe/Moscow")


def _telegram(settings: ManagerSettings, linked: bool) -> str:
    if linked:
        return "бот подключён"
    if settings.telegram_chat_id:
        return "указан чат"
    return ""


def _access_state(
    manager_id: int, passwords: set[int], invited: Mapping[int, datetime], timezone: str
) -> str:
    if manager_id in invited:
        return f"приглашён, ссылка до {local_time(invited[manager_id], timezone)}"
    if manager_id in passwords:
        return "пароль задан"
    return "нет пароля"


@dataclass(frozen=True, slots=True)
class AbsenceLine:
    """An absence as listed: its days in the manager's timezone."""

    index: int
    start: str
    first: date
    last: date
    note: str
    now: bool


def _absences(settings: ManagerSettings) -> list[AbsenceLine]:
    zone = ZoneInfo(settings.timezone)
    now = utcnow()
    lines = []
    for i, a in enumerate(settings.absences):
        first = a.start.astimezone(zone).date()
        last = (a.end - timedelta(microseconds=1)).astimezone(zone).date()
        lines.append(
            AbsenceLine(i, a.start.isoformat(), first, last, a.note, a.start <= now < a.end)
        )
    return sorted(lines, key=lambda line: line.first, reverse=True)


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """A day cell of the month grid."""

    day: date | None
    absent: str  # the absence's note on this day; "" when at work
    today: bool


@dataclass(frozen=True, slots=True)
class Month:
    """A month of the calendar with its neighbours for the arrows."""

    first: date
    title: str
    weeks: list[list[CalendarDay]]
    previous: str
    next: str


MONTHS = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)


def _month(value: str | None, now: datetime, timezone: str) -> date:
    try:
        parsed = datetime.strptime(value or "", "%Y-%m").replace(tzinfo=UTC).date()
    except ValueError:
        parsed = now.astimezone(ZoneInfo(timezone)).date()
    return parsed.replace(day=1)


def _calendar(settings: ManagerSettings, first: date) -> list[Month]:
    """This month and the next, each day marked when an absence covers any of it."""
    zone = ZoneInfo(settings.timezone)
    today = utcnow().astimezone(zone).date()
    months = []
    for shift in (0, 1):
        year, month = divmod(first.month - 1 + shift, 12)
        start = date(first.year + year, month + 1, 1)
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(start.year, start.month):
            cells = []
            for day in week:
                if day.month != start.month:
                    cells.append(CalendarDay(None, "", False))
                    continue
                begin = datetime.combine(day, time(0), zone)
                end = datetime.combine(day + timedelta(days=1), time(0), zone)
                note = next(
                    (
                        a.note or "отсутствие"
                        for a in settings.absences
                        if a.start < end and a.end > begin
                    ),
                    "",
                )
                cells.append(CalendarDay(day, note, day == today))
            weeks.append(cells)
        months.append(
            Month(
                start,
                f"{MONTHS[start.month - 1]} {start.year}",
                weeks,
                _shift(first, -1),
                _shift(first, 1),
            )
        )
    return months


def _shift(first: date, months: int) -> str:
    year, month = divmod(first.month - 1 + months, 12)
    return f"{first.year + year:04d}-{month + 1:02d}"
