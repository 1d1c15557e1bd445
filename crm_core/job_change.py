"""A known person writes from another company (a job change): the contact moves to the new
company, and the company it left stays in its history and on its timeline."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from crm_core.contacts import add_companies, prepare_company
from crm_core.importing import find_company
from crm_core.ingest import SYSTEM_ACTOR
from crm_core.model import AuditEntry, Contact, PastCompany
from crm_core.sales import ActivityKind, NewActivity, RecordKind
from crm_core.storage.ports import UnitOfWork
from dedupe.profile import Profile, RawIdentity

# The new company is made from a name and an INN only: no phone needs a region to parse.
COMPANY_REGION = "RU"


@dataclass(frozen=True, slots=True)
class JobChange:
    """The contact at its new company (to store and re-index), and that company's id."""

    contact: Contact
    company_id: int


async def change_company(
    uow: UnitOfWork,
    contact: Contact,
    new_company_id: int | None,
    previous_company_id: int,
    profile: Profile,
    lead_id: int,
    now: datetime,
) -> JobChange | None:
    """Move the contact to the lead's company (created from the lead's name and INN when the
    detector did not know it), keeping the one it leaves in its history.

    None when there is nothing to move to (the lead names no company) or the contact is no
    longer at the company the detector saw (it moved since, or was merged).
    """
    if contact.merged_into_id is not None or contact.company_id != previous_company_id:
        return None
    if new_company_id is None:
        new_company_id = await _lead_company(uow, profile, contact.owner_id, now)
    if new_company_id is None or new_company_id == previous_company_id:
        return None
    old = await uow.identity.get_company(previous_company_id)
    new = await uow.identity.get_company(new_company_id)
    old_name = old.name if old else contact.company_name
    new_name = new.name if new else profile.company.raw
    await uow.identity.add_past_company(
        contact.id, PastCompany(previous_company_id, old_name, now, lead_id), now
    )
    await uow.sales.add_activity(
        NewActivity(
            RecordKind.CONTACT,
            contact.id,
            ActivityKind.NOTE,
            f"Сменил(а) компанию: {old_name or '—'} → {new_name or '—'}",
            now,
            SYSTEM_ACTOR,
            None,
        ),
        now,
    )
    await uow.audit.add_many(
        [
            AuditEntry(
                actor=SYSTEM_ACTOR,
                entity="contact",
                entity_id=contact.id,
                action="company_changed",
                at=now,
                before={"company_id": previous_company_id, "company": old_name},
                after={"company_id": new_company_id, "company": new_name, "lead_id": lead_id},
            )
        ]
    )
    moved = replace(contact, company_id=new_company_id, company_name=new_name)
    return JobChange(moved, new_company_id)


async def undo_company_change(
    uow: UnitOfWork, contact: Contact, lead_id: int, actor: str, now: datetime
) -> Contact | None:
    """The lead that moved the contact to a new company turned out not to be them: the contact
    goes back to the company it left (None when this lead moved nothing, or the contact has
    moved on since)."""
    past = next(
        (p for p in await uow.identity.past_companies(contact.id) if p.lead_id == lead_id), None
    )
    if past is None or contact.merged_into_id is not None:
        return None
    await uow.identity.remove_past_company(contact.id, lead_id)
    back = replace(contact, company_id=past.company_id, company_name=past.name)
    await uow.sales.add_activity(
        NewActivity(
            RecordKind.CONTACT,
            contact.id,
            ActivityKind.NOTE,
            f"Смена компании отменена (обращение №{lead_id} не от этого контакта):"
            f" {contact.company_name or '—'} → {past.name or '—'}",
            now,
            actor,
            None,
        ),
        now,
    )
    await uow.audit.add_many(
        [
            AuditEntry(
                actor=actor,
                entity="contact",
                entity_id=contact.id,
                action="company_change_undone",
                at=now,
                before={"company_id": contact.company_id, "company": contact.company_name},
                after={"company_id": past.company_id, "company": past.name, "lead_id": lead_id},
            )
        ]
    )
    return back


async def _lead_company(
    uow: UnitOfWork, profile: Profile, owner_id: int | None, now: datetime
) -> int | None:
    """The company the lead names: a stored one with its INN or name, else a new one."""
    name = (profile.company.raw or "").strip()
    if not profile.company.valid and profile.inn is None:
        return None
    found = await find_company(uow, profile.inn, profile.company.key)
    if found is not None:
        return found
    if not name:
        return None
    raw = RawIdentity(company=name, inn=profile.inn)
    [company_id] = await add_companies(
        uow, [prepare_company(raw, COMPANY_REGION, owner_id=owner_id)], now
    )
    return company_id
