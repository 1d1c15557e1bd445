"""MatchLead: run the duplicate detector on a new lead and record its decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from crm_core.access import may_link_contact, may_see, proposed_contact_ids
from crm_core.chains import join_chain
from crm_core.contacts import identity_pairs
from crm_core.errors import MatchError, RuleError
from crm_core.holders import lead_holders
from crm_core.ingest import SYSTEM_ACTOR
from crm_core.job_change import change_company, undo_company_change
from crm_core.model import (
    AuditEntry,
    Contact,
    Identity,
    Lead,
    LeadMatch,
    LeadStatus,
    Manager,
    NewLead,
)
from crm_core.storage.ports import UnitOfWork
from dedupe.decision import Decision, Verdict
from dedupe.detector import Detector
from dedupe.keys import Entity, person_keys, rejection_keys
from dedupe.messengers import is_key_kind
from dedupe.phones import normalize_phone
from dedupe.profile import Profile, RawIdentity, build_profile
from dedupe.scoring import OTHER_COMPANY_WEIGHT, Outcome


async def match_lead(
    uow: UnitOfWork,
    lead_id: int,
    profile: Profile,
    detector: Detector,
    now: datetime,
    decision: Decision | None = None,
) -> LeadMatch:
    """Link the lead to a known contact, attach it to the person's open lead, or neither.

    A lead linked to nobody is indexed as an open lead, so the person's next message (by
    any channel) finds it. `decision` is the detector's answer when the caller has it already.
    """
    if decision is None:
        decision = await detector.detect(profile, uow.identity)
    # Two open leads tied to this one for sure are one person with it: joined first.
    decision = await join_chain(uow, decision, now, by_lead_id=lead_id)
    auto = decision.verdict is Verdict.AUTO
    contact_id = (
        decision.contact_id if auto and decision.matched_entity is Entity.CONTACT else None
    )
    open_lead = decision.duplicate_lead_id if auto else None
    if contact_id is not None and decision.previous_company_id is not None:
        decision = await _job_change(uow, decision, contact_id, profile, lead_id, now)
    match = LeadMatch(
        decision=decision.verdict.value,
        score=decision.score,
        contact_id=contact_id,
        company_id=decision.company_id,
        is_repeat=contact_id is not None,
        explanation=decision.explanation(),
        duplicate_of_id=open_lead,
    )
    if contact_id is not None:
        assignee = await uow.identity.contact_owner(contact_id)
    elif open_lead is not None:
        assignee = await uow.leads.assignee_id(open_lead)
        # The person's new identifiers now lead to the open lead as well, and it shows the
        # details it lacked (a phone, an e-mail), as a message in the conversation does.
        await uow.identity.index(Entity.LEAD, [(open_lead, person_keys(profile))])
        lead = await uow.leads.get(lead_id)
        if lead is not None:
            await uow.leads.fill_contact(open_lead, lead.data.contact, now)
    else:
        assignee = None
        # The lead was just created: it has no keys yet, so none need looking up.
        await uow.identity.index(Entity.LEAD, [(lead_id, person_keys(profile))], new_records=True)
    await uow.leads.record_match(lead_id, match, assignee, now)
    await uow.audit.add_many(
        [
            AuditEntry(
                actor=SYSTEM_ACTOR,
                entity="lead",
                entity_id=lead_id,
                action="matched",
                at=now,
                after={
                    "decision": match.decision,
                    "contact_id": match.contact_id,
                    "company_id": match.company_id,
                    "duplicate_of_id": match.duplicate_of_id,
                    "score": round(match.score, 4),
                },
            )
        ]
    )
    return match


async def _job_change(
    uow: UnitOfWork,
    decision: Decision,
    contact_id: int,
    profile: Profile,
    lead_id: int,
    now: datetime,
) -> Decision:
    """The contact moves to the lead's new company; the decision then names that company."""
    contact = await uow.identity.get_contact(contact_id)
    assert decision.previous_company_id is not None
    change = (
        None
        if contact is None
        else await change_company(
            uow, contact, decision.company_id, decision.previous_company_id, profile, lead_id, now
        )
    )
    if change is None:
        return decision
    await reindex_contact(uow, change.contact, now)
    return replace(decision, company_id=change.company_id)


def lead_identity(lead: NewLead, region: str = "RU") -> RawIdentity:
    """The identity fields of a lead, as the detector reads them (phones already in E.164)."""
    c = lead.contact
    messengers = c.messenger_ids
    whatsapp = (
        normalize_phone(messengers["whatsapp"], region).e164
        if messengers.get("whatsapp")
        else None
    )
    return RawIdentity(
        name=c.name,
        phones=tuple(dict.fromkeys(p for p in (c.phone, whatsapp) if p)),
        emails=tuple(e for e in [c.email or c.email_raw] if e),
        company=c.company,
        inn=_field(lead.fields, INN_FIELDS),
        messengers=tuple(messengers.items()),
        text=lead.comment,
    )


