"""Adding contacts and companies: normalize identifiers once, store, index their keys."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_core.model import Identity, StoredCompany, StoredContact
from crm_core.storage.ports import UnitOfWork
from dedupe.emails import normalize_email
from dedupe.inn import validate_inn
from dedupe.keys import Entity, company_keys, person_keys
from dedupe.phones import normalize_phone
from dedupe.profile import Profile, RawIdentity, build_profile, messenger_identities


@dataclass(frozen=True, slots=True)
class PreparedContact:
    """A contact normalized for storage, with its profile for indexing."""

    record: StoredContact
    profile: Profile


@dataclass(frozen=True, slots=True)
class PreparedCompany:
    """A company normalized for storage, with its profile for indexing."""

    record: StoredCompany
    profile: Profile


def prepare_contact(
    raw: RawIdentity,
    region: str,
    *,
    company_id: int | None = None,
    owner_id: int | None = None,
    external_ref: str | None = None,
) -> PreparedContact:
    """Normalize a contact's identifiers (invalid phones and e-mails are not identities)."""
    record = StoredContact(
        name=(raw.name or "").strip() or None,
        phones=_e164(raw.phones, region),
        emails=_addresses(raw.emails),
        identities=tuple(Identity(kind, value) for kind, value in messenger_identities(raw)),
        company_id=company_id,
        company_name=(raw.company or "").strip() or None,
        owner_id=owner_id,
        external_ref=external_ref,
    )
    profile = build_profile(
        RawIdentity(
            name=record.name,
            phones=record.phones,
            emails=record.emails,
            company=record.company_name,
            messengers=identity_pairs(record.identities),
        ),
        region,
        stored=True,
    )
    return PreparedContact(record, profile)


def identity_pairs(identities: Sequence[Identity]) -> tuple[tuple[str, str], ...]:
    """Identities as the (kind, value) pairs the detector reads."""
    return tuple((i.kind, i.value) for i in identities)


def prepare_company(
    raw: RawIdentity, region: str, *, owner_id: int | None = None, external_ref: str | None = None
) -> PreparedCompany:
    """Normalize a company's identifiers; the INN is kept only when its checksum holds."""
    record = StoredCompany(
        name=(raw.company or "").strip() or "—",
        inn=validate_inn(raw.inn) if raw.inn else None,
        phones=_e164(raw.phones, region),
        emails=_addresses(raw.emails),
        website=(raw.website or "").strip() or None,
        owner_id=owner_id,
        external_ref=external_ref,
    )
    profile = build_profile(
        RawIdentity(
            company=record.name,
            inn=record.inn,
            phones=record.phones,
            emails=record.emails,
            website=record.website,
        ),
        region,
        stored=True,
    )
    return PreparedCompany(record, profile)


def keyed_contact(prepared: PreparedContact) -> tuple[StoredContact, tuple[str, ...]]:
    """The contact record with its identity keys: small and picklable, for bulk loads."""
    return prepared.record, tuple(person_keys(prepared.profile))


def keyed_company(prepared: PreparedCompany) -> tuple[StoredCompany, tuple[str, ...]]:
    """The company record with its identity keys: small and picklable, for bulk loads."""
    return prepared.record, tuple(company_keys(prepared.profile))


async def add_contacts(
    uow: UnitOfWork, contacts: Sequence[PreparedContact], now: datetime
) -> list[int]:
    """Store contacts and index their identity keys."""
    return await store_contacts(uow, [keyed_contact(c) for c in contacts], now)


async def add_companies(
    uow: UnitOfWork, companies: Sequence[PreparedCompany], now: datetime
) -> list[int]:
    """Store companies and index their identity keys."""
    return await store_companies(uow, [keyed_company(c) for c in companies], now)


async def store_contacts(
    uow: UnitOfWork,
    rows: Sequence[tuple[StoredContact, Collection[str]]],
    now: datetime,
    *,
    staged: bool = False,
) -> list[int]:
    """Store contact records whose identity keys are already computed, and index them
    (`staged=True`: put them in the bulk-load backlog, indexed by merge_staged)."""
    ids = await uow.identity.add_contacts([record for record, _ in rows], now)
    keyed = ((i, keys) for i, (_, keys) in zip(ids, rows, strict=True))
    if staged:
        await uow.identity.stage(Entity.CONTACT, keyed)
    else:
        await uow.identity.index(Entity.CONTACT, keyed, new_records=True)
    return ids


async def store_companies(
    uow: UnitOfWork,
    rows: Sequence[tuple[StoredCompany, Collection[str]]],
    now: datetime,
    *,
    staged: bool = False,
) -> list[int]:
    """Store company records whose identity keys are already computed, and index them
    (`staged=True`: put them in the bulk-load backlog, indexed by merge_staged)."""
    ids = await uow.identity.add_companies([record for record, _ in rows], now)
    keyed = ((i, keys) for i, (_, keys) in zip(ids, rows, strict=True))
    if staged:
        await uow.identity.stage(Entity.COMPANY, keyed)
    else:
        await uow.identity.index(Entity.COMPANY, keyed, new_records=True)
    return ids


def _e164(values: Sequence[str], region: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            phone = normalize_phone(value, region)
            if phone.e164:
                found[phone.e164] = None
    return tuple(found)


def _addresses(values: Sequence[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            email = normalize_email(value)
            if email.address:
                found[email.address] = None
    return tuple(found)
