"""MergeContacts and UndoMerge: one person kept as one contact, reversibly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from crm_core.errors import MergeError
from crm_core.matching import reindex_contact
from crm_core.model import AuditEntry, Contact
from crm_core.storage.ports import UnitOfWork

CHOOSABLE_FIELDS = ("name", "company_id", "company_name", "owner_id", "telegram_id", "vk_id")


def merged_contact(survivor: Contact, merged: Contact, choices: Mapping[str, str]) -> Contact:
    """The survivor with every identity of both and, per field, the value chosen.

    `choices` maps a field to "survivor" or "merged"; unchosen fields keep the survivor's
    value, or take the merged one's where the survivor has none.
    """
    values = {}
    for field in CHOOSABLE_FIELDS:
        ours, theirs = getattr(survivor, field), getattr(merged, field)
        choice = choices.get(field)
        values[field] = theirs if choice == "merged" else (ours if choice else ours or theirs)
    return replace(
        survivor,
        phones=_union(survivor.phones, merged.phones),
        emails=_union(survivor.emails, merged.emails),
        telegram_username=survivor.telegram_username or merged.telegram_username,
        **values,
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
    _check_choices(choices)
    if survivor_id == merged_id:
        raise MergeError("merged_id", "a contact cannot be merged into itself")
    survivor = await _live(uow, survivor_id, "survivor_id")
    merged = await _live(uow, merged_id, "merged_id")
    result = merged_contact(survivor, merged, choices)
    moved = await uow.identity.move_leads(merged.id, survivor.id, now)
    journal_id = await uow.identity.add_merge(survivor, merged, moved, actor, now)
    await reindex_contact(uow, replace(merged, merged_into_id=survivor.id), now)
    await reindex_contact(uow, result, now)
    await _audit(uow, actor, "contact_merged", survivor.id, now, journal_id, merged.id, moved)
    return journal_id, result


async def undo_merge(uow: UnitOfWork, merge_id: int, actor: str, now: datetime) -> Contact:
    """Restore both contacts as they were and give the merged one its leads back."""
    entry = await uow.identity.get_merge(merge_id)
    if entry is None:
        raise MergeError("merge_id", f"no merge {merge_id}", 404)
    if entry.undone_at is not None:
        raise MergeError("merge_id", f"merge {merge_id} was already undone", 409)
    survivor = await uow.identity.get_contact(entry.survivor_id)
    if survivor is not None and survivor.merged_into_id is not None:
        raise MergeError(
            "merge_id",
            f"contact {survivor.id} was itself merged later (into {survivor.merged_into_id});"
            " undo that merge first",
            409,
        )
    await reindex_contact(uow, entry.survivor_before, now)
    await reindex_contact(uow, entry.merged_before, now)
    await uow.identity.set_leads_contact(entry.moved_leads, entry.merged_id, now)
    await uow.identity.mark_merge_undone(merge_id, actor, now)
    await _audit(uow, actor, "merge_undone", entry.survivor_id, now, merge_id, entry.merged_id, [])
    return entry.merged_before


async def _live(uow: UnitOfWork, contact_id: int, field: str) -> Contact:
    contact = await uow.identity.get_contact(contact_id)
    if contact is None:
        raise MergeError(field, f"no contact {contact_id}", 404)
    if contact.merged_into_id is not None:
        raise MergeError(
            field, f"contact {contact_id} is already merged into {contact.merged_into_id}", 409
        )
    return contact


def _check_choices(choices: Mapping[str, str]) -> None:
    for field, choice in choices.items():
        if field not in CHOOSABLE_FIELDS:
            allowed = ", ".join(CHOOSABLE_FIELDS)
            raise MergeError("fields", f"unknown field {field!r}; choose among {allowed}")
        if choice not in ("survivor", "merged"):
            raise MergeError(f"fields.{field}", "must be 'survivor' or 'merged'")


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


async def _audit(
    uow: UnitOfWork,
    actor: str,
    action: str,
    survivor_id: int,
    now: datetime,
    merge_id: int,
    merged_id: int,
    moved: list[int],
) -> None:
    await uow.audit.add_many(
        [
            AuditEntry(
                actor=actor,
                entity="contact",
                entity_id=survivor_id,
                action=action,
                at=now,
                after={"merge_id": merge_id, "merged_id": merged_id, "moved_leads": moved},
            )
        ]
    )
