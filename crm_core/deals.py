"""Deal commands: move through the pipeline's stages under its rules; tasks and activities."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_core.access import may_change, may_see
from crm_core.errors import NotFound, RuleError
from crm_core.holders import deal_holders, require_changeable, task_holders
from crm_core.invoices_model import InvoiceStatus
from crm_core.model import AuditEntry, Manager
from crm_core.pipelines import (
    DealState,
    LostRequest,
    MoveOutcome,
    MovePlan,
    Pipeline,
    Stage,
    StageKind,
    approve_lost,
    plan_move,
    plan_relocation,
    reject_lost,
)
from crm_core.sales import (
    Deal,
    DealStatus,
    NewActivity,
    NewTask,
    RecordKind,
    Task,
)
from crm_core.storage.ports import UnitOfWork
from crm_core.webhooks import deal_events

STATUS_OF = {StageKind.OPEN: DealStatus.OPEN, StageKind.WON: DealStatus.WON}
PAID = InvoiceStatus.PAID


async def visible_deal(uow: UnitOfWork, deal_id: int, actor: Manager) -> Deal:
    """The deal, locked, if the actor may act on it (a head on any, a manager on their own)."""
    deal = await uow.sales.get_deal(deal_id, for_update=True)
    if deal is None or not may_change(actor, deal_holders(deal)):
        raise NotFound("deal_id", f"no deal {deal_id}")
    return deal


async def seen_deal(
    uow: UnitOfWork, deal_id: int | None, actor: Manager, field: str, missing: str
) -> None:
    """Nothing if the actor may see the deal (a document on it, or its list); NotFound
    naming `field` with the `missing` message (as if absent) otherwise."""
    deal = await uow.sales.get_deal(deal_id) if deal_id is not None else None
    if deal is None or not may_see(actor, deal_holders(deal)):
        raise NotFound(field, missing)


async def move_deal(
    uow: UnitOfWork,
    deal_id: int,
    target: str,
    actor: Manager,
    reason: str | None,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
) -> tuple[Deal, MovePlan]:
    """Move a deal to a stage if the pipeline's rules allow it (or ask a head for `lost`)."""
    deal = await visible_deal(uow, deal_id, actor)
    pipeline = _pipeline_of(deal, pipelines)
    plan = plan_move(
        pipeline,
        await deal_state(uow, deal),
        target,
        actor_role=actor.role,
        reason=reason,
        now=now,
    )
    if plan.outcome is MoveOutcome.AWAITING_APPROVAL:
        request = {"stage": plan.target.key, "reason": plan.reason or "", "by": actor.login}
        await uow.sales.set_pending_lost(deal_id, request, now)
        await _audit(uow, actor, deal, "request_lost", {"pending_lost": request}, now)
    else:
        await _enter(uow, deal, plan, actor, now)
    return await _reload(uow, deal_id), plan


async def decide_lost(
    uow: UnitOfWork,
    deal_id: int,
    actor: Manager,
    approve: bool,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
) -> Deal:
    """A head approves (the deal is lost) or rejects (it stays open) a manager's lost request."""
    deal = await visible_deal(uow, deal_id, actor)
    pipeline = _pipeline_of(deal, pipelines)
    state = await deal_state(uow, deal)
    if approve:
        plan = approve_lost(pipeline, state, actor_role=actor.role, now=now)
        await _enter(uow, deal, plan, actor, now)
    else:
        request = reject_lost(pipeline, state, actor_role=actor.role)
        await uow.sales.set_pending_lost(deal_id, None, now)
        await _audit(uow, actor, deal, "reject_lost", {"rejected": request.stage}, now)
    return await _reload(uow, deal_id)


