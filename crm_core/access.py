"""Who may see or change which record: the one place a manager's reach is decided.

Pure: callers load the facts (who holds the record, who holds the records linked to it) and
ask. The rules:

- a head sees and changes everything;
- a lead is its assignee's; an unassigned lead may be taken (changed) by any manager, but
  is listed and shown only to heads until someone holds it;
- a deal is its owner's; a call is the manager's who answered or owns it;
- a contact or a company is seen and worked on (tasks, notes, conversion) by its owner and by
  whoever holds a lead or a deal linked to it; only its owner merges it;
- a task is its assignee's; an unassigned task belongs to whoever may change its record;
- a merge is undone by a head only;
- the sales setup (the team, its access, queues, pipelines...) is the head's;
- a lead's match is confirmed only with a contact the detector proposed for it (a head: any);
- the catalogue (products, services, price lists) is read by everyone and changed by heads;
- a person's data requests (find, export, erase: 152-FZ) are a head's.

A record the actor may not see is answered as if it did not exist (404), never 403, so ids
reveal nothing; a visible record the actor may not change this way is 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from crm_core.model import LeadMatch, Manager


class Kind(StrEnum):
    """Every kind of record the API exposes."""

    LEAD = "lead"
    DEAL = "deal"
    CONTACT = "contact"
    COMPANY = "company"
    TASK = "task"
    CALL = "call"


@dataclass(frozen=True, slots=True)
class Holders:
    """What access to one record depends on: its kind, its holder (owner, assignee or the
    manager of a call), the holders of records linked to it, and the record a task is on."""

    kind: Kind
    holder_id: int | None
    linked_holder_ids: frozenset[int] = frozenset()
    parent: Holders | None = None


def may_see(actor: Manager, record: Holders) -> bool:
    """Whether the actor may read the record (and know it exists)."""
    if actor.is_head:
        return True
    if record.kind in (Kind.CONTACT, Kind.COMPANY):
        return actor.id == record.holder_id or actor.id in record.linked_holder_ids
    if record.kind is Kind.TASK and record.holder_id is None:
        return record.parent is not None and may_change(actor, record.parent)
    return record.holder_id == actor.id


def may_change(actor: Manager, record: Holders) -> bool:
    """Whether the actor may act on the record (take, move, plan tasks or log work on it)."""
    if record.kind is Kind.LEAD and record.holder_id is None:
        return True  # a lead nobody holds yet may be taken from the queue
    return may_see(actor, record)


def may_merge(actor: Manager, records: Iterable[Holders]) -> bool:
    """Merging re-points other people's leads and deals: a head, or the owner of every record."""
    return actor.is_head or all(r.holder_id == actor.id for r in records)


def may_undo_merge(actor: Manager) -> bool:
    """Undoing a merge restores records whoever holds them now: heads only."""
    return actor.is_head


def may_link_contact(actor: Manager, match: LeadMatch | None, contact_id: int) -> bool:
    """Whether the actor may say a lead is this contact: a head any, a manager only one the
    duplicate detector proposed for the lead (or already linked it to)."""
    return actor.is_head or contact_id in proposed_contact_ids(match)


def proposed_contact_ids(match: LeadMatch | None) -> frozenset[int]:
    """The contacts the detector proposed for a lead, from its stored decision."""
    if match is None:
        return frozenset()
    candidates = match.explanation.get("candidates") or []
    proposed = {
        c["id"]
        for c in candidates
        if isinstance(c, dict) and c.get("entity") == Kind.CONTACT and isinstance(c.get("id"), int)
    }
    if match.contact_id is not None:
        proposed.add(match.contact_id)
    return frozenset(proposed)


def may_change_settings(actor: Manager) -> bool:
    """The sales setup (managers, queues, pipelines, forms, channels, API tokens) is the
    head's: a manager may neither see nor change it."""
    return actor.is_head


def may_handle_person_requests(actor: Manager) -> bool:
    """Whether the actor may find, export and erase a person's data (152-FZ requests): it
    spans every manager's records, so heads only."""
    return actor.is_head


def may_edit_catalogue(actor: Manager) -> bool:
    """Whether the actor may change the catalogue (every manager reads it): heads only."""
    return actor.is_head


def listing_scope(actor: Manager) -> Manager | None:
    """Whose records a listing or report shows: the actor's own, or everyone's (None) for a
    head."""
    return None if actor.is_head else actor


def may_import_statements(actor: Manager) -> bool:
    """A bank statement holds every client's payments: heads import it; whoever may work on a
    deal records and matches its invoice's payments by hand."""
    return actor.is_head
