"""Routing a new lead: the client's own manager first, else the queue; then notify the assignee."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from crm_core.assignment import (
    Assignment,
    AssignmentKind,
    ManagerLoad,
    OwnerHint,
    Queue,
    assign,
    hand_over,
)
from crm_core.lifecycle import notify_triage_change
from crm_core.links import lead_link
from crm_core.model import Lead, Manager, Role
from crm_core.notifications import (
    NewNotification,
    NotificationChannel,
    NotificationKind,
    notifications_for,
)
from crm_core.sales import AssignmentRecord
from crm_core.schedule import Availability
from crm_core.storage.ports import UnitOfWork
from crm_core.webhooks import EventType, lead_event

COUNTED = frozenset({AssignmentKind.ROUND_ROBIN, AssignmentKind.HAND_OVER})


@dataclass(frozen=True, slots=True)
class Team:
    """The sales team as the router needs it: managers by id and when each is on duty."""

    managers: Mapping[int, Manager]
    availability: Mapping[int, Availability]
    link_base: str = ""
    channels: frozenset[NotificationChannel] = frozenset(NotificationChannel)
    # Where "Звонит клиент" goes while the phone rings: in-app, and Telegram too when the
    # managers' bot delivers it (a push that is read at once, with the card it replies to).
    ringing: frozenset[NotificationChannel] = frozenset({NotificationChannel.SSE})

    def on_duty_hint(self, manager_id: int, label: str, now: datetime) -> OwnerHint | None:
        """The owner of a client as an assignment hint (None for an unknown manager)."""
        manager = self.managers.get(manager_id)
        if manager is None:
            return None
        return OwnerHint.at(
            manager_id,
            manager.name,
            label,
            self.availability.get(manager_id, Availability.always(manager.timezone)),
            now,
            active=manager.active,
        )


async def route_lead(
    uow: UnitOfWork, lead: Lead, queue: Queue | None, team: Team, now: datetime
) -> AssignmentRecord:
    """Assign a new lead (owner first, then the queue), store why, notify the assignee."""
    owner = await client_owner(uow, lead, team, now)
    decision = await choose(uow, queue, team, now, owner=owner)
    record = await _apply(uow, lead, queue, team, decision, now)
    await uow.outbox.enqueue(new_lead_for_heads(team, lead, record, now), now)
    return record


async def choose(
    uow: UnitOfWork,
    queue: Queue | None,
    team: Team,
    now: datetime,
    *,
    owner: OwnerHint | None = None,
) -> Assignment:
    """Who a new lead goes to (the owner first, then the queue's rules), read only: routing
    applies the answer, a preview shows it."""
    if queue is None:
        return _without_queue(owner)
    return assign(queue, await _load(uow, queue, team, now), now, owner=owner)


@dataclass(frozen=True, slots=True)
class MemberState:
    """A queue member as the assignment sees them right now."""

    manager_id: int
    name: str
    weight: int
    daily_capacity: int | None
    active: bool
    on_duty: bool
    absent: bool
    assigned_today: int
    served: int

    @property
    def at_capacity(self) -> bool:
        """Whether today's leads reached the daily capacity."""
        return self.daily_capacity is not None and self.assigned_today >= self.daily_capacity


@dataclass(frozen=True, slots=True)
class QueuePreview:
    """Who a new client's lead would go to now, why, and each member's state (nothing is
    written: the same choice as `route_lead`, not applied)."""

    decision: Assignment
    members: tuple[MemberState, ...]


async def preview_queue(
    uow: UnitOfWork, queue: Queue | None, team: Team, now: datetime
) -> QueuePreview:
    """A dry run of routing a new client's lead through the queue (None: no queue)."""
    if queue is None:
        return QueuePreview(_without_queue(None), ())
    load = await _load(uow, queue, team, now)
    decision = assign(queue, load, now)
    members = tuple(
        MemberState(
            manager_id=m.manager_id,
            name=m.name,
            weight=m.weight,
            daily_capacity=m.daily_capacity,
            active=m.active,
            on_duty=m.availability.is_on_duty(now),
            absent=m.availability.is_absent(now),
            assigned_today=load.get(m.manager_id, ManagerLoad()).assigned_today,
            served=load.get(m.manager_id, ManagerLoad()).served,
        )
        for m in queue.members
    )
    return QueuePreview(decision, members)


def new_lead_for_heads(
    team: Team, lead: Lead, record: AssignmentRecord, now: datetime
) -> list[NewNotification]:
    """The heads' Входящие list every new lead: an in-app `lead_updated` row for each active
    head (not the one it was given to, who has the assignment notice), ids only."""
    payload = {"lead_id": lead.id, "status": "new", "assignee_id": record.manager_id}
    return [
        NewNotification(
            manager_id=head.id,
            channel=NotificationChannel.SSE,
            kind=NotificationKind.LEAD_UPDATED,
            address=str(head.id),
            payload=payload,
            dedupe_key=f"lead_updated:{lead.id}:routed:{now.isoformat()}:{head.id}",
        )
        for head in team.managers.values()
        if head.role is Role.HEAD and head.active and head.id != record.manager_id
    ]


async def assign_answered_call(
    uow: UnitOfWork, lead: Lead, manager_id: int, queue: Queue | None, team: Team, now: datetime
) -> AssignmentRecord:
    """Give a call's lead to the manager who answered it: they already talked to the client,
    so it is theirs and in work, with no deadline to take it."""
    manager = team.managers.get(manager_id)
    name = manager.name if manager else str(manager_id)
    reason = f"на звонок ответил менеджер {name}"
    decision = Assignment(manager_id, AssignmentKind.ANSWERED_CALL, reason)
    return await _apply(uow, lead, queue, team, decision, now)


async def hand_over_lead(
    uow: UnitOfWork, lead: Lead, queue: Queue, team: Team, now: datetime
) -> AssignmentRecord:
    """The assignee did not take the lead in time: pass it to the next manager."""
    tried = frozenset(
        r.manager_id for r in await uow.sales.assignments_of(lead.id) if r.manager_id is not None
    )
    previous = lead.assignee_id if lead.assignee_id is not None else -1
    decision = hand_over(
        queue, await _load(uow, queue, team, now), now, previous=previous, tried=tried
    )
    if decision.manager_id is None and lead.assignee_id is not None:
        # Everyone was tried and nobody can take over: the lead stays where it is, without a
        # deadline, rather than becoming nobody's (and invisible to every manager).
        decision = replace(
            decision,
            manager_id=lead.assignee_id,
            reason=f"{decision.reason}; остаётся у своего менеджера",
            accept_by=None,
        )
        record = _record(lead, queue, decision, now)
        await uow.sales.add_assignment(record)
        await uow.leads.set_assignee(lead.id, lead.assignee_id, None, now)
        return record
    return await give_lead(uow, lead, queue, team, decision, now)


async def give_lead(
    uow: UnitOfWork,
    lead: Lead,
    queue: Queue | None,
    team: Team,
    decision: Assignment,
    now: datetime,
) -> AssignmentRecord:
    """Apply a decision made elsewhere (a leaving manager's hand-over): store why, re-own the
    lead, notify the new assignee and refresh the Входящие of those who saw it."""
    record = await _apply(uow, lead, queue, team, decision, now)
    after = await uow.leads.get(lead.id)
    if after is not None:
        # The previous manager's Входящие (and the heads') lose or re-label the lead; the new
        # manager already has the hand-over notification.
        told = frozenset({record.manager_id} if record.manager_id is not None else ())
        await notify_triage_change(uow, lead, after, None, "hand_over", now, told=told)
    return record


async def queue_load(
    uow: UnitOfWork, queue: Queue, team: Team, now: datetime
) -> dict[int, ManagerLoad]:
    """Each member's served count and today's count in the queue, as routing weighs them."""
    return await _load(uow, queue, team, now)


async def client_owner(uow: UnitOfWork, lead: Lead, team: Team, now: datetime) -> OwnerHint | None:
    """The manager of the client the lead came from: contact's, open deal's, company's."""
    candidates: list[tuple[int | None, str]] = []
    open_lead = lead.match.duplicate_of_id if lead.match else None
    if open_lead is not None:
        # The person's earlier request is still open: whoever works on it takes this one too.
        open_owner = await uow.leads.assignee_id(open_lead)
        candidates.append((open_owner, f"открытой заявки №{open_lead}"))
    if lead.contact_id is not None:
        candidates.append(
            (await uow.identity.contact_owner(lead.contact_id), f"контакта №{lead.contact_id}")
        )
    deal_owner = await uow.sales.open_deal_owner(lead.contact_id, lead.company_id)
    candidates.append((deal_owner, "открытой сделки клиента"))
    if lead.company_id is not None:
        company = await uow.identity.get_company(lead.company_id)
        candidates.append((company.owner_id if company else None, f"компании №{lead.company_id}"))
    for manager_id, label in candidates:
        if manager_id is not None:
            hint = team.on_duty_hint(manager_id, label, now)
            if hint is not None:
                return hint
    return None


def _without_queue(owner: OwnerHint | None) -> Assignment:
    if owner is not None and owner.active and not owner.absent:
        return Assignment(owner.manager_id, AssignmentKind.OWNER, f"владелец {owner.label}")
    return Assignment(None, AssignmentKind.WAITING, "для заявки не настроена очередь")


async def _load(
    uow: UnitOfWork, queue: Queue, team: Team, now: datetime
) -> dict[int, ManagerLoad]:
    stored = await uow.sales.queue_load(queue.key)
    load: dict[int, ManagerLoad] = {}
    for manager_id, (served, day, day_count) in stored.items():
        today = _local_day(team, manager_id, now)
        load[manager_id] = ManagerLoad(day_count if day == today else 0, served)
    return load


def _local_day(team: Team, manager_id: int, now: datetime) -> date:
    availability = team.availability.get(manager_id)
    if availability is None:
        manager = team.managers.get(manager_id)
        availability = Availability.always(manager.timezone if manager else "UTC")
    return availability.local_day(now)


async def _apply(
    uow: UnitOfWork,
    lead: Lead,
    queue: Queue | None,
    team: Team,
    decision: Assignment,
    now: datetime,
) -> AssignmentRecord:
    record = _record(lead, queue, decision, now)
    record_id = await uow.sales.add_assignment(record)
    # A waiting lead's deadline is when someone comes on duty: it is routed again then.
    deadline = decision.accept_by if decision.manager_id is not None else decision.wait_until
    await uow.leads.set_assignee(lead.id, decision.manager_id, deadline, now)
    if decision.manager_id is None:
        return record
    given = team.managers.get(decision.manager_id)
    assigned = replace(lead, assignee_id=decision.manager_id)
    uow.webhooks.record(
        lead_event(EventType.LEAD_ASSIGNED, assigned, now, assignee=given.login if given else None)
    )
    if queue is not None and decision.kind in COUNTED:
        await uow.sales.count_assignment(
            queue.key, decision.manager_id, _local_day(team, decision.manager_id, now)
        )
    manager = team.managers.get(decision.manager_id)
    if manager is not None:
        kind = (
            NotificationKind.LEAD_HANDED_OVER
            if decision.kind is AssignmentKind.HAND_OVER
            else NotificationKind.REPEAT_REQUEST
            if lead.match is not None and lead.match.is_repeat
            else NotificationKind.LEAD_ASSIGNED
        )
        wanted = notifications(manager, lead, kind, decision.reason, team.link_base, record_id)
        await uow.outbox.enqueue([n for n in wanted if n.channel in team.channels], now)
    return record


def _record(
    lead: Lead, queue: Queue | None, decision: Assignment, now: datetime
) -> AssignmentRecord:
    return AssignmentRecord(
        lead_id=lead.id,
        manager_id=decision.manager_id,
        queue=queue.key if queue else None,
        kind=decision.kind.value,
        reason=decision.reason,
        decided_at=now,
        accept_by=decision.accept_by,
        wait_until=decision.wait_until,
    )


def notifications(
    manager: Manager,
    lead: Lead,
    kind: NotificationKind,
    reason: str,
    link_base: str,
    record_id: int,
) -> list[NewNotification]:
    """One notification per way the manager can be reached (the in-app stream always)."""
    payload = lead_payload(lead, reason, link_base)
    # Every channel here: the caller keeps those the team has enabled.
    return notifications_for(
        manager, kind, payload, f"assignment:{record_id}", frozenset(NotificationChannel)
    )


def lead_payload(lead: Lead, reason: str, link_base: str) -> dict[str, Any]:
    """What a manager's notification about a lead shows."""
    data = lead.data
    contact = data.contact
    return {
        "lead_id": lead.id,
        "name": contact.name,
        "phone": contact.phone or contact.phone_raw,
        "email": contact.email or contact.email_raw,
        "company": contact.company,
        "channel": data.channel,
        "source": data.source,
        "message": data.comment,
        "reason": reason,
        "repeat": bool(lead.match and lead.match.is_repeat),
        "contact_id": lead.contact_id,
        "link": lead_link(link_base, lead.id),
    }


def head_alerts(
    team: Team, kind: NotificationKind, payload: dict[str, Any], key: str
) -> list[NewNotification]:
    """The notifications telling every active head of sales about an operational problem."""
    heads = [m for m in team.managers.values() if m.role is Role.HEAD and m.active]
    return [n for h in heads for n in notifications_for(h, kind, payload, key, team.channels)]
