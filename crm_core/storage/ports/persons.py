"""A person's records across every table, for access requests and erasure (152-FZ)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class PersonQuery:
    """What identifies the person: spellings of their phone, their e-mail (lowercased), the
    identity-index keys they are indexed under, and raw strings to look for in stored
    payloads (the inbox)."""

    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()
    needles: frozenset[str] = frozenset()


@dataclass(slots=True)
class PersonRecords:
    """Ids of a person's rows, by table."""

    ids: dict[str, set[int]] = field(default_factory=dict)

    def of(self, table: str) -> set[int]:
        """The ids found in one table (a live set: adding to it adds to the records)."""
        return self.ids.setdefault(table, set())

    def counts(self) -> dict[str, int]:
        """How many rows of each table, tables with none left out."""
        return {t: len(ids) for t, ids in sorted(self.ids.items()) if ids}

    def empty(self) -> bool:
        """Whether nothing at all was found."""
        return not any(self.ids.values())


@dataclass(frozen=True, slots=True)
class Erasure:
    """A journaled erasure: who, when, why, and how many rows of which table (no data)."""

    id: int
    kind: str
    actor: str
    reason: str
    subject: str
    counts: Mapping[str, int]
    erased_at: datetime


class PersonRepository(Protocol):
    """Finds, exports and anonymises one person's rows."""

    async def find(self, query: PersonQuery) -> PersonRecords:
        """Every row holding the person's data, linked records included."""

    async def link_to_leads(self, records: PersonRecords) -> None:
        """Add the rows linked to the records' leads (no search of raw payloads)."""

    async def rows(self, records: PersonRecords) -> dict[str, list[dict[str, Any]]]:
        """The rows found, by table, as stored (binary columns by their size)."""

    async def anonymise(self, records: PersonRecords, now: datetime) -> dict[str, int]:
        """Remove the personal data from every row found but the accounting documents the
        law keeps (invoices, payments); rows changed, by table."""

    async def add_erasure(
        self,
        kind: str,
        actor: str,
        reason: str,
        subject: str,
        counts: Mapping[str, int],
        now: datetime,
    ) -> int:
        """Journal an erasure; its id."""

    async def get_erasure(self, erasure_id: int) -> Erasure | None:
        """One journaled erasure."""

    async def stale_leads(self, received_before: datetime) -> list[int]:
        """Junk or unconverted leads received before the date, still holding personal data,
        that neither became a deal nor belong to a contact with one."""

    async def withdrawn(self, lead_ids: Collection[int]) -> bool:
        """Whether consent was withdrawn (the last record is a withdrawal) on any lead."""
