"""A person's data on request (152-FZ): find, export and erase everything held on them, and
anonymise stale leads after the retention period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.storage.ports import UnitOfWork
from crm_core.storage.ports.persons import PersonQuery, PersonRecords
from dedupe.emails import normalize_email
from dedupe.keys import KeyKind, key
from dedupe.phones import normalize_phone

RETENTION_ACTOR = "retention"
RETENTION_REASON = "срок хранения истёк"


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom a request is about: the query over the stored data and which identifier named
    them (`phone` or `email`; the journal keeps only this, never the value)."""

    query: PersonQuery
    kind: str


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """An erasure done: its journal id and how many rows of each table lost the data."""

    id: int | None
    counts: dict[str, int]


def subject_of(phone: str | None, email: str | None, region: str = "RU") -> Subject:
    """The person a phone (any spelling) or an e-mail (any case) names; DomainError naming
    the field when neither or both are given, or the value is not a phone or an e-mail."""
    if (phone is None) == (email is None):
        raise DomainError("phone", "give exactly one of phone and email", 400)
    if phone is not None:
        normalized = normalize_phone(phone, region)
        if normalized.e164 is None:
            raise DomainError("phone", "not a phone number", 400)
        e164 = normalized.e164
        spellings = {e164, e164.lstrip("+"), phone.strip()}
        if e164.startswith("+7"):
            spellings.add("8" + e164[2:])
        return Subject(
            PersonQuery(
                phones=frozenset({e164, e164.lstrip("+")}),
                keys=frozenset({key(KeyKind.PHONE, e164)}),
                needles=frozenset(s for s in spellings if len(s) >= 10),
            ),
            "phone",
        )
    assert email is not None
    address = normalize_email(email)
    if address.address is None:
        raise DomainError("email", "not an e-mail address", 400)
    keys = {key(KeyKind.EMAIL, address.address)}
    return Subject(
        PersonQuery(
            emails=frozenset({address.address}),
            keys=frozenset(keys),
            needles=frozenset({address.address}),
        ),
        "email",
    )


async def find_person(uow: UnitOfWork, subject: Subject) -> PersonRecords:
    """Ids of every row holding the person's data, by table."""
    return await uow.persons.find(subject.query)


async def export_person(uow: UnitOfWork, subject: Subject) -> dict[str, list[dict[str, Any]]]:
    """Everything held on the person, by table, as stored."""
    return await uow.persons.rows(await uow.persons.find(subject.query))


async def erase_person(
    uow: UnitOfWork, actor: Manager, subject: Subject, reason: str, now: datetime
) -> ErasureResult:
    """Anonymise everything held on the person and journal it; nothing found is journaled
    too (the request was answered), with no counts."""
    if not reason.strip():
        raise DomainError("reason", "say on what request the data is erased", 400)
    records = await uow.persons.find(subject.query)
    counts = {} if records.empty() else await uow.persons.anonymise(records, now)
    erasure_id = await uow.persons.add_erasure(
        "request", actor.login, reason.strip(), subject.kind, counts, now
    )
    return ErasureResult(erasure_id, counts)


async def stale_leads(uow: UnitOfWork, retention_days: int, now: datetime) -> list[int]:
    """Leads past the retention period that the retention job anonymises."""
    return await uow.persons.stale_leads(now - timedelta(days=retention_days))


async def apply_retention(
    uow: UnitOfWork, retention_days: int, now: datetime, *, dry_run: bool = False
) -> ErasureResult:
    """Anonymise junk and unconverted leads past the retention period (never a lead that
    became a deal, nor one whose contact has a deal); with `dry_run`, only count them."""
    lead_ids = await stale_leads(uow, retention_days, now)
    if not lead_ids:
        return ErasureResult(None, {})
    records = PersonRecords()
    records.of("leads").update(lead_ids)
    await uow.persons.link_to_leads(records)
    if dry_run:
        return ErasureResult(None, records.counts())
    counts = await uow.persons.anonymise(records, now)
    erasure_id = await uow.persons.add_erasure(
        "retention", RETENTION_ACTOR, RETENTION_REASON, "lead", counts, now
    )
    return ErasureResult(erasure_id, counts)
