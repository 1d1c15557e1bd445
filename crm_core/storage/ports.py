"""The repository interface the domain and the service shell depend on."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from crm_core.model import (
    AuditEntry,
    Company,
    ConsentRecord,
    Contact,
    InboxItem,
    InboxReceipt,
    InboxStats,
    Lead,
    LeadContactDetails,
    LeadFilter,
    LeadMatch,
    LeadStatus,
    Manager,
    MergeEntry,
    NewInboxItem,
    NewLead,
    NewManager,
    ParkedRequest,
    StoredCompany,
    StoredContact,
)
from crm_core.storage.calls import SqlCallRepository
from crm_core.storage.outbox import SqlOutboxRepository
from crm_core.storage.reports import SqlReports
from crm_core.storage.sales import SqlSalesRepository
from crm_core.tokens import ApiToken, TokenOwner
from dedupe.keys import Entity
from dedupe.ports import IdentityIndex


class StorageUnavailable(Exception):
    """The database could not be reached or refused the operation."""


class StorageRejected(Exception):
    """The database refused a value of the data itself (not an outage): retrying cannot help."""


class InboxRepository(Protocol):
    """Raw inbound requests, stored before the sender gets its 2xx."""

    async def add_batch(self, items: Sequence[NewInboxItem]) -> list[InboxReceipt]:
        """Store items idempotently on (channel, external_id); one receipt per item, in order."""

    async def claim_pending(self, limit: int, now: datetime) -> list[InboxItem]:
        """Lock up to `limit` due pending rows for this transaction (skipping rows others hold)."""

    async def peek_pending(self, limit: int, now: datetime) -> list[InboxItem]:
        """Due pending rows without locking them (to prepare work before a transaction)."""

    async def mark_processed(
        self, outcomes: Sequence[tuple[int, int | None]], now: datetime
    ) -> None:
        """Record that rows (item id, lead id or None) were handled."""

    async def record_failure(
        self, item_id: int, error: str, now: datetime, retry_at: datetime, max_attempts: int
    ) -> None:
        """Count a failed attempt; park the row as failed after `max_attempts`."""

    async def get(self, item_id: int) -> InboxItem | None:
        """One row by intake id."""

    async def lead_of(self, channel: str, external_ids: Sequence[str]) -> int | None:
        """The lead the newest of these processed requests went into (e-mail threads)."""

    async def parked(self, limit: int) -> list[ParkedRequest]:
        """Rows parked as failed, newest first (dismissed ones included)."""

    async def requeue(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Put parked rows (all when `ids` is None) back to pending; returns how many."""

    async def dismiss(self, ids: Sequence[int], now: datetime) -> int:
        """Set parked rows aside so they stop holding readiness; returns how many."""

    async def stats(self) -> InboxStats:
        """Pending and failed counts and the oldest pending row's time."""


class LeadRepository(Protocol):
    """Leads and their listing for managers."""

    async def add_many(self, leads: Sequence[NewLead], now: datetime) -> list[tuple[Lead, bool]]:
        """Create each inbox row's lead once; returns (lead, created) in order."""

    async def lock(self, lead_id: int) -> Lead | None:
        """One lead, locked for the rest of the transaction."""

    async def set_status(
        self,
        lead_id: int,
        status: LeadStatus,
        now: datetime,
        *,
        junk_reason: str | None = None,
        taken: bool = False,
    ) -> None:
        """Move a lead to a status."""

    async def set_assignee(
        self, lead_id: int, manager_id: int | None, accept_by: datetime | None, now: datetime
    ) -> None:
        """Give a lead to a manager with the deadline to take it."""

    async def mark_converted(
        self,
        lead_id: int,
        contact_id: int,
        company_id: int | None,
        deal_id: int | None,
        now: datetime,
    ) -> None:
        """Record a conversion's result on the lead."""

    async def attached_to(self, lead_id: int) -> list[Lead]:
        """Later requests of the same person attached to this open lead."""

    async def assignee_id(self, lead_id: int) -> int | None:
        """The manager a lead is assigned to, if any."""

    async def open_lead_of_contact(self, contact_id: int) -> Lead | None:
        """The contact's newest lead still in qualification (new or in work)."""

    async def unlink_contact(self, lead_id: int, now: datetime) -> None:
        """Detach a lead from its contact (a wrong link was rejected)."""

    async def fill_contact(
        self, lead_id: int, details: LeadContactDetails, now: datetime
    ) -> list[str]:
        """Fill the lead's empty contact fields from `details`; returns the fields filled."""

    async def record_match(
        self, lead_id: int, match: LeadMatch, assignee_id: int | None, now: datetime
    ) -> None:
        """Store the detector's decision; a known contact's manager becomes the assignee."""

    async def get(self, lead_id: int) -> Lead | None:
        """One lead by id."""

    async def list(self, where: LeadFilter, limit: int, before_id: int | None) -> list[Lead]:
        """Newest first, ids below `before_id` when paging."""


class ManagerRepository(Protocol):
    """Sales staff, synchronised from configuration."""

    async def upsert(self, manager: NewManager, now: datetime) -> Manager:
        """Create or update by login."""

    async def get_by_login(self, login: str) -> Manager | None:
        """One manager by login."""

    async def list(self) -> list[Manager]:
        """Every manager, ordered by login."""


