"""Domain records: managers, leads, consents, audit entries and the durable inbox."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class LeadStatus(StrEnum):
    """Where a lead is in qualification."""

    NEW = "new"
    IN_WORK = "in_work"
    CONVERTED = "converted"
    JUNK = "junk"


class Role(StrEnum):
    """What a staff member may see."""

    MANAGER = "manager"
    HEAD = "head"


class LeadFlag(StrEnum):
    """Data-quality flags kept on a lead instead of dropping it."""

    PHONE_INVALID = "phone_invalid"
    EMAIL_INVALID = "email_invalid"
    URGENT = "urgent"  # call back at once: a missed call from a new number


@dataclass(frozen=True, slots=True)
class Manager:
    """A member of the sales team."""

    id: int
    login: str
    name: str
    role: Role
    email: str | None
    telegram_chat_id: str | None
    timezone: str
    active: bool

    @property
    def is_head(self) -> bool:
        """Heads see every lead."""
        return self.role is Role.HEAD


@dataclass(frozen=True, slots=True)
class NewManager:
    """A manager as configured, before it has a database id."""

    login: str
    name: str
    role: Role
    email: str | None
    telegram_chat_id: str | None
    timezone: str
    active: bool


@dataclass(frozen=True, slots=True)
class LeadContactDetails:
    """Normalized contact fields of a lead with the raw values they came from."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    patronymic: str | None = None
    phone: str | None = None
    phone_raw: str | None = None
    phone_extension: str | None = None
    email: str | None = None
    email_raw: str | None = None
    company: str | None = None
    position: str | None = None
    messenger_ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewLead:
    """A lead about to be created from one inbox row."""

    inbox_id: int
    channel: str
    source: str
    contact: LeadContactDetails
    comment: str | None
    utm: dict[str, str]
    page_url: str | None
    referrer: str | None
    fields: dict[str, str]
    meta: dict[str, str]
    flags: tuple[LeadFlag, ...]
    queue: str | None
    pipeline: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class LeadMatch:
    """What the duplicate detector concluded about a lead, with its explanation."""

    decision: str
    score: float
    contact_id: int | None
    company_id: int | None
    is_repeat: bool
    explanation: dict[str, Any]
    duplicate_of_id: int | None = None


