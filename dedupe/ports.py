"""The index port: what the detector needs from storage, implemented in crm_core.storage."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from dedupe.keys import Entity
from dedupe.profile import Profile


@dataclass(frozen=True, slots=True)
class IndexedContact:
    """A contact as candidate: its profile and company."""

    id: int
    profile: Profile
    company_id: int | None


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
