"""Сделки: one board per pipeline, a column per stage, a card per open deal by health."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from crm_core.access import listing_scope
from crm_core.model import Manager
from crm_core.pipelines import Pipeline, StageKind
from crm_core.sales import Deal, DealStatus, RecordKind, Task, deal_health
from crm_core.storage import Storage
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.shared import local_time, render
from workplace.viewer import viewer

# More open deals than this on one board is a pipeline problem, not a page problem.
BOARD_LIMIT = 1000
CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€"}
# The names of deal fields a stage may require, as a manager reads them.
FIELD_NAMES = {
    "amount": "Сумма",
    "company": "Компания",
    "contact": "Контакт",
    "products": "Товары",
    "comment": "Комментарий",
}


@dataclass(frozen=True, slots=True)
class Card:
    """One open deal as the board shows it."""

    id: int
    title: str
    client: str
    amount: str
    manager: str
    next_task: str
    next_due: str
    health: str
    pending_lost: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class Column:
    """A stage with its cards, how many and their sum."""

    key: str
    name: str
    kind: str
    cards: list[Card]
    total: str
    color: str | None = None


async def page(request: web.Request) -> web.StreamResponse:
    """The board of one pipeline (`?pipeline=`), the viewer's deals or, for a head, all."""
    me = await viewer(request)
    context = await board_context(request, me, request.query.get("pipeline", ""))
    return render(request, "deals_board.html", me, context, section="/deals")


async def board_context(request: web.Request, me: Manager, key: str) -> dict[str, Any]:
    """What the board template needs: the pipelines, the chosen one and its columns."""
    pipelines = request.app[SERVICES].sales.pipelines
    pipeline = pipelines.get(key) or next(iter(pipelines.values()))
    columns = await load_columns(request.app[SERVICES].storage, me, pipeline, utcnow())
    return {
        "pipelines": list(pipelines.values()),
        "pipeline": pipeline,
        "columns": columns,
        "lost_reasons": pipeline.lost_reasons,
        "field_names": FIELD_NAMES,
    }


async def load_columns(
    storage: Storage, me: Manager, pipeline: Pipeline, now: datetime
) -> list[Column]:
    """The pipeline's stages with the open deals the viewer may see (the API's listing rule),
    in four queries whatever the number of deals."""
    scope = listing_scope(me)
    async with storage.reader() as uow:
        deals = await uow.sales.list_deals(
            owner_id=scope.id if scope else None,
            pipeline=pipeline.key,
            status=DealStatus.OPEN.value,
            limit=BOARD_LIMIT,
            before_id=None,
        )
        ids = [d.id for d in deals]
        tasks = await uow.sales.open_tasks_of_many(RecordKind.DEAL, ids)
        clients = await uow.sales.deal_clients(ids)
        managers = await uow.managers.list()
    names = {m.id: m.name for m in managers}
    open_tasks: dict[int, list[Task]] = {}
    for task in tasks:  # by due time: the first one is the next step
        open_tasks.setdefault(task.entity_id, []).append(task)
    by_stage: dict[str, list[Deal]] = {}
    for deal in sorted(deals, key=lambda d: d.id):
        by_stage.setdefault(deal.stage, []).append(deal)
    columns = []
    for stage in pipeline.stages:
        staged = by_stage.get(stage.key, []) if stage.kind is StageKind.OPEN else []
        cards = [
            card(d, open_tasks.get(d.id, []), clients, names, me.timezone, now) for d in staged
        ]
        columns.append(
            Column(stage.key, stage.name, stage.kind.value, cards, money_sum(staged), stage.color)
        )
    return columns


def card(
    deal: Deal,
    open_tasks: Sequence[Task],
    clients: Mapping[int, str],
    names: Mapping[int, str],
    timezone: str,
    now: datetime,
) -> Card:
    """A deal's card: the next task is the earliest open one; the colour is its health."""
    following = open_tasks[0] if open_tasks else None
    return Card(
        id=deal.id,
        title=deal.title,
        client=clients.get(deal.id, ""),
        amount=money(deal.amount, deal.currency),
        manager=names.get(deal.owner_id or 0, ""),
        next_task=following.title if following else "",
        next_due=local_time(following.due_at, timezone) if following else "",
        health=deal_health([t.due_at for t in open_tasks], now, timezone).value,
        pending_lost=deal.pending_lost,
    )


def money(amount: Decimal | None, currency: str = "RUB") -> str:
    """`150 000 ₽` (kopecks only when there are any); empty without an amount."""
    if amount is None:
        return ""
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    text = text.replace(",", "\u00a0").replace(".", ",")
    return f"{text}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


def money_sum(deals: Sequence[Deal]) -> str:
    """The sum of the deals' amounts (in the first deal's currency), or empty."""
    amounts = [d.amount for d in deals if d.amount is not None]
    if not amounts:
        return ""
    return money(sum(amounts, Decimal(0)), deals[0].currency)
