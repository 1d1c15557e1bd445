"""Re-index contacts, companies and open leads after the detector's keys changed (a new kind
of key, a new way to read company names), in batches, as often as one likes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from crm_core.storage.ports import UnitOfWork
from dedupe.keys import Entity, company_keys, person_keys

BATCH = 1000
PLURALS = {Entity.CONTACT: "contacts", Entity.COMPANY: "companies", Entity.LEAD: "leads"}
Transaction = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


@dataclass
class ReindexReport:
    """Per kind of record: how many were read, and how many got other keys."""

    checked: dict[Entity, int] = field(default_factory=lambda: dict.fromkeys(Entity, 0))
    changed: dict[Entity, int] = field(default_factory=lambda: dict.fromkeys(Entity, 0))

    def render(self) -> str:
        """One line a person reads."""
        return "reindex: " + " ".join(
            f"{PLURALS[e]}={self.checked[e]} changed={self.changed[e]}" for e in Entity
        )


async def reindex_all(
    transaction: Transaction,
    batch: int = BATCH,
    progress: Callable[[Entity, int], Awaitable[None]] | None = None,
) -> ReindexReport:
    """Bring every record's index keys to what the detector computes today, one transaction
    per batch (an interrupted run keeps its batches; running again changes nothing more).

    Contacts and companies get exactly their keys; an open lead only gains keys, since it
    also carries those of the messages attached to it.
    """
    report = ReindexReport()
    for entity in (Entity.CONTACT, Entity.COMPANY, Entity.LEAD):
        after = 0
        while True:
            async with transaction() as uow:
                ids = await uow.identity.ids_after(entity, after, batch)
                if not ids:
                    break
                report.changed[entity] += await _reindex(uow, entity, ids)
            report.checked[entity] += len(ids)
            after = ids[-1]
            if progress is not None:
                await progress(entity, report.checked[entity])
    return report


async def _reindex(uow: UnitOfWork, entity: Entity, ids: Sequence[int]) -> int:
    """Re-key one batch; returns how many records got other keys."""
    wanted = await _keys(uow, entity, ids)
    current = await uow.identity.keys_of(entity, ids)
    if entity is Entity.LEAD:
        grown = {i: keys for i, keys in wanted.items() if not keys <= current.get(i, set())}
        await uow.identity.index(entity, grown.items())
        return len(grown)
    changed = {i: keys for i, keys in wanted.items() if keys != current.get(i, set())}
    await uow.identity.unindex(entity, list(changed))
    await uow.identity.index(entity, changed.items(), new_records=True)
    return len(changed)


async def _keys(uow: UnitOfWork, entity: Entity, ids: Collection[int]) -> dict[int, set[str]]:
    if entity is Entity.CONTACT:
        contacts = await uow.identity.contacts(ids)
        return {i: person_keys(c.profile) for i, c in contacts.items()}
    if entity is Entity.COMPANY:
        companies = await uow.identity.companies(ids)
        return {i: company_keys(p) for i, p in companies.items()}
    leads = await uow.identity.open_leads(ids)
    return {i: person_keys(p) for i, p in leads.items()}
