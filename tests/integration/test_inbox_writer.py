"""The group commit: a row the database refuses fails alone, never the requests beside it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from crm_core.model import InboxReceipt, NewInboxItem
from crm_core.storage import Storage, StorageRejected
from intake.inbox import InboxWriter

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def item(external_id: str, name: str) -> NewInboxItem:
    """A form row whose payload carries `name` as given."""
    fields = {"name": [name], "phone": ["+7 900 000-00-00"]}
    return NewInboxItem("webform", "site", external_id, T0, {"fields": fields}, {}, {})


async def store_all(storage: Storage, items: list[NewInboxItem]) -> list[object]:
    """Queue every item before the writer runs, so they share one commit."""
    writer = InboxWriter(storage, max_batch=len(items))
    writer.start()
    try:
        results = await asyncio.gather(*(writer.store(i) for i in items), return_exceptions=True)
    finally:
        await writer.stop()
    return list(results)


async def test_a_refused_row_fails_alone_and_its_batch_is_stored(storage: Storage) -> None:
    good = [item(f"ok{n}", f"Клиент {n}") for n in range(9)]
    poisoned = item("bad", "\ud800")  # a lone surrogate: no database stores it as UTF-8
    results = await store_all(storage, [*good[:4], poisoned, *good[4:]])
    refused = results.pop(4)
    assert isinstance(refused, StorageRejected)
    assert all(isinstance(r, InboxReceipt) and r.created for r in results)
    async with storage.reader() as uow:
        stats = await uow.inbox.stats()
    assert stats.pending == 9


async def test_several_refused_rows_in_one_commit_each_fail_alone(storage: Storage) -> None:
    rows = [item(f"ok{n}", "Клиент") if n % 3 else item(f"bad{n}", "\udfff") for n in range(12)]
    results = await store_all(storage, rows)
    refused = [n for n, r in enumerate(results) if isinstance(r, StorageRejected)]
    assert refused == [0, 3, 6, 9]
    assert sum(isinstance(r, InboxReceipt) for r in results) == 8


@pytest.mark.parametrize("value", [2**64, -(2**70)])
async def test_a_number_beyond_64_bits_in_a_column_is_refused_not_an_outage(
    storage: Storage, value: int
) -> None:
    async with storage.transaction() as uow:
        await uow.inbox.add_batch([item("x", "Клиент")])
    with pytest.raises(StorageRejected):
        async with storage.transaction() as uow:
            await uow.inbox.get(value)
