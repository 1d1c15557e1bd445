"""MergeContacts, MergeCompanies and UndoMerge: one person (or firm) kept as one record,
every identity of both kept, and the merge reversible from its journal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from crm_core.errors import MergeError
from crm_core.matching import reindex_contact
from crm_core.model import AuditEntry, Company, Contact, Identity
from crm_core.storage.ports import UnitOfWork
from dedupe.keys import Entity, company_keys
from dedupe.profile import RawIdentity, build_profile

CONTACT_CHOICES = ("name", "company_id", "company_name", "owner_id", "telegram_id", "vk_id")
# Choices about identities: both sides' ids are kept, the chosen side's first (the one the
# single-valued public field shows).
IDENTITY_CHOICES = ("telegram_id", "vk_id")
COMPANY_CHOICES = ("name", "inn", "website", "owner_id")


def merged_contact(survivor: Contact, merged: Contact, choices: Mapping[str, str]) -> Contact:
    """The survivor with every identity of both and, per field, the value chosen.

    `choices` maps a field to "survivor" or "merged"; unchosen fields keep the survivor's
    value, or take the merged one's where the survivor has none.
    """
    fields = tuple(f for f in CONTACT_CHOICES if f not in IDENTITY_CHOICES)
    return replace(
        survivor,
        phones=_union(survivor.phones, merged.phones),
        emails=_union(survivor.emails, merged.emails),
        identities=_merged_identities(survivor, merged, choices),
        **_chosen(survivor, merged, choices, fields),
    )


def _merged_identities(
    survivor: Contact, merged: Contact, choices: Mapping[str, str]
) -> tuple[Identity, ...]:
    first = {kind for kind in IDENTITY_CHOICES if choices.get(kind) == "merged"}
    preferred = [i for i in merged.identities if i.kind in first]
    return tuple(dict.fromkeys((*preferred, *survivor.identities, *merged.identities)))


def merged_company(survivor: Company, merged: Company, choices: Mapping[str, str]) -> Company:
    """Like merged_contact, for companies."""
    return replace(
        survivor,
        phones=_union(survivor.phones, merged.phones),
        emails=_union(survivor.emails, merged.emails),
        **_chosen(survivor, merged, choices, COMPANY_CHOICES),
    )


async def merge_contacts(
    uow: UnitOfWork,
    survivor_id: int,
    merged_id: int,
    choices: Mapping[str, str],
    actor: str,
    now: datetime,
) -> tuple[int, Contact]:
    """Merge one contact into another; returns (journal id, the survivor as it is now)."""
    _check_choices(choices, CONTACT_CHOICES, survivor_id, merged_id)
    survivor = await _live_contact(uow, survivor_id, "survivor_id")
    merged = await _live_contact(uow, merged_id, "merged_id")
    result = merged_contact(survivor, merged, choices)
    moved = {"leads": await uow.identity.move_leads(merged.id, survivor.id, now)}
    journal_id = await uow.identity.add_merge(
        Entity.CONTACT, survivor.to_snapshot(), merged.to_snapshot(), moved, actor, now
    )
    await reindex_contact(uow, replace(merged, merged_into_id=survivor.id), now)
    await reindex_contact(uow, result, now)
    await _audit(uow, actor, "contact_merged", "contact", survivor.id, now, journal_id, moved)
    return journal_id, result


async def merge_companies(
    uow: UnitOfWork,
    survivor_id: int,
    merged_id: int,
    choices: Mapping[str, str],
    actor: str,
    now: datetime,
) -> tuple[int, Company]:
    """Merge one company into another: its contacts and leads move to the survivor."""
    _check_choices(choices, COMPANY_CHOICES, survivor_id, merged_id)
    survivor = await _live_company(uow, survivor_id, "survivor_id")
    merged = await _live_company(uow, merged_id, "merged_id")
    result = merged_company(survivor, merged, choices)
    moved = await uow.identity.move_company_refs(merged.id, survivor.id, now)
    journal_id = await uow.identity.add_merge(
        Entity.COMPANY, survivor.to_snapshot(), merged.to_snapshot(), moved, actor, now
    )
    await reindex_company(uow, replace(merged, merged_into_id=survivor.id), now)
    await reindex_company(uow, result, now)
    await _audit(uow, actor, "company_merged", "company", survivor.id, now, journal_id, moved)
    return journal_id, result


async def undo_merge(
    uow: UnitOfWork, merge_id: int, entity: Entity, actor: str, now: datetime
) -> dict[str, Any]:
    """Restore both records as they were and give the merged one back what moved."""
    entry = await uow.identity.get_merge(merge_id)
    if entry is None or entry.entity != entity.value:
        raise MergeError("merge_id", f"no {entity.value} merge {merge_id}", 404)
    if entry.undone_at is not None:
        raise MergeError("merge_id", f"merge {merge_id} was already undone", 409)
    if entity is Entity.CONTACT:
        current: Contact | Company | None = await uow.identity.get_contact(entry.survivor_id)
    else:
        current = await uow.identity.get_company(entry.survivor_id)
    if current is not None and current.merged_into_id is not None:
        raise MergeError(
            "merge_id",
            f"{entity.value} {current.id} was itself merged later"
            f" (into {current.merged_into_id}); undo that merge first",
            409,
        )
    if entity is Entity.CONTACT:
        await reindex_contact(uow, Contact.from_snapshot(entry.survivor_before), now)
        await reindex_contact(uow, Contact.from_snapshot(entry.merged_before), now)
        await uow.identity.set_leads_contact(entry.moved.get("leads", []), entry.merged_id, now)
    else:
        await reindex_company(uow, Company.from_snapshot(entry.survivor_before), now)
        await reindex_company(uow, Company.from_snapshot(entry.merged_before), now)
        await uow.identity.set_company(entry.moved, entry.merged_id, now)
    await uow.identity.mark_merge_undone(merge_id, actor, now)
    await _audit(
        uow, actor, "merge_undone", entity.value, entry.survivor_id, now, merge_id, entry.moved
    )
    return entry.merged_before


async def reindex_company(uow: UnitOfWork, company: Company, now: datetime) -> None:
    """Store a company and rebuild its index keys (none while it is merged away)."""
    await uow.identity.update_company(company, now)
    await uow.identity.unindex(Entity.COMPANY, [company.id])
    if company.merged_into_id is None:
        profile = build_profile(
            RawIdentity(
                company=company.name,
                inn=company.inn,
                phones=company.phones,
                emails=company.emails,
                website=company.website,
            ),
            stored=True,
        )
        await uow.identity.index(Entity.COMPANY, [(company.id, company_keys(profile))])


async def _live_contact(uow: UnitOfWork, contact_id: int, field: str) -> Contact:
    contact = await uow.identity.get_contact(contact_id)
    if contact is None:
        raise MergeError(field, f"no contact {contact_id}", 404)
    _not_merged(contact.merged_into_id, "contact", contact_id, field)
    return contact


async def _live_company(uow: UnitOfWork, company_id: int, field: str) -> Company:
    company = await uow.identity.get_company(company_id)
    if company is None:
        raise MergeError(field, f"no company {company_id}", 404)
    _not_merged(company.merged_into_id, "company", company_id, field)
    return company


def _not_merged(merged_into: int | None, kind: str, record_id: int, field: str) -> None:
    if merged_into is not None:
        raise MergeError(field, f"{kind} {record_id} is already merged into {merged_into}", 409)


def _check_choices(
    choices: Mapping[str, str], allowed: tuple[str, ...], survivor_id: int, merged_id: int
) -> None:
    if survivor_id == merged_id:
        raise MergeError("merged_id", "a record cannot be merged into itself")
    for field, choice in choices.items():
        if field not in allowed:
            raise MergeError(
                "fields", f"unknown field {field!r}; choose among {', '.join(allowed)}"
            )
        if choice not in ("survivor", "merged"):
            raise MergeError(f"fields.{field}", "must be 'survivor' or 'merged'")


def _chosen(
    survivor: object, merged: object, choices: Mapping[str, str], fields: tuple[str, ...]
) -> dict[str, Any]:
    values = {}
    for field in fields:
        ours, theirs = getattr(survivor, field), getattr(merged, field)
        choice = choices.get(field)
        values[field] = theirs if choice == "merged" else (ours if choice else ours or theirs)
    return values


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


async def _audit(
    uow: UnitOfWork,
    actor: str,
    action: str,
    entity: str,
    survivor_id: int,
    now: datetime,
    merge_id: int,
    moved: dict[str, list[int]],
) -> None:
    await uow.audit.add_many(
        [
            AuditEntry(
                actor=actor,
                entity=entity,
                entity_id=survivor_id,
                action=action,
                at=now,
                after={"merge_id": merge_id, "moved": moved},
            )
        ]
    )
