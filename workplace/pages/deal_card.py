"""The deal card: stage path with time in each stage, amount, client, next step, timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.access import may_change, may_see
from crm_core.holders import deal_holders
from crm_core.model import Manager
from crm_core.pipelines import Pipeline, StageKind, StageVisit
from crm_core.sales import Deal, DealStatus, RecordKind, deal_health
from intake.clock import utcnow
from intake.http.keys import SERVICES
from intake.replies.wiring import unavailable_accounts
from workplace.pages.deals_board import money
from workplace.pages.invoice_page import is_overdue
from workplace.pages.replies import load_replies
from workplace.pages.shared import junk_reasons, not_found, path_id, render
from workplace.pages.timeline import Names, stage_items, timeline
from workplace.viewer import viewer

STATUS_NAMES = {
    DealStatus.OPEN: "Открыта",
    DealStatus.WON: "Успешна",
    DealStatus.LOST: "Провалена",
}
HEALTH_NAMES = {
    "green": "Всё по плану",
    "yellow": "Следующий шаг сегодня",
    "red": "Просрочено или нет следующего шага",
}


@dataclass(frozen=True, slots=True)
class PathStep:
    """A stage on the deal's path: passed, current or ahead, and the time spent in it."""

    key: str
    name: str
    state: str
    spent: str
    color: str | None = None


async def page(request: web.Request) -> web.StreamResponse:
    """The card of one deal (404 for a deal the viewer may not see, as in the API)."""
    me = await viewer(request)
    deal_id = path_id(request, "deal_id")
    card = await load_card(request, me, deal_id) if deal_id is not None else None
    if card is None:
        return not_found(request, me)
    return render(request, "deal_card.html", me, card, section="/deals")


async def load_card(request: web.Request, me: Manager, deal_id: int) -> dict[str, Any] | None:
    """Everything the card shows, in one read (a fixed number of queries)."""
    async with request.app[SERVICES].storage.reader() as uow:
        deal = await uow.sales.get_deal(deal_id)
        if deal is None or not may_see(me, deal_holders(deal)):
            return None
        history = await uow.sales.stage_history(deal_id)
        tasks = await uow.sales.tasks_of(RecordKind.DEAL, deal_id)
        activities = await uow.sales.activities_of(RecordKind.DEAL, deal_id)
        audit = await uow.audit.for_entity("deal", deal_id)
        clients = await uow.sales.deal_clients([deal_id])
        managers = await uow.managers.list()
        quotes = await uow.sales_documents.quotes_of_deal(deal_id)
        invoices = await uow.invoices.invoices_of_deal(deal_id)
        shipments = await uow.closing.documents_of_deal(deal_id)
        replies = await load_replies(
            uow, me, RecordKind.DEAL, deal_id, unavailable_accounts(request.app[SERVICES].settings)
        )
    now = utcnow()
    pipeline = request.app[SERVICES].sales.pipelines.get(deal.pipeline)
    names_by_id = {m.id: m.name for m in managers}
    stage_names = {s.key: s.name for s in pipeline.stages} if pipeline else {}
    stage_colors = {s.key: s.color for s in pipeline.stages} if pipeline else {}
    open_tasks = [t for t in tasks if t.done_at is None]
    names = Names(
        {m.login: m.name for m in managers}, names_by_id, stage_names, junk_reasons(request)
    )
    events = timeline(
        activities,
        tasks,
        audit,
        names,
        stage_items(history, stage_names),
        replies["outgoing"],
        replies["files"],
    )
    today = now.astimezone(ZoneInfo(request.app[SERVICES].settings.documents.timezone)).date()
    health = deal_health([t.due_at for t in open_tasks], now, me.timezone).value
    return {
        "deal": deal,
        "pipeline": pipeline,
        "status_name": STATUS_NAMES.get(deal.status, deal.status.value),
        "health": health if deal.status is DealStatus.OPEN else "",
        "health_name": HEALTH_NAMES.get(health, ""),
        "amount": money(deal.amount, deal.currency),
        "client": clients.get(deal_id, ""),
        "manager": names_by_id.get(deal.owner_id or 0, "не назначен"),
        "next_task": open_tasks[0] if open_tasks else None,
        "path": stage_path(deal, pipeline, history, now),
        "stage_name": stage_names.get(deal.stage, deal.stage),
        "stage_color": stage_colors.get(deal.stage),
        "timeline": events,
        "reply": replies["reply"],
        "targets": [s for s in pipeline.stages if s.key != deal.stage] if pipeline else [],
        "next_stage": next_stage(deal, pipeline),
        "quotes": quotes,
        "invoices": [(i, is_overdue(i, today)) for i in invoices],
        "shipments": shipments,
        "may_quote": deal.status is DealStatus.OPEN and may_change(me, deal_holders(deal)),
    }


def stage_path(
    deal: Deal, pipeline: Pipeline | None, history: Sequence[StageVisit], now: datetime
) -> list[PathStep]:
    """The pipeline's open stages and won (a lost stage only where the deal is), each with
    the time the deal spent in it, summed over its visits."""
    if pipeline is None:
        return []
    end = deal.closed_at or now
    spent: dict[str, timedelta] = {}
    for visit in history:
        left = visit.left_at or end
        spent[visit.stage] = spent.get(visit.stage, timedelta(0)) + max(
            left - visit.entered_at, timedelta(0)
        )
    keys = [s.key for s in pipeline.stages]
    current = keys.index(deal.stage) if deal.stage in keys else -1
    steps = []
    for i, stage in enumerate(pipeline.stages):
        if stage.kind is StageKind.LOST and stage.key != deal.stage:
            continue
        if stage.key == deal.stage:
            state = "current"
        elif stage.key in spent or i < current:
            state = "passed"
        else:
            state = "ahead"
        shown = duration(spent[stage.key]) if stage.key in spent else ""
        steps.append(PathStep(stage.key, stage.name, state, shown, stage.color))
    return steps


def next_stage(deal: Deal, pipeline: Pipeline | None) -> str:
    """The stage after the deal's own (what the card's move form offers first)."""
    keys = [s.key for s in pipeline.stages] if pipeline else []
    if deal.stage not in keys or keys.index(deal.stage) + 1 >= len(keys):
        return ""
    return keys[keys.index(deal.stage) + 1]


def duration(span: timedelta) -> str:
    """`3 д 4 ч`, `2 ч 5 мин`, `12 мин` (under a minute: `меньше минуты`)."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} д {hours} ч"
    if hours:
        return f"{hours} ч {mins} мин"
    return f"{mins} мин" if mins else "меньше минуты"
