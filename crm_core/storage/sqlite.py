"""SQLite storage via aiosqlite: WAL, foreign keys, synchronous=FULL, one serialized writer."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiosqlite

from crm_core.storage.migrations import load_migrations
from crm_core.storage.ports import Storage, StorageUnavailable, UnitOfWork
from crm_core.storage.repositories import SqlUnitOfWork
from crm_core.storage.session import Row

PLACEHOLDER = re.compile(r"\$(\d+)")
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
)


@lru_cache(maxsize=512)
def _to_sqlite(sql: str) -> str:
    """`$1` placeholders as SQLite's numbered `?1`."""
    return PLACEHOLDER.sub(r"?\1", sql)


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime passed to storage")
        # Fixed-width UTC text keeps lexicographic order equal to time order.
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _params(args: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_param(a) for a in args)


class SqliteSession:
    """A SqlSession over one aiosqlite connection."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> None:
        """Run a statement."""
        await self._conn.execute(_to_sqlite(sql), _params(args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""
        await self._conn.executemany(_to_sqlite(sql), [_params(r) for r in rows])

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """All rows of a query (one round trip to the database thread)."""
        rows = await self._conn.execute_fetchall(_to_sqlite(sql), _params(args))
        return [dict(r) for r in rows]

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None


class SqliteStorage(Storage):
    """The embedded default: one writer connection (serialized) and one reader connection."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Create the folder and open both connections."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await self._connect()
            self._reader = await self._connect()
        except sqlite3.Error as err:
            raise StorageUnavailable(f"cannot open SQLite database: {err}") from err

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self._path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        return conn

    async def close(self) -> None:
        """Close both connections."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """BEGIN IMMEDIATE on the single writer; COMMIT on a clean exit, ROLLBACK otherwise."""
        async with self._write_lock:
            conn = self._require(self._writer)
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                raise StorageUnavailable(f"cannot start a transaction: {err}") from err
            try:
                yield SqlUnitOfWork(SqliteSession(conn))
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            try:
                await conn.execute("COMMIT")
            except sqlite3.Error as err:
                await conn.execute("ROLLBACK")
                raise StorageUnavailable(f"commit failed: {err}") from err

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[UnitOfWork]:
        """Repositories over the read connection (each statement sees committed data)."""
        yield SqlUnitOfWork(SqliteSession(self._require(self._reader)))

    def _require(self, conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise StorageUnavailable("storage is not open")
        return conn

    async def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own immediate transaction."""
        applied: list[str] = []
        async with self._write_lock:
            conn = self._require(self._writer)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            for migration in load_migrations("sqlite"):
                await conn.execute("BEGIN IMMEDIATE")
                async with conn.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
                ) as cursor:
                    done = await cursor.fetchone()
                if done:
                    await conn.execute("ROLLBACK")
                    continue
                try:
                    for statement in _statements(migration.sql):
                        await conn.execute(statement)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at)"
                        " VALUES (?, ?, ?)",
                        (migration.version, migration.name, _param(datetime.now(UTC))),
                    )
                    await conn.execute("COMMIT")
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise
                applied.append(migration.name)
        return applied

    async def ping(self) -> None:
        """Run a trivial query on the reader."""
        try:
            await self._require(self._reader).execute("SELECT 1")
        except sqlite3.Error as err:
            raise StorageUnavailable(str(err)) from err


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our migrations have no ';' inside literals)."""
    lines = [ln for ln in script.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
