"""Настройки → Вебхуки: the head subscribes other systems to events and watches deliveries.

The same use cases as /api/v1/webhooks (`intake.webhooks.subscriptions`): a subscription's
form is checked there, and its refusal is shown next to the field it names.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm_core.access import may_change_settings
from crm_core.amount_words import plural
from crm_core.model import Manager
from crm_core.webhooks import DeliveryStatus, EventType
from intake.http.body import parse_int
from intake.http.keys import SERVICES
from intake.webhooks import subscriptions as subs
from intake.webhooks.subscriptions import SubscriptionInvalid
from workplace.pages.flash import Flash, Secret, forget_flash, redirect_with, take_flash
from workplace.pages.shared import not_found, render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/webhooks"
HEADS_ONLY = "Вебхуки доступны только руководителю отдела продаж."
LOG_LIMIT = 50
EVENT_LABELS = {
    EventType.LEAD_CREATED: "Новая заявка",
    EventType.LEAD_ASSIGNED: "Заявка назначена",
    EventType.LEAD_TAKEN: "Заявка взята в работу",
    EventType.LEAD_JUNKED: "Заявка в браке",
    EventType.LEAD_CONVERTED: "Заявка конвертирована",
    EventType.DEAL_STAGE_CHANGED: "Сделка перешла на этап",
    EventType.DEAL_WON: "Сделка выиграна",
    EventType.DEAL_LOST: "Сделка проиграна",
    EventType.CALL_MISSED: "Пропущенный звонок",
    EventType.MESSAGE_RECEIVED: "Сообщение клиента",
    EventType.TASK_OVERDUE: "Задача просрочена",
    EventType.QUOTE_STATUS_CHANGED: "КП: смена статуса",
    EventType.INVOICE_STATUS_CHANGED: "Счёт: смена статуса",
    EventType.PAYMENT_RECEIVED: "Оплата по счёту",
}
STATUS_LABELS = {
    DeliveryStatus.PENDING: "в очереди",
    DeliveryStatus.DELIVERED: "доставлено",
    DeliveryStatus.DEAD: "не доставлено",
}
FIELD_LABELS = {"url": "Адрес", "events": "События", "queue": "Очередь", "pipeline": "Воронка"}


async def page(request: web.Request) -> web.StreamResponse:
    """Every subscription, and the form to add one; heads only."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    flash = await take_flash(request)
    response = await _list(
        request,
        me,
        secret=flash.secret if flash else None,
        notice=flash.notice if flash else "",
    )
    forget_flash(request, response)
    return response


async def create(request: web.Request) -> web.StreamResponse:
    """Add a subscription, then redirect to the list that shows its secret this once (a
    refresh neither shows it again nor adds a second subscription)."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    services = request.app[SERVICES]
    form = await request.post()
    body = {
        "url": str(form.get("url", "")),
        "events": [str(e) for e in form.getall("events", [])],
        "queue": str(form.get("queue", "")),
        "pipeline": str(form.get("pipeline", "")),
    }
    try:
        new = subs.parse_subscription(body, services.settings)
    except SubscriptionInvalid as err:
        field = err.field.split("[")[0]
        message = f"{FIELD_LABELS.get(field, field)}: {_russian(err)}"
        return await _list(request, me, error=(field, message), draft=body, status=422)
    created = await subs.create_subscription(services.storage, new, me.login)
    secret = Secret(
        f"Секрет вебхука {created.subscription.url}",
        created.secret,
        "Скопируйте секрет сейчас: он показывается один раз. Им получатель проверяет подпись"
        " webhook-signature (Standard Webhooks).",
    )
    raise await redirect_with(request, SECTION, Flash("Подписка добавлена.", secret))


async def toggle(request: web.Request) -> web.StreamResponse:
    """Enable or disable a subscription."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    subscription_id = _id(request, "webhook_id")
    form = await request.post()
    active = str(form.get("active", "")) == "1"
    if await subs.set_active(request.app[SERVICES].storage, subscription_id, active) is None:
        return not_found(request, me)
    raise web.HTTPSeeOther(SECTION)


async def delete(request: web.Request) -> web.StreamResponse:
    """Remove a subscription and its delivery log."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    await subs.delete_subscription(request.app[SERVICES].storage, _id(request, "webhook_id"))
    raise web.HTTPSeeOther(SECTION)


async def log(request: web.Request) -> web.StreamResponse:
    """A subscription's latest deliveries and its dead letters, with replay buttons."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    storage = request.app[SERVICES].storage
    subscription_id = _id(request, "webhook_id")
    found = await subs.get_subscription(storage, subscription_id)
    if found is None:
        return not_found(request, me)
    context = {
        "subscription": found,
        "deliveries": await subs.deliveries(storage, subscription_id, None, LOG_LIMIT),
        "dead": await subs.deliveries(storage, subscription_id, DeliveryStatus.DEAD, LOG_LIMIT),
        "status_labels": STATUS_LABELS,
        "event_labels": EVENT_LABELS,
        "replayed": request.query.get("replayed"),
        "attempt_word": lambda n: plural(n, ("попытка", "попытки", "попыток")),
    }
    return render(request, "settings_webhook_log.html", me, context, section=SECTION)


async def replay_one(request: web.Request) -> web.StreamResponse:
    """Send one delivery again."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    subscription_id = _id(request, "webhook_id")
    count = await subs.replay(
        request.app[SERVICES].storage, subscription_id, [_id(request, "delivery_id")]
    )
    raise web.HTTPSeeOther(f"{SECTION}/{subscription_id}?replayed={count}")


async def replay_dead(request: web.Request) -> web.StreamResponse:
    """Send every dead letter again."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    subscription_id = _id(request, "webhook_id")
    count = await subs.replay(request.app[SERVICES].storage, subscription_id, None)
    raise web.HTTPSeeOther(f"{SECTION}/{subscription_id}?replayed={count}")


async def _list(
    request: web.Request,
    me: Manager,
    *,
    error: tuple[str, str] | None = None,
    draft: dict[str, Any] | None = None,
    secret: Secret | None = None,
    notice: str = "",
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    settings = services.settings
    context = {
        "subscriptions": await subs.list_subscriptions(services.storage),
        "event_labels": EVENT_LABELS,
        "queues": [(q.key, q.name) for q in settings.queues],
        "pipelines": [(p.key, p.name) for p in settings.pipelines],
        "error": {"field": error[0], "message": error[1]} if error else None,
        "draft": draft or {"events": []},
        "secret": secret,
        "notice": notice,
    }
    return render(request, "settings_webhooks.html", me, context, status=status, section=SECTION)


def _id(request: web.Request, name: str) -> int:
    value = parse_int(request.match_info[name])
    if value is None:
        raise web.HTTPNotFound()
    return value


def _russian(err: SubscriptionInvalid) -> str:
    if err.field == "url":
        return "нужен адрес http:// или https:// получателя во внешней сети"
    if err.field.startswith("events"):
        return "отметьте хотя бы одно событие"
    return "выберите из списка"
