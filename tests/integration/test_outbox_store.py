"""The notification outbox on SQLite and PostgreSQL: dedupe, leases, outcomes, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_core.model import NewManager, Role
from crm_core.notifications import NewNotification, NotificationChannel, NotificationKind
from crm_core.storage import Storage
from crm_core.storage.outbox import SqlOutboxRepository
from crm_core.storage.ports import UnitOfWork
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage
from tests.conftest import pg_schema

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
LEASE = timedelta(minutes=1)

StorageFactory = Callable[[], Storage]


@pytest.fixture(params=["sqlite", "postgres"])
async def reopenable(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StorageFactory]:
    """Builds unopened storages that all point at the same fresh database."""
    if request.param == "sqlite":
        path = tmp_path / "outbox.sqlite3"
        yield lambda: SqliteStorage(path)
        return
    async with pg_schema() as (url, schema):
        yield lambda: PostgresStorage(url, min_size=1, max_size=2, schema=schema)


def outbox(uow: UnitOfWork) -> SqlOutboxRepository:
    """The SQL outbox of a unit of work, with its methods beyond OutboxPort."""
    assert isinstance(uow.outbox, SqlOutboxRepository)
    return uow.outbox


async def add_manager(storage: Storage, login: str = "ivanova") -> int:
    async with storage.transaction() as uow:
        manager = await uow.managers.upsert(
            NewManager(login, "Анна Иванова", Role.MANAGER, None, "1001", "Europe/Moscow", True),
            T0,
        )
    return manager.id


def note(
    manager_id: int,
    dedupe_key: str,
    *,
    channel: NotificationChannel = NotificationChannel.TELEGRAM,
    payload: dict[str, Any] | None = None,
) -> NewNotification:
    return NewNotification(
        manager_id=manager_id,
        channel=channel,
        kind=NotificationKind.LEAD_ASSIGNED,
        address=str(manager_id) if channel is NotificationChannel.SSE else "1001",
        payload={"lead_id": 1} if payload is None else payload,
        dedupe_key=dedupe_key,
    )


async def enqueue(storage: Storage, *items: NewNotification, now: datetime = T0) -> list[int]:
    async with storage.transaction() as uow:
        return await uow.outbox.enqueue(items, now)


async def claim(storage: Storage, now: datetime, limit: int = 10) -> list[int]:
    async with storage.transaction() as uow:
        return [m.id for m in await uow.outbox.claim_due(now, limit, now + LEASE)]


async def stats(storage: Storage) -> dict[str, int]:
    async with storage.reader() as uow:
        return await outbox(uow).stats()


async def test_enqueue_returns_new_ids_and_skips_known_dedupe_keys(storage: Storage) -> None:
    manager = await add_manager(storage)
    async with storage.transaction() as uow:
        first = await uow.outbox.enqueue([note(manager, "a"), note(manager, "b")], T0)
        again = await uow.outbox.enqueue([note(manager, "a")], T0)
        nothing = await uow.outbox.enqueue([], T0)
    later = await enqueue(storage, note(manager, "b"), note(manager, "c"), note(manager, "c"))

    assert len(first) == 2 and first[0] < first[1]
    assert again == [] and nothing == []
    assert len(later) == 1 and later[0] > first[1]
    assert await stats(storage) == {"pending": 3, "sent": 0, "failed": 0}
    async with storage.reader() as uow:
        stored = await outbox(uow).get(first[0])
        missing = await outbox(uow).get(later[0] + 1)
    assert missing is None
    assert stored is not None
    assert (stored.manager_id, stored.channel, stored.kind) == (
        manager,
        NotificationChannel.TELEGRAM,
        NotificationKind.LEAD_ASSIGNED,
    )
    assert (stored.attempts, stored.created_at, stored.next_attempt_at) == (0, T0, T0)
    assert stored.last_error is None


async def test_claim_takes_due_messages_in_id_order_up_to_the_limit(storage: Storage) -> None:
    manager = await add_manager(storage)
    due = await enqueue(storage, *(note(manager, f"due-{i}") for i in range(3)))
    (later,) = await enqueue(storage, note(manager, "later"), now=T0 + timedelta(seconds=30))

    assert await claim(storage, T0, limit=0) == []
    assert await claim(storage, T0, limit=2) == due[:2]
    assert await claim(storage, T0) == due[2:]
    assert await claim(storage, T0 + timedelta(seconds=29)) == []
    assert await claim(storage, T0 + timedelta(seconds=30)) == [later]


async def test_a_leased_message_comes_back_only_when_the_lease_ends(storage: Storage) -> None:
    manager = await add_manager(storage)
    (message_id,) = await enqueue(storage, note(manager, "a"))

    assert await claim(storage, T0) == [message_id]
    assert await claim(storage, T0 + LEASE - timedelta(microseconds=1)) == []
    # Nobody recorded an outcome (the dispatcher died): the message is due again.
    assert await claim(storage, T0 + LEASE) == [message_id]
    assert await claim(storage, T0 + LEASE + timedelta(seconds=1)) == []


async def test_sent_messages_are_never_claimed_again(storage: Storage) -> None:
    manager = await add_manager(storage)
    sent, other = await enqueue(storage, note(manager, "a"), note(manager, "b"))
    assert await claim(storage, T0) == [sent, other]
    async with storage.transaction() as uow:
        await uow.outbox.mark_sent(sent, T0)
        # A late outcome from a worker whose lease ran out does not reopen it.
        await uow.outbox.mark_retry(sent, 1, T0, "late")
        await uow.outbox.mark_failed(sent, T0, "late")

    assert await claim(storage, T0 + timedelta(days=1)) == [other]
    assert await stats(storage) == {"pending": 1, "sent": 1, "failed": 0}


async def test_retry_moves_next_attempt_and_counts_attempts(storage: Storage) -> None:
    manager = await add_manager(storage)
    (message_id,) = await enqueue(storage, note(manager, "a"))
    async with storage.transaction() as uow:
        await uow.outbox.claim_due(T0, 10, T0 + timedelta(hours=1))
        await uow.outbox.mark_retry(message_id, 1, T0 + timedelta(minutes=5), "Ошибка " * 100)

    async with storage.reader() as uow:
        stored = await outbox(uow).get(message_id)
    assert stored is not None
    assert stored.attempts == 1
    assert stored.next_attempt_at == T0 + timedelta(minutes=5)
    assert stored.last_error == ("Ошибка " * 100)[:500]
    assert await claim(storage, T0 + timedelta(minutes=4)) == []
    # The retry dropped the hour-long lease: due at next_attempt_at, not when the lease ends.
    async with storage.transaction() as uow:
        (again,) = await uow.outbox.claim_due(T0 + timedelta(minutes=5), 10, T0 + LEASE * 6)
        await uow.outbox.mark_retry(message_id, 2, T0 + timedelta(minutes=15), "timeout")
    assert (again.id, again.attempts, again.last_error) == (message_id, 1, stored.last_error)
    assert await claim(storage, T0 + timedelta(minutes=15)) == [message_id]
    assert await stats(storage) == {"pending": 1, "sent": 0, "failed": 0}


async def test_failed_messages_stay_failed(storage: Storage) -> None:
    manager = await add_manager(storage)
    (message_id,) = await enqueue(storage, note(manager, "a"))
    assert await claim(storage, T0) == [message_id]
    async with storage.transaction() as uow:
        await uow.outbox.mark_failed(message_id, T0, "chat not found " + "x" * 1000)
    async with storage.transaction() as uow:
        await uow.outbox.mark_retry(message_id, 5, T0, "late")
        await uow.outbox.mark_sent(message_id, T0)

    assert await claim(storage, T0 + timedelta(days=30)) == []
    assert await stats(storage) == {"pending": 0, "sent": 0, "failed": 1}
    async with storage.reader() as uow:
        stored = await outbox(uow).get(message_id)
    assert stored is not None
    assert stored.last_error is not None
    assert stored.last_error.startswith("chat not found ") and len(stored.last_error) == 500


async def test_payload_with_russian_text_and_nested_json_round_trips(storage: Storage) -> None:
    manager = await add_manager(storage)
    payload: dict[str, Any] = {
        "text": "Новая заявка: «Иван Петров», +7 916 123-45-67",
        "lead": {"id": 7, "tags": ["срочно", None, 1.5, True], "utm": {}},
        "quote": 'кавычки " и \\ обратная косая черта\nновая строка',
        "emoji": "👋",
    }
    (message_id,) = await enqueue(storage, note(manager, "ключ-дедупликации", payload=payload))

    async with storage.transaction() as uow:
        (claimed,) = await uow.outbox.claim_due(T0, 10, T0 + LEASE)
    async with storage.reader() as uow:
        stored = await outbox(uow).get(message_id)
    assert claimed.payload == payload
    assert stored is not None and stored.payload == payload


async def test_for_manager_replays_in_app_messages_after_an_id(storage: Storage) -> None:
    anna = await add_manager(storage, "ivanova")
    petr = await add_manager(storage, "petrov")
    sse = NotificationChannel.SSE
    ids = await enqueue(
        storage,
        note(anna, "1", channel=sse),
        note(anna, "2"),  # Telegram: not an in-app event
        note(petr, "3", channel=sse),
        note(anna, "4", channel=sse),
        note(anna, "5", channel=sse),
        note(anna, "6", channel=sse),
    )
    async with storage.transaction() as uow:
        await uow.outbox.mark_sent(ids[3], T0)  # delivered live, still replayed

    async with storage.reader() as uow:
        everything = await outbox(uow).for_manager(anna, 0, 100)
        missed = await outbox(uow).for_manager(anna, ids[0], 2)
        none_left = await outbox(uow).for_manager(anna, ids[5], 100)
    assert [m.id for m in everything] == [ids[0], ids[3], ids[4], ids[5]]
    assert all(m.channel is sse and m.address == str(anna) for m in everything)
    assert [m.id for m in missed] == [ids[3], ids[4]]
    assert none_left == []


async def test_messages_survive_a_restart(reopenable: StorageFactory) -> None:
    before = reopenable()
    await before.open()
    try:
        await before.migrate()
        manager = await add_manager(before)
        leased, waiting = await enqueue(before, note(manager, "a"), note(manager, "b"))
        async with before.transaction() as uow:
            claimed = await uow.outbox.claim_due(T0, 1, T0 + LEASE)
        assert [m.id for m in claimed] == [leased]
    finally:
        await before.close()

    after = reopenable()
    await after.open()
    try:
        assert await after.migrate() == []
        assert await stats(after) == {"pending": 2, "sent": 0, "failed": 0}
        assert await claim(after, T0 + timedelta(seconds=1)) == [waiting]
        # The lease taken before the restart still holds, then the message comes back.
        assert await claim(after, T0 + LEASE) == [leased]
    finally:
        await after.close()


async def test_two_open_claims_never_share_a_row(storage: Storage) -> None:
    if storage.dialect == "sqlite":
        pytest.skip("SQLite has a single writer; claims are serialized by design")
    manager = await add_manager(storage)
    ids = await enqueue(storage, *(note(manager, f"k{i}") for i in range(5)))

    async with storage.transaction() as first:
        held = await first.outbox.claim_due(T0, 3, T0 + LEASE)
        # The first claim is not committed: its rows are locked, not yet leased. A claim
        # waiting on those locks instead of skipping them would time out here.
        async with asyncio.timeout(10), storage.transaction() as second:
            other = await second.outbox.claim_due(T0, 10, T0 + LEASE)

    assert [m.id for m in held] == ids[:3]
    assert [m.id for m in other] == ids[3:]
    assert await claim(storage, T0) == []


async def test_many_concurrent_dispatchers_claim_each_row_once(storage: Storage) -> None:
    if storage.dialect == "sqlite":
        pytest.skip("SQLite has a single writer; claims are serialized by design")
    manager = await add_manager(storage)
    ids = await enqueue(storage, *(note(manager, f"k{i}") for i in range(60)))

    async def dispatcher() -> list[int]:
        taken: list[int] = []
        while batch := await claim(storage, T0, limit=4):
            taken += batch
        return taken

    results = await asyncio.gather(*(dispatcher() for _ in range(6)))
    claimed = [message_id for taken in results for message_id in taken]
    assert sorted(claimed) == ids