def lead_profile(lead: NewLead, region: str) -> Profile:
    """The detector's view of a lead (its phone was normalized when the lead was built)."""
    return build_profile(lead_identity(lead, region), region, stored=True)


INN_FIELDS = ("inn", "ИНН", "Inn", "INN")


def _field(fields: dict[str, str], names: Sequence[str]) -> str | None:
    return next((fields[n] for n in names if fields.get(n)), None)


async def confirm_match(
    uow: UnitOfWork, lead_id: int, contact_id: int, manager: Manager, region: str, now: datetime
) -> LeadMatch:
    """The manager says the lead is this contact: link it and teach the contact its new ids.

    A manager may choose only among the contacts the detector proposed (a head: any), and a
    converted lead is never re-linked: its contact and deal are settled.
    """
    lead = await _open_lead(uow, lead_id, manager)
    await _require_proposed(uow, lead, contact_id, manager)
    contact = await _live_contact(uow, contact_id)
    actor = manager.login
    before = lead.match
    profile = lead_profile(lead.data, region)
    learned = await learn_identifiers(uow, contact, profile, now)
    explanation = dict(before.explanation) if before else {}
    explanation["confirmed"] = {"by": actor, "at": now.isoformat(), "contact_id": contact.id}
    company_id = contact.company_id or (before.company_id if before else None)
    if _changed_jobs(before, contact):
        refreshed = await uow.identity.get_contact(contact.id)
        assert refreshed is not None and refreshed.company_id is not None
        change = await change_company(
            uow,
            refreshed,
            before.company_id if before else None,
            refreshed.company_id,
            profile,
            lead_id,
            now,
        )
        if change is not None:
            await reindex_contact(uow, change.contact, now)
            company_id = change.company_id
    match = LeadMatch(
        decision="confirmed",
        score=before.score if before else 1.0,
        contact_id=contact.id,
        company_id=company_id,
        is_repeat=True,
        explanation=explanation,
        duplicate_of_id=before.duplicate_of_id if before else None,
    )
    await uow.leads.record_match(lead_id, match, contact.owner_id, now)
    await uow.identity.unindex(Entity.LEAD, [lead_id])
    await _audit(uow, actor, lead_id, "match_confirmed", before, match, now, learned=learned)
    return match


def _changed_jobs(before: LeadMatch | None, contact: Contact) -> bool:
    """The confirmed lead names a company the contact is not at: a known other company, or
    the detector saw another identified company (an INN, a corporate domain) on it."""
    if before is None or contact.company_id is None:
        return False
    if before.company_id is not None and before.company_id != contact.company_id:
        return True
    candidate: dict[str, Any] = next(
        (
            c
            for c in before.explanation.get("candidates", [])
            if c.get("entity") == Entity.CONTACT.value and c.get("id") == contact.id
        ),
        {},
    )
    return any(
        e.get("field") == "company"
        and e.get("outcome") == Outcome.CONFLICT.value
        and e.get("weight", 0) <= OTHER_COMPANY_WEIGHT
        for e in candidate.get("evidence", [])
    )


async def reject_match(
    uow: UnitOfWork, lead_id: int, contact_id: int, manager: Manager, region: str, now: datetime
) -> LeadMatch:
    """The manager says the lead is not this contact: remember it team-wide and unlink
    (the same limits as confirming: a proposed contact, a lead not yet converted)."""
    lead = await _open_lead(uow, lead_id, manager)
    await _require_proposed(uow, lead, contact_id, manager)
    await _live_contact(uow, contact_id)
    actor = manager.login
    before = lead.match
    profile = lead_profile(lead.data, region)
    await uow.identity.reject(contact_id, rejection_keys(profile), now, manager.id, lead_id)
    explanation = dict(before.explanation) if before else {}
    candidates = [c for c in explanation.get("candidates", []) if c.get("id") != contact_id]
    explanation["candidates"] = candidates
    explanation.setdefault("rejected", []).append(
        {"by": actor, "at": now.isoformat(), "contact_id": contact_id}
    )
    was_linked = before is not None and before.contact_id == contact_id
    decision = "review" if candidates else "new"
    if before is not None and not was_linked and before.contact_id is not None:
        decision = before.decision
    match = LeadMatch(
        decision=decision,
        score=before.score if before else 0.0,
        contact_id=None if was_linked or before is None else before.contact_id,
        company_id=before.company_id if before else None,
        is_repeat=False if was_linked or before is None else before.is_repeat,
        explanation=explanation,
        duplicate_of_id=before.duplicate_of_id if before else None,
    )
    await uow.leads.record_match(lead_id, match, None, now)
    if was_linked:
        await uow.leads.unlink_contact(lead_id, now)
        contact = await uow.identity.get_contact(contact_id)
        restored = (
            None
            if contact is None
            else await undo_company_change(uow, contact, lead_id, actor, now)
        )
        if restored is not None:
            await reindex_contact(uow, restored, now)
    await _audit(uow, actor, lead_id, "match_rejected", before, match, now)
    return match


