"""A leaving manager's open leads and deals go to a chosen heir or by the queues' rules.

Nothing is left without an owner: when a queue has nobody to take a lead (everyone off duty,
at capacity or absent), it goes to the queue's fallback manager, else to an active head.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from crm_core.assignment import Assignment, AssignmentKind, Queue, assign
from crm_core.errors import RuleError
from crm_core.model import AuditEntry, LeadStatus, Manager
from crm_core.routing import Team, give_lead, queue_load
from crm_core.storage.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class HandedOver:
    """Who got what: lead id → manager id, deal id → manager id."""

    leads: Mapping[int, int]
    deals: Mapping[int, int]


async def hand_over_work(
    uow: UnitOfWork,
    leaving: Manager,
    heir: Manager | None,
    queues: Mapping[str, Queue],
    team: Team,
    actor: str,
    now: datetime,
) -> HandedOver:
    """Re-own every open lead and deal of `leaving` (the team must already see them inactive).

    With an `heir` everything goes to them; without one each lead is routed by its queue (a
    deal by its lead's queue, else the first queue `leaving` served in).
    """
    if heir is not None and (not heir.active or heir.id == leaving.id):
        raise RuleError("manager_inactive", "hand_over_to", f"{heir.login} cannot take over", 422)
    leads: dict[int, int] = {}
    for lead_id in await uow.handover.open_lead_ids(leaving.id):
        lead = await uow.leads.get(lead_id)
        if lead is None:
            continue
        queue = _queue_of(lead.data.queue, leaving, queues)
        decision = await _decide(uow, leaving, heir, queue, team, now)
        if lead.status is LeadStatus.IN_WORK:
            decision = Assignment(decision.manager_id, decision.kind, decision.reason)
        record = await give_lead(uow, lead, queue, team, decision, now)
        assert record.manager_id is not None
        leads[lead_id] = record.manager_id
    deals: dict[int, int] = {}
    audit: list[AuditEntry] = []
    for deal_id in await uow.handover.open_deal_ids(leaving.id):
        deal = await uow.sales.get_deal(deal_id)
        if deal is None:
            continue
        lead = await uow.leads.get(deal.lead_id) if deal.lead_id is not None else None
        queue = _queue_of(lead.data.queue if lead else None, leaving, queues)
        decision = await _decide(uow, leaving, heir, queue, team, now)
        assert decision.manager_id is not None
        await uow.handover.set_deal_owner(deal_id, decision.manager_id, now)
        deals[deal_id] = decision.manager_id
        new_owner = team.managers[decision.manager_id].login
        audit.append(
            AuditEntry(
                actor,
                "deal",
                deal_id,
                "hand_over",
                now,
                before={"owner": leaving.login},
                after={"owner": new_owner},
            )
        )
    await uow.audit.add_many(audit)
    return HandedOver(leads, deals)


async def _decide(
    uow: UnitOfWork,
    leaving: Manager,
    heir: Manager | None,
    queue: Queue | None,
    team: Team,
    now: datetime,
) -> Assignment:
    reason = f"менеджер {leaving.name} деактивирован"
    if heir is not None:
        return Assignment(heir.id, AssignmentKind.HAND_OVER, f"{reason}: передано {heir.name}")
    if queue is not None:
        load = await queue_load(uow, queue, team, now)
        decision = assign(queue, load, now, exclude=frozenset({leaving.id}))
        if decision.manager_id is not None and decision.manager_id != leaving.id:
            return Assignment(
                decision.manager_id,
                AssignmentKind.HAND_OVER,
                f"{reason}; {decision.reason}",
                accept_by=decision.accept_by,
            )
    head = _a_head(team.managers.values(), leaving)
    return Assignment(head.id, AssignmentKind.HAND_OVER, f"{reason}; передано руководителю")


def _queue_of(key: str | None, leaving: Manager, queues: Mapping[str, Queue]) -> Queue | None:
    if key is not None and key in queues:
        return queues[key]
    return next(
        (q for q in queues.values() if any(m.manager_id == leaving.id for m in q.members)), None
    )


def _a_head(managers: Iterable[Manager], leaving: Manager) -> Manager:
    heads = sorted(
        (m for m in managers if m.is_head and m.active and m.id != leaving.id),
        key=lambda m: m.id,
    )
    if not heads:
        raise RuleError(
            "no_heir", "hand_over_to", "nobody active is left to take over the open work", 422
        )
    return heads[0]


async def ensure_no_open_work(uow: UnitOfWork, manager_id: int) -> None:
    """Refuse to make a manager inactive by an edit while they hold open leads or deals:
    deactivation hands them over, so nothing is left without an owner."""
    if await uow.handover.open_lead_ids(manager_id) or await uow.handover.open_deal_ids(
        manager_id
    ):
        raise RuleError(
            "has_open_work",
            "active",
            "the manager holds open leads or deals: deactivate with DELETE and"
            " hand_over_to, so nothing is left without an owner",
            422,
        )
