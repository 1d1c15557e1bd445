"""PostgreSQL storage via an asyncpg pool, for several service instances sharing one database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from crm_core.storage.migrations import load_migrations, verify_applied
from crm_core.storage.ports import (
    Storage,
    StorageAlreadyOpen,
    StorageRejected,
    StorageUnavailable,
    UnitOfWork,
)
from crm_core.storage.session import Row
from crm_core.storage.unit_of_work import SqlUnitOfWork

# Any constant works; it only has to be the same for every instance migrating the database.
MIGRATION_LOCK_KEY = 7_245_113_001
CONNECTION_ERRORS = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)
# The data itself was refused: a value the driver cannot encode (client side) or one the
# server will not store (SQLSTATE class 22, e.g. a NUL byte in text). Checked before
# CONNECTION_ERRORS, which the client-side DataError also belongs to.
REJECTED_DATA_ERRORS = (
    asyncpg.exceptions._base.DataError,
    asyncpg.DataError,
    asyncpg.UntranslatableCharacterError,
    UnicodeError,
    OverflowError,
)


# A bulk load's merge sorts millions of rows: minutes where a request's statement takes ms.
BULK_TIMEOUT_S = 3600.0


class PostgresSession:
    """A SqlSession over one asyncpg connection."""

    dialect = "postgres"

    def __init__(self, conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> None:
        """Run a statement."""
        await self._conn.execute(sql, *args)

    async def execute_bulk(self, sql: str) -> None:
        """Run one statement over a whole bulk load, past the pool's command timeout."""
        await self._conn.execute(sql, timeout=BULK_TIMEOUT_S)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""
        await self._conn.executemany(sql, rows)

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Append plain rows with COPY (an order of magnitude faster than executemany)."""
        if rows:
            await self._conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """All rows of a query."""
        return [dict(r) for r in await self._conn.fetch(sql, *args)]

    async def fetch_tuples(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """All rows of a query as tuples in column order."""
        return [tuple(r) for r in await self._conn.fetch(sql, *args)]

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        row = await self._conn.fetchrow(sql, *args)
        return dict(row) if row is not None else None


class PostgresStorage(Storage):
    """A pool of connections; every write is its own transaction on a pooled connection."""

    dialect = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        schema: str | None = None,
        migrations: Traversable | None = None,
    ) -> None:
        self._dsn = dsn
        self._migrations = migrations  # None: the packaged ones (tests bring their own)
        self._min = min_size
        self._max = max_size
        self._schema = schema
        self._pool: asyncpg.Pool | None = None
        # Set while the pool is being created too, so a concurrent second open is refused.
        self._opened = False

    async def open(self) -> None:
        """Create the pool; StorageAlreadyOpen when open."""
        if self._opened:
            raise StorageAlreadyOpen("PostgreSQL storage is already open")
        self._opened = True
        settings = {"search_path": self._schema} if self._schema else None
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=self._min,
                max_size=self._max,
                server_settings=settings,
                command_timeout=30,
            )
        except (*CONNECTION_ERRORS, asyncpg.PostgresError) as err:
            raise StorageUnavailable(f"cannot connect to PostgreSQL: {err}") from err
        finally:
            self._opened = self._pool is not None

    async def close(self) -> None:
        """Close the pool."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        self._opened = False

    def _require(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageUnavailable("storage is not open")
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A transaction on a pooled connection; committed on a clean exit."""
        try:
            async with self._require().acquire() as conn, conn.transaction():
                uow = SqlUnitOfWork(PostgresSession(conn))
                yield uow
                await uow.before_commit()
        except REJECTED_DATA_ERRORS as err:
            raise StorageRejected(f"PostgreSQL refused the data: {type(err).__name__}") from err
        except CONNECTION_ERRORS as err:
            raise StorageUnavailable(f"PostgreSQL connection failed: {err}") from err

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[UnitOfWork]:
        """Repositories over a pooled connection in autocommit."""
        try:
            async with self._require().acquire() as conn:
                yield SqlUnitOfWork(PostgresSession(conn))
        except CONNECTION_ERRORS as err:
            raise StorageUnavailable(f"PostgreSQL connection failed: {err}") from err

    async def migrate(self) -> list[str]:
        """Check applied migrations, then apply pending ones, under an advisory lock."""
        migrations = load_migrations("postgres", self._migrations)
        applied: list[str] = []
        async with self._require().acquire() as conn, conn.transaction():
            # Instances starting together take turns; the second finds nothing left to do.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
                " checksum TEXT)"
            )
            await conn.execute(
                "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum TEXT"
            )
            recorded = {
                r["version"]: r["checksum"]
                for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
            }
            for migration in verify_applied(recorded, migrations):
                await conn.execute(
                    "UPDATE schema_migrations SET checksum = $2 WHERE version = $1",
                    migration.version,
                    migration.checksum,
                )
            for migration in migrations:
                if migration.version in recorded:
                    continue
                # Without parameters asyncpg sends the file as one simple query: PostgreSQL
                # parses it whole, so ';' in strings, functions or triggers is its business.
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
                applied.append(migration.name)
        return applied

    async def ping(self) -> None:
        """Run a trivial query."""
        try:
            async with self._require().acquire() as conn:
                await conn.fetchval("SELECT 1")
        except (*CONNECTION_ERRORS, asyncpg.PostgresError) as err:
            raise StorageUnavailable(str(err)) from err

    async def backup(self, destination: Path) -> Path | None:
        """None: a PostgreSQL database is copied by its operator (pg_dump), not by the service."""
        return None
