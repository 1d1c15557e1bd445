"""Move a deal from the board or its card; a head approves or rejects a pending loss.

Each action runs the same crm_core command as the API's route. A refused move answers the
rule's Russian message and what the manager may fill in to retry (the missing fields, the
lost reason, a next task); the fill-in and the move happen in one transaction or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping

from crm_core.deals import add_task, decide_lost, fill_deal_fields, move_deal
from crm_core.errors import DomainError, NotFound
from crm_core.model import Manager
from crm_core.pipelines import MoveOutcome, Pipeline
from crm_core.sales import NewTask, RecordKind
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.keys import SERVICES
from intake.http.responses import json_response
from workplace.pages.deal_card import load_card
from workplace.pages.deals_board import FIELD_NAMES, board_context
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

# Fields a stage may require that a small form cannot fill (links to other records).
LINKED_FIELDS = frozenset({"contact", "company", "products", "comment"})
# A task planned from the board is due at the end of the manager's working day.
TASK_DUE_AT = time(19, 0)


class BadInput(DomainError):
    """What the manager typed cannot be used (a malformed amount or date)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, 422)
        self.rule = "bad_input"
        self.needed: tuple[str, ...] = ()


async def move(request: web.Request) -> web.StreamResponse:
    """Move the deal to `stage`, filling first what the form brings (fields, reason, task).

    Answers JSON for the board's script: `ok`, `message`, the rule and what to fill on a
    refusal, the board again on success.
    """
    me = await viewer(request)
    deal_id = path_id(request, "deal_id") or 0
    form = await request.post()
    stage = str(form.get("stage") or "")
    services = request.app[SERVICES]
    pipelines = services.sales.pipelines
    try:
        async with services.storage.transaction() as uow:
            if deal_id == 0:
                raise NotFound("deal_id", "no such deal")
            await _fill(uow, deal_id, me, form, utcnow())
            reason = str(form.get("reason") or "").strip() or None
            deal, plan = await move_deal(uow, deal_id, stage, me, reason, pipelines, utcnow())
    except DomainError as err:
        pipeline = await _pipeline_of(request, deal_id, pipelines)
        if form.get("view") == "card":
            return await _card(request, me, deal_id, rule_text(err, pipeline))
        answer: dict[str, Any] = {
            "ok": False,
            "message": rule_text(err, pipeline),
            "rule": getattr(err, "rule", None),
            "fill": fillable(err),
        }
        if err.status in (404, 409) or answer["rule"] == "same_stage":
            # The board was stale (the deal moved or closed meanwhile): show it as it is now.
            context = await board_context(request, me, pipeline.key if pipeline else "")
            answer["board"] = render(request, "_deals_board.html", me, context).text
        return json_response(answer)
    if plan.outcome is MoveOutcome.AWAITING_APPROVAL:
        message = "Запрос на закрытие сделки отправлен руководителю."
    else:
        message = f"Сделка переведена на этап «{plan.target.name}»."
    if form.get("view") == "card":
        raise web.HTTPSeeOther(f"/deals/{deal_id}")
    context = await board_context(request, me, deal.pipeline)
    board = render(request, "_deals_board.html", me, context).text
    return json_response({"ok": True, "message": message, "board": board})


async def approve_lost(request: web.Request) -> web.StreamResponse:
    """A head closes the deal as lost, as its manager asked."""
    return await _decide(request, approve=True)


async def reject_lost(request: web.Request) -> web.StreamResponse:
    """A head refuses the lost request: the deal stays open where it is."""
    return await _decide(request, approve=False)


async def _decide(request: web.Request, *, approve: bool) -> web.StreamResponse:
    me = await viewer(request)
    deal_id = path_id(request, "deal_id") or 0
    services = request.app[SERVICES]
    pipelines = services.sales.pipelines
    try:
        async with services.storage.transaction() as uow:
            if deal_id == 0:
                raise NotFound("deal_id", "no such deal")
            deal = await decide_lost(uow, deal_id, me, approve, pipelines, utcnow())
    except DomainError as err:
        pipeline = await _pipeline_of(request, deal_id, pipelines)
        context = await board_context(request, me, pipeline.key if pipeline else "")
        context["message"] = rule_text(err, pipeline)
        return render(request, "deals_board.html", me, context, status=200, section="/deals")
    raise web.HTTPSeeOther(f"/deals?pipeline={deal.pipeline}")


async def _card(
    request: web.Request, me: Manager, deal_id: int, message: str
) -> web.StreamResponse:
    """The deal card again with the refusal on top (a form posted from the card)."""
    card = await load_card(request, me, deal_id)
    if card is None:
        return not_found(request, me)
    context = {**card, "message": message}
    return render(request, "deal_card.html", me, context, section="/deals")


