"""Contacts, companies, their identity keys and the merge journal."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from crm_core.model import (
    Company,
    Contact,
    MergeEntry,
    PastCompany,
    StoredCompany,
    StoredContact,
)
from dedupe.keys import Entity
from dedupe.ports import IdentityIndex


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

    async def stage(self, entity: Entity, keyed: Iterable[tuple[int, Collection[str]]]) -> None:
        """Put records just inserted into the bulk-load backlog: not found until merge_staged."""

    async def merge_staged(self) -> None:
        """Index every record in the backlog (as index(new_records=True) would) and empty it."""

    async def unindex(self, entity: Entity, entity_ids: Collection[int]) -> None:
        """Remove records' keys and lower the keys' counts."""

    async def keys_of(self, entity: Entity, entity_ids: Collection[int]) -> dict[int, set[str]]:
        """The keys each record is indexed under (records with none are left out)."""

    async def search_contacts(
        self, keys: Collection[str], name_patterns: Sequence[str], limit: int
    ) -> list[Contact]:
        """Unmerged contacts indexed under any of the keys or named LIKE a pattern (the
        patterns escape `%`, `_` and `\\` with a backslash), newest first."""

    async def company_contacts(self, company_id: int, limit: int) -> list[Contact]:
        """Unmerged contacts of one company, newest first."""

    async def search_companies(
        self, keys: Collection[str], name_patterns: Sequence[str], inn: str | None, limit: int
    ) -> list[Company]:
        """Unmerged companies indexed under any of the keys, with the INN or named LIKE a
        pattern, newest first."""

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

    async def add_past_company(self, contact_id: int, past: PastCompany, now: datetime) -> None:
        """Keep a company the contact left in its history."""

    async def remove_past_company(self, contact_id: int, lead_id: int) -> None:
        """Forget the history entry a lead's job change wrote (the change is undone)."""

    async def past_companies(self, contact_id: int) -> list[PastCompany]:
        """The companies a contact left, the latest first (names as the companies read now)."""

    async def ids_after(self, entity: Entity, after: int, limit: int) -> list[int]:
        """Ids above `after`, ascending: unmerged contacts or companies, indexed open leads
        (how a re-index walks a whole table in batches)."""
