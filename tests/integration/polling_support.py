"""What the Telegram and VK poller tests share: a SQLite store, a running poller, waiting."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from crm_core.storage import Storage
from crm_core.storage.sqlite import SqliteStorage
from intake.channel_polling import ChannelPoller

P = TypeVar("P", bound=ChannelPoller)


@pytest.fixture
async def sqlite_storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A migrated SQLite store (for behaviour the database does not change)."""
    store = SqliteStorage(tmp_path / "polling.sqlite3")
    await store.open()
    await store.migrate()
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def running(poller: P) -> AsyncIterator[P]:
    """The poller started for the block, stopped after it."""
    poller.start()
    try:
        yield poller
    finally:
        await poller.stop()


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)


async def handled_external_ids(storage: Storage) -> Counter[str]:
    """External ids of inbox rows that went into a lead: their own, or as a message logged
    on the person's open lead (what "nothing lost" means for conversation channels)."""
    rows, n, misses = [], 0, 0
    async with storage.reader() as uow:
        # Ids have gaps on PostgreSQL (a refused duplicate still takes a sequence value).
        while misses < 50:
            n += 1
            row = await uow.inbox.get(n)
            misses = 0 if row is not None else misses + 1
            if row is not None:
                rows.append(row)
    return Counter(
        row.external_id for row in rows if row.status == "processed" and row.lead_id is not None
    )