async def relocate_deals(
    uow: UnitOfWork, pipeline: str, source: Stage, target: Stage, actor: Manager, now: datetime
) -> list[int]:
    """A head empties a stage before deleting it: each deal in `source` enters `target` as on
    a normal move (stage history, tasks on entry, audit), the order rules aside. A deal's
    status cannot change this way, so both stages are of one kind (open, or lost). Returns
    the ids moved."""
    if source.kind is not target.kind or target.kind is StageKind.WON:
        raise RuleError(
            "stage_kind_differs",
            "to",
            f"deals move from stage {source.key!r} ({source.kind.value}) only to another"
            f" {source.kind.value} stage, not to {target.key!r} ({target.kind.value})",
            422,
        )
    if source.key == target.key:
        raise RuleError("same_stage", "to", f"deals already stand in stage {source.key!r}", 422)
    deals = await uow.sales.deals_in_stage(pipeline, source.key)
    for deal in deals:
        plan = plan_relocation(target, deal.lost_reason, now)
        await _enter(uow, deal, plan, actor, now, deal.closed_at)
        if deal.pending_lost is not None:
            # Entering a stage clears a lost request; this move is not the manager's answer.
            await uow.sales.set_pending_lost(deal.id, dict(deal.pending_lost), now)
    return [d.id for d in deals]


async def fill_deal_fields(
    uow: UnitOfWork,
    deal_id: int,
    actor: Manager,
    amount: Decimal | None,
    fields: Mapping[str, str],
    now: datetime,
) -> Deal:
    """Fill in a deal's amount and custom fields (what a stage requires) on a deal the actor
    may change; other values stay as they are."""
    deal = await visible_deal(uow, deal_id, actor)
    merged = {**deal.fields, **fields}
    new_amount = amount if amount is not None else deal.amount
    await uow.sales.update_deal_fields(
        deal_id,
        amount=new_amount,
        products=deal.products,
        comment=deal.comment,
        fields=merged,
        now=now,
    )
    after: dict[str, Any] = {"fields": dict(fields)}
    if amount is not None:
        after["amount"] = str(amount)
    await _audit(uow, actor, deal, "fill_fields", after, now)
    return await _reload(uow, deal_id)


async def deal_state(uow: UnitOfWork, deal: Deal) -> DealState:
    """What the pipeline rules look at: stages visited, fields, planned activity, pending loss."""
    history = await uow.sales.stage_history(deal.id)
    fields: dict[str, object] = dict(deal.fields)
    fields.update(
        amount=deal.amount,
        products=deal.products,
        comment=deal.comment,
        contact=deal.contact_id,
        company=deal.company_id,
    )
    pending = deal.pending_lost
    return DealState(
        stage=deal.stage,
        visited=frozenset(v.stage for v in history),
        fields=fields,
        has_planned_activity=await uow.sales.open_task_count(RecordKind.DEAL, deal.id) > 0,
        pending_lost=LostRequest(pending["stage"], pending["reason"]) if pending else None,
        unpaid_invoices=await uow.invoices.unpaid_count(deal.id),
        unshipped_invoices=await uow.closing.unshipped_count(deal.id),
    )


async def add_task(uow: UnitOfWork, task: NewTask, actor: Manager, now: datetime) -> Task:
    """Plan a task on a record the actor may see, for an active manager."""
    await require_changeable(uow, actor, task.entity, task.entity_id, "entity_id")
    if task.assignee_id not in {m.id for m in await uow.managers.list() if m.active}:
        raise RuleError(
            "unknown_manager", "assignee_id", f"no active manager {task.assignee_id}", 422
        )
    [task_id] = await uow.sales.add_tasks([task], now)
    stored = await uow.sales.get_task(task_id)
    assert stored is not None
    return stored


async def set_task_done(
    uow: UnitOfWork, task_id: int, done: bool, actor: Manager, now: datetime
) -> Task:
    """Mark a task done or not done (its assignee, or a head)."""
    task = await uow.sales.get_task(task_id)
    if task is None or not may_change(actor, await task_holders(uow, task)):
        raise NotFound("task_id", f"no task {task_id}")
    if (task.done_at is not None) != done:  # a repeated click keeps the first done time
        await uow.sales.set_task_done(task_id, now if done else None)
    stored = await uow.sales.get_task(task_id)
    assert stored is not None
    return stored


