"""Pick the storage adapter from a database URL."""

from __future__ import annotations

from pathlib import Path

from crm_core.storage.ports import Storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage


def open_storage(url: str, *, pool_min: int = 2, pool_max: int = 10) -> Storage:
    """An unopened Storage for `sqlite:///path` or `postgresql://...` (call `open()` next)."""
    if url.startswith("sqlite:///"):
        return SqliteStorage(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStorage(url, min_size=pool_min, max_size=pool_max)
    raise ValueError(f"unsupported database URL scheme: {url.split(':', 1)[0]!r}")
