"""Parked requests: listed for review, put back in line, or set aside by an operator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_core.model import NewInboxItem
from crm_core.storage import Storage

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def park_two_of_three(storage: Storage) -> list[int]:
    """Three stored requests; the first two parked after one failed try."""
    async with storage.transaction() as uow:
        receipts = await uow.inbox.add_batch(
            [NewInboxItem("telegram", "bot", f"u{n}", T0, {}, {}, {}) for n in range(3)]
        )
        ids = [r.intake_id for r in receipts]
        for intake_id in ids[:2]:
            await uow.inbox.record_failure(
                intake_id, "StorageRejected: refused", T0, T0 + timedelta(seconds=2), 1
            )
    return ids


async def test_parked_rows_are_listed_without_their_data(storage: Storage) -> None:
    first, second, _ = await park_two_of_three(storage)
    async with storage.reader() as uow:
        parked = await uow.inbox.parked(10)
        stats = await uow.inbox.stats()
    assert [p.id for p in parked] == [second, first]
    assert parked[0].last_error == "StorageRejected: refused"
    assert parked[0].parked_at == T0 and parked[0].dismissed_at is None
    assert stats.failed == 2


async def test_dismissed_rows_stop_counting_and_retried_rows_are_pending_again(
    storage: Storage,
) -> None:
    first, second, third = await park_two_of_three(storage)
    later = T0 + timedelta(hours=1)
    async with storage.transaction() as uow:
        assert await uow.inbox.dismiss([first, third, 2**62], later) == 1
        assert await uow.inbox.dismiss([first], later) == 0
    async with storage.reader() as uow:
        assert (await uow.inbox.stats()).failed == 1
        assert [p.dismissed_at for p in await uow.inbox.parked(10)] == [None, later]
    async with storage.transaction() as uow:
        assert await uow.inbox.requeue([second], later) == 1
    async with storage.reader() as uow:
        row = await uow.inbox.get(second)
        assert row is not None and (row.status, row.attempts) == ("pending", 0)
        assert (await uow.inbox.stats()).failed == 0
    async with storage.transaction() as uow:
        assert await uow.inbox.requeue(None, later) == 1
    async with storage.reader() as uow:
        assert await uow.inbox.parked(10) == []
        assert (await uow.inbox.stats()).pending == 3
