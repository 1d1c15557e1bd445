"""Lead qualification: take a lead into work, mark it junk with a reason, reassign it.

A new lead that changes this way leaves (or moves between) Входящие lists: whoever else saw it
there is told through the in-app stream, in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from crm_core.access import may_change
from crm_core.bot_cards import close_stale_cards
from crm_core.errors import NotFound, RuleError
from crm_core.holders import lead_holders
from crm_core.model import AuditEntry, Lead, LeadStatus, Manager
from crm_core.notifications import NewNotification, NotificationChannel, NotificationKind
from crm_core.sales import AssignmentRecord
from crm_core.storage.ports import UnitOfWork
from crm_core.webhooks import EventType, lead_event
from dedupe.keys import Entity

CLOSED = frozenset({LeadStatus.CONVERTED, LeadStatus.JUNK})
# The webhook event of each triage action; a change of assignee is lead.assigned besides,
# except on a hand-over, which routing reports itself.
EVENT_OF_ACTION = {
    "take": EventType.LEAD_TAKEN,
    "junk": EventType.LEAD_JUNKED,
    "convert": EventType.LEAD_CONVERTED,
}


async def visible_lead(uow: UnitOfWork, lead_id: int, actor: Manager) -> Lead:
    """The lead, locked, if the actor may act on it (a head on any, a manager on their own)."""
    lead = await uow.leads.lock(lead_id)
    if lead is None or not may_change(actor, lead_holders(lead)):
        raise NotFound("lead_id", f"no lead {lead_id}")
    return lead


async def take_lead(uow: UnitOfWork, lead_id: int, actor: Manager, now: datetime) -> Lead:
    """new → in_work by its manager (an unassigned lead becomes the actor's); idempotent."""
    lead = await visible_lead(uow, lead_id, actor)
    if lead.status is LeadStatus.IN_WORK and lead.assignee_id == actor.id:
        return lead
    if lead.status is not LeadStatus.NEW:
        raise RuleError(
            "lead_not_new",
            "status",
            f"lead {lead_id} is {lead.status.value}: only a new lead can be taken into work",
        )
    if lead.assignee_id not in (None, actor.id) and not actor.is_head:
        raise RuleError("not_assignee", "lead_id", f"lead {lead_id} is assigned to someone else")
    if lead.assignee_id != actor.id:
        await uow.leads.set_assignee(lead_id, actor.id, None, now)
        await uow.sales.add_assignment(
            AssignmentRecord(
                lead_id, actor.id, lead.data.queue, "manual", f"taken by {actor.name}", now
            )
        )
    await uow.leads.set_status(lead_id, LeadStatus.IN_WORK, now, taken=True)
    await _audit(uow, actor, lead, "take", {"status": "in_work", "assignee": actor.login}, now)
    return await _changed(uow, lead, actor, "take", now)


async def junk_lead(
    uow: UnitOfWork,
    lead_id: int,
    actor: Manager,
    reason: str | None,
    reasons: Mapping[str, str],
    now: datetime,
) -> Lead:
    """Close a lead as junk; the reason must be one of the configured ones."""
    if not reason or reason not in reasons:
        raise RuleError(
            "junk_reason_required",
            "reason",
            "a junk reason is required, one of: " + ", ".join(sorted(reasons)),
            status=422,
        )
    lead = await visible_lead(uow, lead_id, actor)
    if lead.status is LeadStatus.JUNK and lead.junk_reason == reason:
        return lead
    if lead.status in CLOSED:
        raise RuleError("lead_closed", "status", f"lead {lead_id} is already {lead.status.value}")
    await uow.leads.set_status(lead_id, LeadStatus.JUNK, now, junk_reason=reason)
    # A closed lead is no longer an open request that new messages should join.
    await uow.identity.unindex(Entity.LEAD, [lead_id])
    await _audit(uow, actor, lead, "junk", {"status": "junk", "junk_reason": reason}, now)
    return await _changed(uow, lead, actor, "junk", now)


async def reassign_lead(
    uow: UnitOfWork, lead_id: int, actor: Manager, target: Manager, now: datetime
) -> Lead:
    """Give the lead to another manager (a head, or its current manager, may do it)."""
    lead = await visible_lead(uow, lead_id, actor)
    if lead.status in CLOSED:
        raise RuleError("lead_closed", "status", f"lead {lead_id} is already {lead.status.value}")
    if not target.active:
        raise RuleError("manager_inactive", "manager", f"{target.login} is not active", 422)
    await uow.leads.set_assignee(lead_id, target.id, None, now)
    await uow.sales.add_assignment(
        AssignmentRecord(
            lead_id,
            target.id,
            lead.data.queue,
            "manual",
            f"reassigned to {target.name} by {actor.name}",
            now,
        )
    )
    await _audit(uow, actor, lead, "reassign", {"assignee": target.login}, now)
    return await _changed(uow, lead, actor, "reassign", now)


async def notify_triage_change(
    uow: UnitOfWork,
    before: Lead,
    after: Lead,
    actor: Manager | None,
    action: str,
    now: datetime,
    *,
    told: frozenset[int] = frozenset(),
) -> None:
    """Tell the others whose Входящие showed a new lead that it changed: every active head
    (they see all new leads), its previous manager and its new one; not the actor (None: the
    system) nor those already `told` by another notification. One in-app row each, with ids
    and the status only (the page re-reads the list). The managers' bot cards the change
    made out of date are closed (crm_core.bot_cards). Webhook subscribers are told too."""
    _record_events(uow, before, after, action, now)
    await close_stale_cards(uow, after, actor, now)
    if before.status is not LeadStatus.NEW:
        return  # only new leads are listed in Входящие
    heads = {m.id for m in await uow.managers.list() if m.is_head and m.active}
    recipients = (heads | {before.assignee_id, after.assignee_id}) - {None, actor and actor.id}
    recipients -= told
    payload = {"lead_id": after.id, "status": after.status.value, "assignee_id": after.assignee_id}
    stamp = now.isoformat()
    await uow.outbox.enqueue(
        [
            NewNotification(
                manager_id=manager_id,
                channel=NotificationChannel.SSE,
                kind=NotificationKind.LEAD_UPDATED,
                address=str(manager_id),
                payload=payload,
                dedupe_key=f"lead_updated:{after.id}:{action}:{stamp}:{manager_id}",
            )
            for manager_id in sorted(r for r in recipients if r is not None)
        ],
        now,
    )


def _record_events(uow: UnitOfWork, before: Lead, after: Lead, action: str, now: datetime) -> None:
    reassigned = after.assignee_id not in (None, before.assignee_id)
    if reassigned and action != "hand_over":
        uow.webhooks.record(lead_event(EventType.LEAD_ASSIGNED, after, now))
    if action in EVENT_OF_ACTION:
        uow.webhooks.record(lead_event(EVENT_OF_ACTION[action], after, now))


async def _changed(
    uow: UnitOfWork, before: Lead, actor: Manager, action: str, now: datetime
) -> Lead:
    after = await _reload(uow, before.id)
    await notify_triage_change(uow, before, after, actor, action, now)
    return after


async def _reload(uow: UnitOfWork, lead_id: int) -> Lead:
    lead = await uow.leads.get(lead_id)
    assert lead is not None
    return lead


async def _audit(
    uow: UnitOfWork,
    actor: Manager,
    lead: Lead,
    action: str,
    after: dict[str, str],
    now: datetime,
) -> None:
    before = {"status": lead.status.value, "assignee": lead.assignee or ""}
    if lead.junk_reason:
        before["junk_reason"] = lead.junk_reason
    await uow.audit.add_many(
        [AuditEntry(actor.login, "lead", lead.id, action, now, before=before, after=after)]
    )
