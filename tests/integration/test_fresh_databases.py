"""The test fixtures' fresh databases: migrated once per session, yet every test gets one
with no rows, ids from 1 and nothing left to migrate (see tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from crm_core.model import NewManager, Role
from crm_core.staff import sync_managers
from crm_core.storage import Storage
from crm_core.storage.postgres import PostgresStorage
from tests.conftest import migrated_pg_schema, storage_of_kind

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
IVANOVA = NewManager("ivanova", "Анна Иванова", Role.MANAGER, None, None, "Europe/Moscow", True)


async def _use(storage: Storage) -> int:
    """Migrate (nothing to apply), check it is empty, add a manager and a token; the
    manager's id."""
    await storage.open()
    try:
        assert await storage.migrate() == []
        async with storage.reader() as uow:
            assert await uow.managers.list() == []
            assert await uow.tokens.list() == []
        async with storage.transaction() as uow:
            [manager] = await sync_managers(uow, [IVANOVA], T0)
            await uow.tokens.add("hash-1", manager.id, T0)
        return manager.id
    finally:
        await storage.close()


async def test_each_sqlite_database_starts_empty(tmp_path: Path) -> None:
    for n in range(2):
        async with storage_of_kind("sqlite", tmp_path / str(n)) as storage:
            assert await _use(storage) == 1


async def test_a_postgres_schema_comes_back_empty_with_ids_from_one() -> None:
    lent = []
    for _ in range(2):
        async with migrated_pg_schema() as (url, schema):
            lent.append(schema)
            storage = PostgresStorage(url, min_size=1, max_size=1, schema=schema)
            assert await _use(storage) == 1
    assert lent[0] == lent[1]  # the same schema, emptied in between


async def test_a_postgres_schema_whose_tables_a_test_changed_is_dropped() -> None:
    async with migrated_pg_schema() as (url, schema):
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            await conn.execute("ALTER TABLE managers ADD COLUMN nickname TEXT")
        finally:
            await conn.close()
    conn = await asyncpg.connect(url)
    try:
        assert not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema
        )
    finally:
        await conn.close()
    async with migrated_pg_schema() as (_, other):
        assert other != schema
