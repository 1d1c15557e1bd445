"""The index port: what the detector needs from storage, implemented in crm_core.storage."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from dedupe.keys import REJECTIONS_KEY, Entity
from dedupe.profile import Profile


@dataclass(frozen=True, slots=True)
class IndexedContact:
    """A contact as candidate: its profile and company."""

    id: int
    profile: Profile
    company_id: int | None


@dataclass(frozen=True, slots=True)
class Candidates:
    """What one detection reads from the index: the keys' counts, the records found under
    them, those records' profiles, and which of the contacts were rejected."""

    counts: dict[tuple[str, Entity], int]
    rows: list[tuple[str, Entity, int]]
    contacts: dict[int, IndexedContact]
    companies: dict[int, Profile]
    open_leads: dict[int, Profile]
    rejected: set[int]


class IdentityIndex(Protocol):
    """Persistent identity keys with frequency counts, and the indexed records' profiles."""

    async def key_counts(self, keys: Collection[str]) -> dict[tuple[str, Entity], int]:
        """How many records of each entity carry each key (missing: none); the key
        `keys.TOTAL_KEY` counts every indexed record of the entity, `keys.REJECTIONS_KEY`
        (entity contact) the "not the same person" answers recorded."""

    async def lookup(
        self, caps: Mapping[str, int]
    ) -> tuple[dict[tuple[str, Entity], int], list[tuple[str, Entity, int]]]:
        """Counts of the keys (as key_counts), and (key, entity, id) of the records of each
        key whose count for that entity is within the key's cap (0: count only)."""

    async def candidates(
        self, caps: Mapping[str, int], rejection_keys: Collection[str]
    ) -> Candidates:
        """Everything one detection needs, at once: `lookup(caps)`, the profiles of the
        contacts, companies and open leads it found, and those contacts a manager said are
        not the person behind any of `rejection_keys`."""

    async def find(self, keys: Collection[str]) -> list[tuple[str, Entity, int]]:
        """(key, entity, id) for every record carrying one of the keys."""

    async def contacts(self, ids: Collection[int]) -> dict[int, IndexedContact]:
        """Profiles of contacts by id."""

    async def open_leads(self, ids: Collection[int]) -> dict[int, Profile]:
        """Profiles of open leads (not yet linked to a contact) by id."""

    async def companies(self, ids: Collection[int]) -> dict[int, Profile]:
        """Profiles of companies by id."""

    async def contacts_total(self) -> int:
        """How many contacts are indexed (for surname rarity)."""

    async def rejected(self, contact_ids: Collection[int], keys: Collection[str]) -> set[int]:
        """Contacts a manager said are not the person behind any of these keys."""


async def candidates_by_steps(
    index: IdentityIndex, caps: Mapping[str, int], rejection_keys: Collection[str]
) -> Candidates:
    """`candidates` made of the index's other calls, one after another: for an index whose
    calls are cheap (in process), where one combined query would buy nothing."""
    counts, rows = await index.lookup(caps)
    ids: dict[Entity, set[int]] = {entity: set() for entity in Entity}
    for _, entity, record in rows:
        ids[entity].add(record)
    contact_ids = ids[Entity.CONTACT]
    any_rejections = counts.get((REJECTIONS_KEY, Entity.CONTACT), 0) > 0
    return Candidates(
        counts,
        rows,
        await index.contacts(contact_ids) if contact_ids else {},
        await index.companies(ids[Entity.COMPANY]) if ids[Entity.COMPANY] else {},
        await index.open_leads(ids[Entity.LEAD]) if ids[Entity.LEAD] else {},
        await index.rejected(contact_ids, rejection_keys)
        if contact_ids and any_rejections
        else set(),
    )
