"""What the Telegram and VK poller tests share: a SQLite store, a running poller, waiting."""

from __future__ import annotations

import asyncio
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
