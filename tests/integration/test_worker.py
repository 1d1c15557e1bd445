"""The inbox worker against real storage: draining, idempotency and poison rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from channels.model import InboundEvent, PersonDetails
from crm_core.contacts import add_contacts, prepare_contact
from crm_core.inbound import InboundSetup, Route
from crm_core.model import InboxItem, LeadFilter, NewInboxItem, NewManager, Role
from crm_core.storage import Storage, UnitOfWork
from dedupe.profile import RawIdentity
from intake.processing import InboundBatchHandler
from intake.worker import InboxWorker, Outcome

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def event_json(external_id: str, phone: str) -> dict[str, Any]:
    return InboundEvent(
        channel="webform",
        source="site",
        external_id=external_id,
        received_at=T0,
        person=PersonDetails(name="Анна", phone=phone),
    ).to_json()


def make_worker(storage: Storage, created: list[str], max_attempts: int = 3) -> InboxWorker:
    handler = InboundBatchHandler(InboundSetup(lambda _c, _s: Route("main", "main"), "RU"))
    return InboxWorker(
        storage,
        handler,
        batch=10,
        poll_seconds=0.05,
        max_attempts=max_attempts,
        on_processed=lambda item, handled: (
            created.append(item.channel) if handled.lead_created else None
        ),
    )


async def add(storage: Storage, external_id: str, event: dict[str, Any]) -> int:
    async with storage.transaction() as uow:
        [receipt] = await uow.inbox.add_batch(
            [NewInboxItem("webform", "site", external_id, T0, {}, {}, event)]
        )
    return receipt.intake_id


async def test_drain_creates_one_lead_per_row_and_is_idempotent(storage: Storage) -> None:
    created: list[str] = []
    ids = [await add(storage, f"e{n}", event_json(f"e{n}", "89161234567")) for n in range(3)]
    worker = make_worker(storage, created)
    assert await worker.drain_once() == 3
    assert await worker.drain_once() == 0
    async with storage.reader() as uow:
        leads = await uow.leads.list(LeadFilter(), 10, None)
        stats = await uow.inbox.stats()
    assert sorted(lead.data.inbox_id for lead in leads) == ids
    assert {lead.data.contact.phone for lead in leads} == {"+79161234567"}
    assert {lead.data.queue for lead in leads} == {"main"}
    assert created == ["webform"] * 3
    assert stats.pending == 0


async def test_poison_row_is_isolated_retried_and_parked(storage: Storage) -> None:
    created: list[str] = []
    good = await add(storage, "good", event_json("good", "+79161234567"))
    bad = await add(storage, "bad", {"not": "an event"})
    worker = make_worker(storage, created, max_attempts=1)
    await worker.drain_once()
    async with storage.reader() as uow:
        parked = await uow.inbox.get(bad)
        processed = await uow.inbox.get(good)
        stats = await uow.inbox.stats()
    assert processed is not None and processed.status == "processed"
    assert processed.lead_id is not None
    assert parked is not None and parked.status == "failed" and parked.attempts == 1
    assert stats.failed == 1 and stats.pending == 0
    assert created == ["webform"]


async def test_failed_attempt_is_retried_later_not_at_once(storage: Storage) -> None:
    bad = await add(storage, "bad", {"not": "an event"})
    worker = make_worker(storage, [], max_attempts=5)
    await worker.drain_once()
    assert await worker.drain_once() == 0
    async with storage.reader() as uow:
        row = await uow.inbox.get(bad)
    assert row is not None and row.status == "pending" and row.attempts == 1


async def test_batch_that_raises_is_retried_row_by_row(storage: Storage) -> None:
    created: list[str] = []
    ids = [await add(storage, f"r{n}", event_json(f"r{n}", "+79161234567")) for n in range(3)]
    explosive = ids[1]
    real = InboundBatchHandler(InboundSetup(lambda _c, _s: Route("main", "main"), "RU"))

    class ExplodingHandler:
        """Stands in for a statement failing for the whole batch (e.g. a constraint)."""

        def prepare(self, items: Sequence[InboxItem]) -> list[Any]:
            return real.prepare(items)

        async def apply(
            self,
            uow: UnitOfWork,
            items: Sequence[InboxItem],
            prepared: Sequence[Any],
            now: datetime,
        ) -> list[Outcome]:
            if any(item.id == explosive for item in items):
                raise RuntimeError("statement failed")
            return await real.apply(uow, items, prepared, now)

    handler = ExplodingHandler()
    worker = InboxWorker(
        storage,
        handler,
        batch=10,
        poll_seconds=0.05,
        max_attempts=1,
        on_processed=lambda item, handled: created.append(item.external_id),
    )
    assert await worker.drain_once() == 3
    async with storage.reader() as uow:
        rows = [await uow.inbox.get(i) for i in ids]
    assert [row.status for row in rows if row] == ["processed", "failed", "processed"]
    assert sorted(created) == ["r0", "r2"]


async def test_lead_from_a_known_contact_is_linked_with_an_explanation(storage: Storage) -> None:
    async with storage.transaction() as uow:
        manager = await uow.managers.upsert(
            NewManager("petrov", "Пётр Петров", Role.MANAGER, None, None, "Europe/Moscow", True),
            T0,
        )
        [contact_id] = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(name="Анна Смирнова", phones=("+7 916 555-44-33",)),
                    "RU",
                    owner_id=manager.id,
                )
            ],
            T0,
        )
    intake_id = await add(storage, "known", event_json("known", "8 916 555 44 33"))
    stranger = await add(storage, "stranger", event_json("stranger", "+7 903 111 22 33"))
    assert await make_worker(storage, []).drain_once() == 2
    async with storage.reader() as uow:
        leads = {lead.data.inbox_id: lead for lead in await uow.leads.list(LeadFilter(), 10, None)}
        audit = await uow.audit.for_entity("lead", leads[intake_id].id)
    known = leads[intake_id]
    assert known.match is not None and known.match.decision == "auto"
    assert known.match.contact_id == contact_id and known.match.is_repeat
    assert known.assignee == "petrov"
    evidence = known.match.explanation["candidates"][0]["evidence"]
    assert {e["field"] for e in evidence} >= {"phone", "first_name"}
    other = leads[stranger]
    assert other.match is not None and other.match.decision == "new"
    assert other.match.contact_id is None and other.assignee is None
    assert [a.action for a in audit] == ["created", "matched"]


async def test_a_row_the_database_refuses_is_parked_at_once_and_heads_are_told(
    storage: Storage,
) -> None:
    """A NUL in a lead's text: PostgreSQL refuses it; SQLite takes it (the intake guard
    keeps it out there). Either way no row is lost silently and its neighbours go on."""
    parked: list[tuple[int, str]] = []

    async def on_parked(uow: UnitOfWork, item: InboxItem, reason: str, now: datetime) -> None:
        parked.append((item.id, reason))

    handler = InboundBatchHandler(InboundSetup(lambda _c, _s: Route("main", "main"), "RU"))
    worker = InboxWorker(
        storage,
        handler,
        batch=10,
        poll_seconds=0.05,
        max_attempts=5,
        clock=lambda: T0,
        on_parked=on_parked,
    )
    good = await add(storage, "good", event_json("good", "+79161234567"))
    event = event_json("nul", "+79161234568")
    event["person"]["name"] = "Ан\x00на"
    bad = await add(storage, "nul", event)
    await worker.drain_once()
    async with storage.reader() as uow:
        row = await uow.inbox.get(bad)
        done = await uow.inbox.get(good)
        stats = await uow.inbox.stats()
    assert done is not None and done.status == "processed"
    assert row is not None
    if storage.dialect == "postgres":
        assert row.status == "failed" and row.attempts == 1
        assert parked == [(bad, "StorageRejected")]
        assert stats.failed == 1
    else:
        assert row.status == "processed"