@dataclass(frozen=True, slots=True)
class Lead:
    """A stored lead."""

    id: int
    status: LeadStatus
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    data: NewLead
    match: LeadMatch | None = None
    assignee_id: int | None = None
    junk_reason: str | None = None
    taken_at: datetime | None = None
    accept_by: datetime | None = None
    converted_at: datetime | None = None
    deal_id: int | None = None
    contact_id: int | None = None  # linked by the detector, a manager or a conversion
    company_id: int | None = None


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A personal-data consent (152-FZ): what text version was agreed to, and when."""

    lead_id: int
    given: bool
    text_version: str | None
    raw_value: str | None
    source: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who changed what, when, from what to what."""

    actor: str
    entity: str
    entity_id: int
    action: str
    at: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """Which leads a listing returns; `visible_to` limits a manager to their own."""

    status: LeadStatus | None = None
    channel: str | None = None
    assignee: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    visible_to: str | None = None
    duplicate_check: str | None = None
    contact_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewInboxItem:
    """A raw inbound request about to be stored."""

    channel: str
    source: str
    external_id: str
    received_at: datetime
    payload: dict[str, Any]
    headers: dict[str, str]
    event: dict[str, Any]
    # Set by senders whose idempotency key is the client's own (website forms): a reused key
    # with another body is then a conflict, not a retry.
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A stored inbound request."""

    id: int
    channel: str
    source: str
    external_id: str
    received_at: datetime
    payload: dict[str, Any]
    headers: dict[str, str]
    event: dict[str, Any]
    status: str
    attempts: int
    lead_id: int | None


@dataclass(frozen=True, slots=True)
class ParkedRequest:
    """A stored request the worker gave up on, as an operator reviews it."""

    id: int
    channel: str
    source: str
    received_at: datetime
    attempts: int
    last_error: str | None
    parked_at: datetime | None
    dismissed_at: datetime | None


@dataclass(frozen=True, slots=True)
class InboxReceipt:
    """The answer to a sender: its intake id and whether this request was new."""

    intake_id: int
    created: bool
    conflict: bool = False  # an earlier request holds this key with a different body


@dataclass(frozen=True, slots=True)
class InboxStats:
    """Backlog of the inbox."""

    pending: int
    failed: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True, slots=True)
class Identity:
    """One account a person is known by: a messenger kind ("telegram_id", "vk_id",
    "avito_id" …) and its normalized value."""

    kind: str
    value: str


# Kinds a contact's snapshot (merge journal) once held as fields of their own.
LEGACY_IDENTITY_FIELDS = ("telegram_id", "telegram_username", "vk_id")


def first_identity(identities: tuple[Identity, ...], kind: str) -> str | None:
    """The first value of one kind, as the single-valued public fields show it."""
    return next((i.value for i in identities if i.kind == kind), None)


@dataclass(frozen=True, slots=True)
class StoredContact:
    """A contact row ready to insert: identifiers already normalized."""

    name: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    identities: tuple[Identity, ...] = ()
    company_id: int | None = None
    company_name: str | None = None
    owner_id: int | None = None
    external_ref: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCompany:
    """A company row ready to insert: identifiers already normalized."""

    name: str
    inn: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    website: str | None = None
    owner_id: int | None = None
    external_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A stored contact (a person), with every identity it is known by."""

    id: int
    name: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    company_id: int | None
    company_name: str | None
    owner_id: int | None
    merged_into_id: int | None = None
    identities: tuple[Identity, ...] = ()

    def identity(self, kind: str) -> str | None:
        """The contact's first identity of one kind (None when it has none)."""
        return first_identity(self.identities, kind)

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-ready copy (merge journal)."""
        data = snapshot(self)
        data["identities"] = [{"kind": i.kind, "value": i.value} for i in self.identities]
        return data

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Contact:
        """Inverse of to_snapshot (journal entries written before identities read too)."""
        args = restored(data)
        identities = [Identity(i["kind"], i["value"]) for i in args.pop("identities", ())]
        for kind in LEGACY_IDENTITY_FIELDS:
            if value := args.pop(kind, None):
                identities.append(Identity(kind, value))
        return cls(**args, identities=tuple(dict.fromkeys(identities)))


@dataclass(frozen=True, slots=True)
class Company:
    """A stored company, with every identity it is known by."""

    id: int
    name: str
    inn: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    website: str | None
    owner_id: int | None
    merged_into_id: int | None = None

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-ready copy (merge journal)."""
        return snapshot(self)

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Company:
        """Inverse of to_snapshot."""
        return cls(**restored(data))


@dataclass(frozen=True, slots=True)
class PastCompany:
    """A company a contact worked at before, and when it left it (a job change)."""

    company_id: int | None
    name: str | None
    until: datetime
    lead_id: int | None = None


@dataclass(frozen=True, slots=True)
class MergeEntry:
    """One entry of the merge journal (contacts or companies)."""

    id: int
    entity: str
    survivor_id: int
    merged_id: int
    actor: str
    survivor_before: dict[str, Any]
    merged_before: dict[str, Any]
    moved: dict[str, list[int]]
    merged_at: datetime
    undone_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeadJoin:
    """One entry of the lead-join journal: an open lead joined into one person's earliest."""

    id: int
    survivor_id: int
    joined_id: int
    by_lead_id: int | None  # the new lead whose evidence tied the two together
    actor: str
    reason: str
    before: dict[str, Any]
    moved: dict[str, list[int]]
    joined_at: datetime
    undone_at: datetime | None


def snapshot(record: Contact | Company) -> dict[str, Any]:
    """A record's fields as JSON values (tuples become lists)."""
    return {
        f.name: list(v) if isinstance(v := getattr(record, f.name), tuple) else v
        for f in fields(record)
    }


def restored(data: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments from a snapshot (lists become tuples again)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