async def log_activity(uow: UnitOfWork, activity: NewActivity, actor: Manager) -> int:
    """Log a call, e-mail, message or note on a record the actor may see."""
    await require_changeable(uow, actor, activity.entity, activity.entity_id, "entity_id")
    return await uow.sales.add_activity(activity, activity.at)


async def _enter(
    uow: UnitOfWork,
    deal: Deal,
    plan: MovePlan,
    actor: Manager,
    now: datetime,
    closed_at: datetime | None = None,
) -> None:
    kind = plan.target.kind
    status = STATUS_OF.get(kind, DealStatus.LOST)
    lost_reason = plan.reason if kind is StageKind.LOST else None
    await uow.sales.move_deal(
        deal.id, plan.target.key, status, actor.login, now, lost_reason, closed_at
    )
    await uow.sales.add_tasks(
        [
            NewTask(
                RecordKind.DEAL,
                deal.id,
                t.task.task_type,
                t.task.title,
                t.due_at,
                deal.owner_id,
                f"stage:{plan.target.key}",
            )
            for t in plan.tasks
        ],
        now,
    )
    after: dict[str, Any] = {"stage": plan.target.key, "status": status.value}
    if lost_reason:
        after["lost_reason"] = lost_reason
    if kind is StageKind.WON:
        await _amount_from_invoices(uow, deal, now, after)
    await _audit(uow, actor, deal, "move", after, now)
    moved = await _reload(uow, deal.id)
    for event in deal_events(deal, moved, now):
        uow.webhooks.record(event)


async def _amount_from_invoices(
    uow: UnitOfWork, deal: Deal, now: datetime, after: dict[str, Any]
) -> None:
    """A deal won with paid invoices is worth what they were paid for."""
    paid = [i.total for i in await uow.invoices.invoices_of_deal(deal.id) if i.status is PAID]
    if not paid:
        return
    amount = sum(paid, Decimal("0.00"))
    await uow.sales.update_deal_fields(
        deal.id,
        amount=amount,
        products=deal.products,
        comment=deal.comment,
        fields=deal.fields,
        now=now,
    )
    after["amount"] = str(amount)


async def follow_money(
    uow: UnitOfWork,
    deal_id: int,
    flag: str,
    pipelines: Mapping[str, Pipeline],
    actor: Manager,
    now: datetime,
) -> bool:
    """An invoice issued (`on_invoice`) or paid (`on_payment`) moves its open deal on to the
    stage the pipeline marks so, with that stage's tasks, when the deal stands before it (a
    deal already past it stays). The order and field rules of a manager's move do not apply:
    the money decides. True when the deal moved."""
    deal = await uow.sales.get_deal(deal_id, for_update=True)
    if deal is None or deal.status is not DealStatus.OPEN:
        return False
    pipeline = pipelines.get(deal.pipeline)
    target = pipeline.flagged_stage(flag) if pipeline else None
    if pipeline is None or target is None:
        return False
    stages = [s.key for s in pipeline.stages]
    if deal.stage in stages and stages.index(deal.stage) >= stages.index(target.key):
        return False
    await _enter(uow, deal, plan_relocation(target, None, now), actor, now)
    return True


def _pipeline_of(deal: Deal, pipelines: Mapping[str, Pipeline]) -> Pipeline:
    pipeline = pipelines.get(deal.pipeline)
    if pipeline is None:
        raise RuleError(
            "unknown_pipeline", "pipeline", f"pipeline {deal.pipeline!r} is no longer configured"
        )
    return pipeline


async def _reload(uow: UnitOfWork, deal_id: int) -> Deal:
    deal = await uow.sales.get_deal(deal_id)
    assert deal is not None
    return deal


async def _audit(
    uow: UnitOfWork,
    actor: Manager,
    deal: Deal,
    action: str,
    after: dict[str, Any],
    now: datetime,
) -> None:
    before = {"stage": deal.stage, "status": deal.status.value}
    await uow.audit.add_many(
        [AuditEntry(actor.login, "deal", deal.id, action, now, before=before, after=after)]
    )