async def learn_identifiers(
    uow: UnitOfWork, contact: Contact, profile: Profile, now: datetime
) -> dict[str, list[str]]:
    """Add the lead's phones, e-mails and messenger ids the contact did not have yet.

    Account ids add up (a person may have two Telegram accounts); a username, which can
    change hands, is learned only while the contact has none of that kind.
    """
    phones = [p for p in sorted(profile.phones) if p not in contact.phones]
    emails = [e.address for e in profile.emails if e.address not in contact.emails]
    known_kinds = {i.kind for i in contact.identities}
    identities = [
        Identity(kind, value)
        for kind, value in profile.messengers
        if Identity(kind, value) not in contact.identities
        and (is_key_kind(kind) or kind not in known_kinds)
    ]
    updated = replace(
        contact,
        phones=contact.phones + tuple(phones),
        emails=contact.emails + tuple(emails),
        identities=contact.identities + tuple(identities),
    )
    if updated == contact:
        return {}
    await reindex_contact(uow, updated, now)
    learned = {"phones": phones, "emails": emails}
    for identity in identities:
        learned.setdefault(identity.kind, []).append(identity.value)
    return learned


async def reindex_contact(uow: UnitOfWork, contact: Contact, now: datetime) -> None:
    """Store a contact and rebuild its index keys (none while it is merged away)."""
    await uow.identity.update_contact(contact, now)
    await uow.identity.unindex(Entity.CONTACT, [contact.id])
    if contact.merged_into_id is None:
        await uow.identity.index(
            Entity.CONTACT, [(contact.id, person_keys(contact_profile(contact)))]
        )


def contact_profile(contact: Contact) -> Profile:
    """A stored contact's profile (identifiers are already normalized)."""
    return build_profile(
        RawIdentity(
            name=contact.name,
            phones=contact.phones,
            emails=contact.emails,
            company=contact.company_name,
            messengers=identity_pairs(contact.identities),
        ),
        stored=True,
    )


async def _open_lead(uow: UnitOfWork, lead_id: int, manager: Manager) -> Lead:
    lead = await uow.leads.lock(lead_id)
    if lead is None or not may_see(manager, lead_holders(lead)):
        raise MatchError("lead_id", f"no lead {lead_id}", 404)
    if lead.status is LeadStatus.CONVERTED:
        raise RuleError(
            "lead_converted",
            "status",
            f"lead {lead_id} is converted: its contact and deal are settled and cannot be"
            " re-linked; merge the contacts instead",
        )
    return lead


async def _require_proposed(
    uow: UnitOfWork, lead: Lead, contact_id: int, manager: Manager
) -> None:
    if may_link_contact(manager, lead.match, contact_id):
        return
    # A proposed contact merged away since: its survivor stands in for it.
    for proposed in proposed_contact_ids(lead.match):
        contact = await uow.identity.get_contact(proposed)
        if contact is not None and contact.merged_into_id == contact_id:
            return
    # The same answer whether or not the contact exists: ids reveal nothing.
    raise RuleError(
        "contact_not_proposed",
        "contact_id",
        f"contact {contact_id} is not among the contacts proposed for lead {lead.id};"
        " ask a head of sales to link another one",
        422,
    )


async def _live_contact(uow: UnitOfWork, contact_id: int) -> Contact:
    contact = await uow.identity.get_contact(contact_id)
    if contact is None:
        raise MatchError("contact_id", f"no contact {contact_id}", 404)
    if contact.merged_into_id is not None:
        raise MatchError(
            "contact_id",
            f"contact {contact_id} was merged into {contact.merged_into_id}; use that one",
            409,
        )
    return contact


async def _audit(
    uow: UnitOfWork,
    actor: str,
    lead_id: int,
    action: str,
    before: LeadMatch | None,
    after: LeadMatch,
    now: datetime,
    **extra: Any,
) -> None:
    def brief(m: LeadMatch | None) -> dict[str, Any] | None:
        return None if m is None else {"decision": m.decision, "contact_id": m.contact_id}

    await uow.audit.add_many(
        [
            AuditEntry(
                actor=actor,
                entity="lead",
                entity_id=lead_id,
                action=action,
                at=now,
                before=brief(before),
                after={**(brief(after) or {}), **extra},
            )
        ]
    )
