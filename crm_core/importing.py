"""Domain rules of importing contacts: which company a record names, which contact a merged
id stands for, and how an imported record fills a known contact."""

from __future__ import annotations

from dataclasses import replace

from crm_core.model import Contact, StoredContact
from crm_core.storage.ports import UnitOfWork
from dedupe.keys import Entity, KeyKind, key

MERGE_CHAIN_LIMIT = 10


async def find_company(uow: UnitOfWork, inn: str | None, name_key: str | None) -> int | None:
    """The oldest company with this INN, or with this name and no other INN."""
    inn_key = key(KeyKind.INN, inn) if inn else None
    co_key = key(KeyKind.COMPANY, name_key) if name_key else None
    rows = await uow.identity.find([k for k in (inn_key, co_key) if k])
    by_inn = sorted(i for k, e, i in rows if e is Entity.COMPANY and k == inn_key)
    if by_inn:
        return by_inn[0]
    by_name = sorted({i for k, e, i in rows if e is Entity.COMPANY and k == co_key})
    if not by_name:
        return None
    if inn is None:
        return by_name[0]
    profiles = await uow.identity.companies(by_name)
    return next((i for i in by_name if i in profiles and profiles[i].inn is None), None)


async def live_contact(uow: UnitOfWork, contact_id: int) -> Contact | None:
    """The contact, or the one it was merged into."""
    contact = await uow.identity.get_contact(contact_id)
    for _ in range(MERGE_CHAIN_LIMIT):
        if contact is None or contact.merged_into_id is None:
            break
        contact = await uow.identity.get_contact(contact.merged_into_id)
    return contact


def filled_blanks(contact: Contact, record: StoredContact, company_id: int | None) -> Contact:
    """The known contact with the blanks an imported record fills; nothing it has is replaced."""
    return replace(
        contact,
        name=contact.name or record.name,
        company_name=contact.company_name or record.company_name,
        company_id=contact.company_id if contact.company_id is not None else company_id,
    )
