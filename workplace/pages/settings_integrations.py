"""Настройки → Интеграции: the head connects Bitrix24 and amoCRM, maps our values to theirs,
sends a test lead, and sees how each connector's deliveries stand.

The same use cases as /api/v1/connectors (`intake.connectors.setup` and `.probe`): the form is
turned into the API's body and checked there; a refusal is shown next to the field it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from config import Settings
from crm_core.access import may_change_settings
from crm_core.model import Manager
from crm_core.webhooks import Subscription
from intake.connectors import setup
from intake.connectors.errors import RemoteFailed
from intake.connectors.probe import send_test_lead
from intake.connectors.setup import ConnectorInvalid
from intake.http.body import parse_int
from intake.http.keys import SERVICES
from workplace.pages.flash import Flash, forget_flash, redirect_with, take_flash
from workplace.pages.shared import not_found, render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/integrations"
HEADS_ONLY = "Интеграции доступны только руководителю отдела продаж."
KIND_LABELS = {"bitrix24": "Битрикс24", "amocrm": "amoCRM"}
STATE_LABELS = {
    "ok": "работает",
    "idle": "ещё ничего не отправлено",
    "failing": "ошибка",
    "disabled": "выключена",
}
STATUS_LABELS = {
    "new": "Новая",
    "in_work": "В работе",
    "converted": "Конвертирована",
    "junk": "Брак",
}
FIELD_LABELS = {
    "kind": "CRM",
    "url": "Адрес",
    "secret_env": "Переменная окружения с секретом",
    "mapping": "Сопоставление",
}
ROW_PREFIXES = {"users": "user", "statuses": "status", "pipelines": "pipeline", "stages": "stage"}


async def page(request: web.Request) -> web.StreamResponse:
    """Every connector with its state, last success and failure, and dead letters."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    storage = request.app[SERVICES].storage
    found = await setup.connectors(storage)
    health = {h.id: h for h in await setup.health(storage)}
    rows = [
        {
            "connector": c,
            "kind": KIND_LABELS.get(c.connector or "", c.connector),
            "health": health.get(c.id),
            "state": setup.health_json(health[c.id], details=True)["state"]
            if c.id in health
            else "idle",
        }
        for c in found
    ]
    flash = await take_flash(request)
    context = {
        "section": SECTION,
        "rows": rows,
        "state_labels": STATE_LABELS,
        "notice": flash.notice if flash else "",
        "notice_failed": request.query.get("test") == "failed",
    }
    response = render(request, "settings_integrations.html", me, context)
    forget_flash(request, response)
    return response


async def new_form(request: web.Request) -> web.StreamResponse:
    """The form for a new connector."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    draft = {"kind": "bitrix24", "url": "", "secret_env": "", "mapping": {}, "active": True}
    return _form(request, me, None, draft)


async def edit_form(request: web.Request) -> web.StreamResponse:
    """The form for one connector, filled with its settings."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    found = await setup.get_connector(request.app[SERVICES].storage, _id(request))
    if found is None:
        return not_found(request, me)
    return _form(request, me, found, setup.connector_json(found))


async def create(request: web.Request) -> web.StreamResponse:
    """Add a connector, then back to the list."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    services = request.app[SERVICES]
    body = _body(await request.post(), services.settings, {})
    try:
        new = setup.parse_connector(body, services.settings)
    except ConnectorInvalid as err:
        return _form(request, me, None, body, err)
    created = await setup.create_connector(services.storage, new, me.login)
    label = KIND_LABELS.get(new.kind, new.kind)
    raise await redirect_with(
        request, SECTION, Flash(f"Подключение {label} №{created.id} добавлено.")
    )


async def update(request: web.Request) -> web.StreamResponse:
    """Change a connector's address, secret variable, mapping (its kind stays)."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    services = request.app[SERVICES]
    current = await setup.get_connector(services.storage, _id(request))
    if current is None:
        return not_found(request, me)
    kept = dict((current.connector_config or {}).get("mapping") or {})
    body = _body(await request.post(), services.settings, kept)
    body |= {"kind": current.connector, "active": current.active}
    try:
        new = setup.parse_connector(body, services.settings)
    except ConnectorInvalid as err:
        return _form(request, me, current, body, err)
    await setup.update_connector(services.storage, current.id, new)
    raise await redirect_with(request, SECTION, Flash(f"Подключение №{current.id} сохранено."))


