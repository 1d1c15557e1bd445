"""JoinChain and UndoLeadJoin: one person met on several channels is one open lead.

A person writes to the Telegram bot, then to the VK community, then fills a lead form with
their phone and VK id. The form ties the Telegram lead (by phone) and the VK lead (by VK id)
together, each for sure: the open leads are joined into the earliest, which is then indexed
under every identifier, so the person's next call or message finds one lead. A join is
journaled like a contact merge and can be undone from its entry.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from itertools import combinations
from typing import Any

from crm_core.errors import MergeError
from crm_core.ingest import SYSTEM_ACTOR
from crm_core.lifecycle import notify_triage_change
from crm_core.model import AuditEntry, Lead, LeadContactDetails, LeadStatus
from crm_core.sales import KIND_BY_CHANNEL, ActivityKind, NewActivity, RecordKind
from crm_core.storage.ports import UnitOfWork
from dedupe.decision import Decision, Verdict
from dedupe.keys import Entity, KeyKind, kind_of

OPEN_LEAD = (LeadStatus.NEW, LeadStatus.IN_WORK)
# Keys naming one person for sure: two leads sharing one were kept apart on purpose (a
# shared office or family number, a "not the same person" answer), so never joined.
PERSONAL_KINDS = frozenset(
    {
        KeyKind.PHONE,
        KeyKind.EMAIL,
        KeyKind.EMAIL_CANONICAL,
        KeyKind.TELEGRAM_ID,
        KeyKind.TELEGRAM_USER,
        KeyKind.VK_ID,
        KeyKind.MESSENGER,
    }
)


async def join_chain(
    uow: UnitOfWork, decision: Decision, now: datetime, *, by_lead_id: int | None = None
) -> Decision:
    """Join the open leads the decision ties together (see Decision.chain) into the earliest;
    returns the decision as an automatic link to it, or unchanged when there is nothing to
    join. `by_lead_id` is the new lead whose evidence made the chain, if it is one."""
    if len(decision.chain) < 2:
        return decision
    leads: list[Lead] = []
    for lead_id in decision.chain:
        lead = await uow.leads.lock(lead_id)
        if lead is None or not _joinable(lead):
            return decision
        leads.append(lead)
    keys = await uow.identity.keys_of(Entity.LEAD, [lead.id for lead in leads])
    personal = {i: {k for k in ks if kind_of(k) in PERSONAL_KINDS} for i, ks in keys.items()}
    for first, second in combinations(leads, 2):
        if personal.get(first.id, set()) & personal.get(second.id, set()):
            return decision
    if await _split_before(uow, decision.chain):
        return decision
    survivor, *others = sorted(leads, key=lambda lead: (lead.created_at, lead.id))
    reason = chain_reason(decision, survivor.id)
    for joined in others:
        await join_lead(uow, survivor, joined, reason, by_lead_id, SYSTEM_ACTOR, now)
    chained = tuple(
        c for c in decision.candidates if c.entity is Entity.LEAD and c.id in decision.chain
    )
    return replace(
        decision,
        verdict=Verdict.AUTO,
        contact_id=None,
        reason=reason,
        candidates=chained,
        matched_entity=Entity.LEAD,
        duplicate_lead_id=survivor.id,
    )


def chain_reason(decision: Decision, survivor_id: int) -> str:
    """Why the leads were joined, in Russian, with the evidence for each."""
    parts = []
    for candidate in decision.candidates:
        if candidate.id not in decision.chain or candidate.entity is not Entity.LEAD:
            continue
        notes = "; ".join(e.note for e in candidate.comparison.evidence if e.weight > 0)
        parts.append(f"заявка №{candidate.id}: {notes}")
    numbers = ", ".join(f"№{i}" for i in decision.chain)
    return (
        f"один человек в открытых заявках {numbers} ({'; '.join(parts)}):"
        f" заявки объединены в №{survivor_id}"
    )


async def join_lead(
    uow: UnitOfWork,
    survivor: Lead,
    joined: Lead,
    reason: str,
    by_lead_id: int | None,
    actor: str,
    now: datetime,
) -> int:
    """Join one open lead into another; returns the journal id.

    The joined lead stays, attached to the survivor (as a later request of the same person
    is): its message becomes an activity of the survivor, its activities, tasks and attached
    requests move there, and the survivor learns its identifiers and the details it lacked.
    """
    keys = await uow.identity.keys_of(Entity.LEAD, [survivor.id, joined.id])
    survivor_keys = keys.get(survivor.id, set())
    joined_keys = keys.get(joined.id, set())
    before: dict[str, dict[str, Any]] = {
        "joined": {
            "assignee_id": joined.assignee_id,
            "accept_by": joined.accept_by.isoformat() if joined.accept_by else None,
            "keys": sorted(joined_keys),
        },
        "survivor": {"keys": sorted(survivor_keys)},
    }
    moved = await uow.sales.move_work(RecordKind.LEAD, joined.id, survivor.id)
    attached = [lead.id for lead in await uow.leads.attached_to(joined.id)]
    await uow.leads.attach(attached, survivor.id, now)
    moved["leads"] = attached
    data = joined.data
    text = data.comment or "Обращение без текста"
    moved["entry"] = [
        await uow.sales.add_activity(
            NewActivity(
                entity=RecordKind.LEAD,
                entity_id=survivor.id,
                kind=KIND_BY_CHANNEL.get(data.channel, ActivityKind.NOTE),
                text=f"{text} (заявка №{joined.id}, {data.channel}: объединена с этой заявкой)",
                at=data.received_at,
                actor=f"lead:{joined.id}",
                manager_id=None,
            ),
            now,
        )
    ]
    filled = await uow.leads.fill_contact(survivor.id, data.contact, now)
    known = survivor.data.contact.messenger_ids
    before["survivor"]["filled"] = {
        "fields": {f: getattr(data.contact, f) for f in filled if f != "messenger_ids"},
        "messenger_ids": {k: v for k, v in data.contact.messenger_ids.items() if k not in known},
    }
    await uow.identity.unindex(Entity.LEAD, [joined.id])
    await uow.identity.index(Entity.LEAD, [(survivor.id, joined_keys)])
    await uow.leads.attach([joined.id], survivor.id, now)
    # Whoever works on the survivor works on the person: the joined lead leaves the other
    # manager's acceptance clock.
    await uow.leads.set_assignee(joined.id, survivor.assignee_id or joined.assignee_id, None, now)
    await _triage_changed(uow, joined, "joined", now)
    join_id = await uow.leads.add_join(
        survivor.id, joined.id, by_lead_id, reason, before, moved, actor, now
    )
    after: dict[str, Any] = {"join_id": join_id, "joined_id": joined.id, "by_lead_id": by_lead_id}
    await uow.audit.add_many(
        [
            AuditEntry(
                actor, "lead", survivor.id, "lead_joined", now, after=after | {"moved": moved}
            ),
            AuditEntry(
                actor,
                "lead",
                joined.id,
                "joined_into",
                now,
                before={"duplicate_of_id": None},
                after={"duplicate_of_id": survivor.id, "join_id": join_id, "reason": reason},
            ),
        ]
    )
    return join_id


async def undo_lead_join(uow: UnitOfWork, join_id: int, actor: str, now: datetime) -> Lead:
    """Restore a joined lead as it was, open and on its own; returns it.

    The survivor gives back what the join moved, and the identifiers and details it learned
    from the joined lead (those it learned since from elsewhere stay).
    """
    entry = await uow.leads.get_join(join_id)
    if entry is None:
        raise MergeError("join_id", f"no lead join {join_id}", 404)
    if entry.undone_at is not None:
        raise MergeError("join_id", f"lead join {join_id} was already undone", 409)
    survivor = await uow.leads.lock(entry.survivor_id)
    joined = await uow.leads.lock(entry.joined_id)
    assert survivor is not None and joined is not None  # leads are never deleted
    if not _joinable(survivor):
        raise MergeError(
            "join_id",
            f"lead {survivor.id} is no longer open on its own (converted, closed or joined"
            " into another); undo that first",
            409,
        )
    if joined.status not in OPEN_LEAD or _attached_to(joined) != survivor.id:
        raise MergeError("join_id", f"lead {joined.id} changed since the join", 409)
    before: dict[str, Any] = entry.before
    moved = entry.moved
    for activity_id in moved.get("entry", []):
        await uow.sales.delete_activity(activity_id)
    await uow.sales.set_work_record(moved, RecordKind.LEAD, joined.id)
    await uow.leads.attach(moved.get("leads", []), joined.id, now)
    await uow.leads.attach([joined.id], None, now)
    joined_before = before["joined"]
    accept_by = joined_before["accept_by"]
    await uow.leads.set_assignee(
        joined.id,
        joined_before["assignee_id"],
        datetime.fromisoformat(accept_by) if accept_by else None,
        now,
    )
    survivor_before = before["survivor"]
    await uow.leads.set_contact(
        survivor.id, _unfilled(survivor.data.contact, survivor_before["filled"]), now
    )
    learned = set(joined_before["keys"]) - set(survivor_before["keys"])
    current = (await uow.identity.keys_of(Entity.LEAD, [survivor.id])).get(survivor.id, set())
    await uow.identity.unindex(Entity.LEAD, [survivor.id])
    await uow.identity.index(Entity.LEAD, [(survivor.id, current - learned)])
    await uow.identity.index(Entity.LEAD, [(joined.id, joined_before["keys"])])
    await _triage_changed(uow, joined, "join_undone", now)
    await uow.leads.mark_join_undone(join_id, actor, now)
    await uow.audit.add_many(
        [
            AuditEntry(
                actor,
                "lead",
                survivor.id,
                "lead_join_undone",
                now,
                after={"join_id": join_id, "joined_id": joined.id, "moved": moved},
            ),
            AuditEntry(
                actor,
                "lead",
                joined.id,
                "join_undone",
                now,
                before={"duplicate_of_id": survivor.id},
                after={"duplicate_of_id": None, "join_id": join_id},
            ),
        ]
    )
    restored = await uow.leads.get(joined.id)
    assert restored is not None
    return restored


async def _triage_changed(uow: UnitOfWork, before: Lead, action: str, now: datetime) -> None:
    """Live Входящие lists re-read the lead (it may have moved to another manager)."""
    after = await uow.leads.get(before.id)
    if after is not None and after.assignee_id != before.assignee_id:
        await notify_triage_change(uow, before, after, None, action, now)


async def _split_before(uow: UnitOfWork, chain: tuple[int, ...]) -> bool:
    """A head undid a join of two of these leads: they are not to be joined again."""
    members = set(chain)
    for lead_id in chain:
        for entry in await uow.leads.joins_of(lead_id):
            if entry.undone_at is not None and {entry.survivor_id, entry.joined_id} <= members:
                return True
    return False


def _joinable(lead: Lead) -> bool:
    """Open, on its own: in qualification, no contact or deal yet, attached to nothing."""
    return (
        lead.status in OPEN_LEAD
        and lead.contact_id is None
        and lead.deal_id is None
        and _attached_to(lead) is None
    )


def _attached_to(lead: Lead) -> int | None:
    return lead.match.duplicate_of_id if lead.match else None


def _unfilled(details: LeadContactDetails, filled: dict[str, Any]) -> LeadContactDetails:
    """The survivor's details without those the join filled in (unless changed since)."""
    cleared = {f: None for f, v in filled["fields"].items() if getattr(details, f) == v}
    messengers = {
        k: v for k, v in details.messenger_ids.items() if filled["messenger_ids"].get(k) != v
    }
    return replace(details, **cleared, messenger_ids=messengers)