async def _fill(
    uow: UnitOfWork, deal_id: int, me: Manager, form: MultiMapping[Any], now: datetime
) -> None:
    """What the retry form brings: the amount and fields, a next task."""
    amount = _amount(str(form.get("amount") or ""))
    fields = {
        key.removeprefix("field_"): str(value).strip()
        for key, value in form.items()
        if key.startswith("field_") and str(value).strip()
    }
    if amount is not None or fields:
        await fill_deal_fields(uow, deal_id, me, amount, fields, now)
    title = str(form.get("task_title") or "").strip()
    due_text = str(form.get("task_due") or "").strip()
    if title and due_text:
        due = _due(due_text, me.timezone, now)
        deal = await uow.sales.get_deal(deal_id)
        owner = deal.owner_id if deal and deal.owner_id else me.id
        task = NewTask(RecordKind.DEAL, deal_id, "call", title, due, owner, me.login)
        await add_task(uow, task, me, now)


def _amount(text: str) -> Decimal | None:
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".").rstrip("₽")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadInput("amount", "not a number") from None
    if not value.is_finite() or value <= 0 or value >= Decimal("1e13"):
        raise BadInput("amount", "out of range")
    return value.quantize(Decimal("0.01"))


def _due(text: str, timezone: str, now: datetime) -> datetime:
    """The end of the working day of that date in the manager's zone (an hour from now if
    that has passed)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadInput("task_due", "not a date") from None
    due = datetime.combine(day, TASK_DUE_AT, ZoneInfo(timezone))
    return due if due > now else now + timedelta(hours=1)


async def _pipeline_of(
    request: web.Request, deal_id: int, pipelines: Mapping[str, Pipeline]
) -> Pipeline | None:
    async with request.app[SERVICES].storage.reader() as uow:
        deal = await uow.sales.get_deal(deal_id) if deal_id else None
    return pipelines.get(deal.pipeline) if deal else None


def fillable(err: DomainError) -> list[str]:
    """What a small form can fill for the move to pass: `reason`, `task`, or field names."""
    rule = getattr(err, "rule", None)
    if rule == "lost_reason_required":
        return ["reason"]
    if rule == "next_activity_required":
        return ["task"]
    if rule == "required_fields":
        needed: tuple[str, ...] = getattr(err, "needed", ())
        if not any(f in LINKED_FIELDS for f in needed):
            return list(needed)
    return []


def rule_text(err: DomainError, pipeline: Pipeline | None) -> str:
    """A refused deal command as a Russian sentence, naming stages and fields."""
    rule = getattr(err, "rule", None)
    needed: tuple[str, ...] = getattr(err, "needed", ())

    def stage_name(key: str) -> str:
        names = {s.key: s.name for s in pipeline.stages} if pipeline else {}
        return f"«{names.get(key, key)}»"

    if rule == "required_fields":
        fields = ", ".join(FIELD_NAMES.get(f, f) for f in needed)
        return f"Чтобы перейти на этот этап, заполните: {fields}."
    if rule == "stage_order":
        stages = ", ".join(stage_name(k) for k in needed)
        return f"Этапы идут по порядку: сначала {stages}."
    if rule == "lost_reason_required":
        return "Укажите причину, по которой сделка провалена."
    texts = {
        "same_stage": "Сделка уже на этом этапе.",
        "lost_pending": "Сделка ждёт решения руководителя о закрытии: сначала одобрите или "
        "отклоните запрос.",
        "backward_move_needs_head": "Вернуть сделку на пройденный этап может только руководитель.",
        "deal_closed": "Сделка уже закрыта.",
        "next_activity_required": "Сначала запланируйте следующее действие по сделке "
        "(задачу со сроком).",
        "head_only": "Одобрить или отклонить закрытие может только руководитель.",
        "no_pending_lost": "Запроса на закрытие уже нет: обновите страницу.",
        "unknown_stage": "Такого этапа нет в воронке сделки.",
        "unknown_pipeline": "Воронка этой сделки больше не настроена.",
        "unknown_manager": "Менеджер сделки неактивен: передайте сделку другому.",
        "bad_input": "Проверьте введённые данные: сумма — число, срок — дата.",
        "invoices_unpaid": "Сделка выиграна, когда оплачены все её счета: дождитесь оплаты или "
        "отмените счета, которые не будут оплачены.",
        "not_shipped": "В этой воронке сделка выиграна, когда оплаченное отгружено: отметьте "
        "накладные и акты по оплаченным счетам как «Отгружено» / «Подписан».",
    }
    if rule in texts:
        return texts[rule]
    if err.status == 404:
        return "Сделка не найдена или недоступна вам."
    if err.status == 409:
        return "Сделка изменилась, пока вы её смотрели: обновите страницу."
    return "Действие не выполнено."