async def toggle(request: web.Request) -> web.StreamResponse:
    """Enable or disable a connector."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    active = str((await request.post()).get("active", "")) == "1"
    connector_id = _id(request)
    if (
        await setup.set_connector_active(request.app[SERVICES].storage, connector_id, active)
        is None
    ):
        return not_found(request, me)
    word = "включено" if active else "выключено"
    raise await redirect_with(request, SECTION, Flash(f"Подключение №{connector_id} {word}."))


async def test_lead(request: web.Request) -> web.StreamResponse:
    """Send a test lead now; the list then says the remote id or what the CRM answered."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    services = request.app[SERVICES]
    found = await setup.get_connector(services.storage, _id(request))
    if found is None:
        return not_found(request, me)
    label = KIND_LABELS.get(found.connector or "", found.connector)
    try:
        remote_id = await send_test_lead(services.storage, services.settings, found)
    except RemoteFailed as err:
        answer = err.message if err.status is None else f"{err.message} (HTTP {err.status})"
        notice = f"Тестовая заявка в {label} не отправлена: {answer}"
        raise await redirect_with(request, f"{SECTION}?test=failed", Flash(notice)) from None
    notice = f"Тестовая заявка создана в {label}: №{remote_id}."
    raise await redirect_with(request, SECTION, Flash(notice))


def _body(form: Mapping[str, Any], settings: Settings, kept: Mapping[str, Any]) -> dict[str, Any]:
    """The API's body from the form: one row per our value, an empty row left out; mapping
    texts the form does not show (source ids) kept as they were."""
    mapping: dict[str, Any] = {k: v for k, v in kept.items() if k in setup.MAPPING_TEXTS}
    for table, prefix in ROW_PREFIXES.items():
        rows = {
            key[len(prefix) + 1 :]: _remote_id(str(value))
            for key, value in form.items()
            if key.startswith(prefix + ".") and str(value).strip()
        }
        if rows:
            mapping[table] = rows
    mapping["create_deals"] = str(form.get("create_deals", "")) == "1"
    return {
        "kind": str(form.get("kind", "")),
        "url": str(form.get("url", "")),
        "secret_env": str(form.get("secret_env", "")),
        "mapping": mapping,
        "active": True,
    }


def _remote_id(value: str) -> str | int:
    """A remote id as the API takes it: a number when it is one (amoCRM's ids are)."""
    value = value.strip()
    number = parse_int(value)
    return number if number is not None and number > 0 else value


def _form(
    request: web.Request,
    me: Manager,
    connector: Subscription | None,
    draft: Mapping[str, Any],
    err: ConnectorInvalid | None = None,
) -> web.Response:
    settings = request.app[SERVICES].settings
    error = None
    if err is not None:
        field = err.field if err.field in FIELD_LABELS else "mapping"
        error = {"field": field, "message": _russian(err)}
    context = {
        "connector": connector,
        "draft": draft,
        "mapping": draft.get("mapping") or {},
        "error": error,
        "kinds": KIND_LABELS,
        "rows": _rows(settings),
        "section": SECTION,
    }
    status = 200 if err is None else 422
    return render(
        request, "settings_integration_form.html", me, context, status=status, section=SECTION
    )


def _rows(settings: Settings) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """The mapping tables of the form: (table, its input prefix, title, [(our key, label)])."""
    stages = [
        (f"{p.key}:{s.key}", f"{p.name} → {s.name}") for p in settings.pipelines for s in p.stages
    ]
    pipelines = [(p.key, f"Воронка «{p.name}»") for p in settings.pipelines]
    pipelines += [(q.key, f"Очередь «{q.name}»") for q in settings.queues]
    return [
        (
            "users",
            "user",
            "Менеджеры → пользователи CRM",
            [(m.login, m.name) for m in settings.managers],
        ),
        ("statuses", "status", "Статусы заявки → статусы CRM", list(STATUS_LABELS.items())),
        ("pipelines", "pipeline", "Воронки и очереди → воронки CRM", pipelines),
        ("stages", "stage", "Этапы сделки → стадии CRM", stages),
    ]


def _russian(err: ConnectorInvalid) -> str:
    field = err.field
    if field == "kind":
        return "CRM: выберите Битрикс24 или amoCRM"
    if field == "url":
        return (
            "Адрес: нужен адрес вебхука Битрикс24 до номера пользователя"
            " (https://портал/rest/1/) или адрес аккаунта amoCRM (https://имя.amocrm.ru)"
        )
    if field == "secret_env":
        if "is not set" in err.message:
            return (
                f"Переменная окружения с секретом: {err.message.split()[3]} не задана на сервере"
            )
        return "Переменная окружения с секретом: имя из латинских заглавных букв, цифр и _"
    return f"Сопоставление ({field.removeprefix('mapping.')}): нужен id в CRM — число или текст"


def _id(request: web.Request) -> int:
    value = parse_int(request.match_info["connector_id"])
    if value is None:
        raise web.HTTPNotFound()
    return value