class TokenRepository(Protocol):
    """API bearer tokens, stored only as hashes."""

    async def add(
        self, token_hash: str, manager_id: int, now: datetime, expires_at: datetime | None = None
    ) -> int:
        """Store a new token hash for a manager; returns the token's id."""

    async def manager_for(self, token_hash: str) -> Manager | None:
        """The active manager owning an unrevoked token (expiry is `find`'s caller's)."""

    async def find(self, token_hash: str) -> TokenOwner | None:
        """The token with this hash and its manager, whatever its state."""

    async def get(self, token_id: int) -> ApiToken | None:
        """One token by id."""

    async def list(self) -> list[ApiToken]:
        """Every token, newest first."""

    async def touch(self, token_id: int, now: datetime) -> None:
        """Record the token's last use."""

    async def revoke(self, token_id: int, now: datetime) -> ApiToken | None:
        """Revoke the token (a revoked one keeps its first revocation time); None if unknown."""


class ConsentRepository(Protocol):
    """Personal-data consents, one record per lead and form."""

    async def add_many(self, consents: Sequence[ConsentRecord]) -> None:
        """Store consent records."""

    async def for_lead(self, lead_id: int) -> list[ConsentRecord]:
        """Consents recorded with a lead."""


class AuditRepository(Protocol):
    """Append-only log of changes."""

    async def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries."""

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        """Entries about one record, oldest first."""


class IdentityRepository(IdentityIndex, Protocol):
    """Contacts and companies with their identity keys (the detector's index, writable)."""

    async def add_contacts(self, contacts: Sequence[StoredContact], now: datetime) -> list[int]:
        """Insert contacts; returns their ids in order."""

    async def add_companies(self, companies: Sequence[StoredCompany], now: datetime) -> list[int]:
        """Insert companies; returns their ids in order."""

    async def index(
        self,
        entity: Entity,
        keyed: Iterable[tuple[int, Collection[str]]],
        *,
        new_records: bool = False,
    ) -> None:
        """Add records' keys and bump the counts of the keys they did not have yet."""

    async def unindex(self, entity: Entity, entity_ids: Collection[int]) -> None:
        """Remove records' keys and lower the keys' counts."""

    async def contact_owner(self, contact_id: int) -> int | None:
        """The manager responsible for a contact, if any."""

    async def get_contact(self, contact_id: int) -> Contact | None:
        """One contact by id (merged ones included, see merged_into_id)."""

    async def update_contact(self, contact: Contact, now: datetime) -> None:
        """Write every field of a contact (the index is maintained by the caller)."""

    async def add_merge(
        self,
        entity: Entity,
        survivor: dict[str, Any],
        merged: dict[str, Any],
        moved: dict[str, list[int]],
        actor: str,
        now: datetime,
    ) -> int:
        """Journal a merge with both records as they were before it; returns its id."""

    async def get_merge(self, merge_id: int) -> MergeEntry | None:
        """One journal entry."""

    async def mark_merge_undone(self, merge_id: int, actor: str, now: datetime) -> None:
        """Close a journal entry."""

    async def get_company(self, company_id: int) -> Company | None:
        """One company by id (merged ones included, see merged_into_id)."""

    async def update_company(self, company: Company, now: datetime) -> None:
        """Write every field of a company (the index is maintained by the caller)."""

    async def move_company_refs(
        self, from_company: int, to_company: int, now: datetime
    ) -> dict[str, list[int]]:
        """Re-point contacts and leads from one company to another; returns what moved."""

    async def set_company(
        self, records: dict[str, list[int]], company_id: int, now: datetime
    ) -> None:
        """Point contacts and leads ({"contacts": [...], "leads": [...]}) at a company."""

    async def move_leads(self, from_contact: int, to_contact: int, now: datetime) -> list[int]:
        """Re-point leads from one contact to another; returns the leads moved."""

    async def set_leads_contact(
        self, lead_ids: Sequence[int], contact_id: int, now: datetime
    ) -> None:
        """Point leads at a contact."""

    async def reject(
        self,
        contact_id: int,
        keys: Collection[str],
        now: datetime,
        manager_id: int | None = None,
        lead_id: int | None = None,
    ) -> None:
        """Remember team-wide that the person behind these keys is not this contact."""


class CheckpointRepository(Protocol):
    """How far each channel that fetches its own events has got, per source key."""

    async def get(self, channel: str, key: str) -> str | None:
        """The value stored for this channel and key, or None if there is none yet."""

    async def put(self, channel: str, key: str, value: str, now: datetime) -> None:
        """Store the value for this channel and key, replacing any earlier one."""

    async def delete(self, channel: str, key: str) -> None:
        """Forget the checkpoint (the channel starts over as on its first run)."""


class UnitOfWork(Protocol):
    """Repositories sharing one transaction."""

    inbox: InboxRepository
    leads: LeadRepository
    managers: ManagerRepository
    tokens: TokenRepository
    consents: ConsentRepository
    audit: AuditRepository
    identity: IdentityRepository
    outbox: SqlOutboxRepository
    sales: SqlSalesRepository
    reports: SqlReports
    calls: SqlCallRepository
    checkpoints: CheckpointRepository


class Storage(ABC):
    """A database: transactions, reads, migrations and health."""

    dialect: str

    @abstractmethod
    async def open(self) -> None:
        """Connect (the constructor never does I/O)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A write transaction, committed when the block exits cleanly, else rolled back."""

    @abstractmethod
    def reader(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Repositories for reading outside a write transaction."""

    @abstractmethod
    async def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers."""

    @abstractmethod
    async def backup(self, destination: Path) -> Path | None:
        """Copy the database, as committed at one moment, into a new SQLite file at
        `destination`; None when this database is not copied this way (PostgreSQL: pg_dump)."""
