"""API tokens in storage, on SQLite and PostgreSQL: expiry, last use, listing, revocation."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from crm_core.model import NewManager, Role
from crm_core.staff import sync_managers
from crm_core.storage import Storage
from crm_core.storage.migrations import load_migrations, split_statements
from crm_core.tokens import TokenState
from tests.conftest import pg_schema

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MANAGERS = [
    NewManager("ivanova", "Анна Иванова", Role.MANAGER, None, None, "Europe/Moscow", True),
    NewManager("head", "Ольга", Role.HEAD, None, None, "Europe/Moscow", True),
]


async def test_a_token_is_found_listed_touched_and_revoked(storage: Storage) -> None:
    async with storage.transaction() as uow:
        ivanova, head = await sync_managers(uow, MANAGERS, T0)
        first = await uow.tokens.add("hash-1", ivanova.id, T0, T0 + timedelta(days=180))
        second = await uow.tokens.add("hash-2", head.id, T0 + timedelta(seconds=1))
    async with storage.reader() as uow:
        found = await uow.tokens.find("hash-1")
        listed = await uow.tokens.list()
        assert await uow.tokens.find("hash-3") is None
        assert await uow.tokens.get(999) is None
    assert found is not None and found.manager.login == "ivanova"
    assert found.token.id == first and found.token.login == "ivanova"
    assert found.token.created_at == T0
    assert found.token.expires_at == T0 + timedelta(days=180)
    assert found.token.last_used_at is None and found.token.revoked_at is None
    assert [t.id for t in listed] == [second, first]
    assert listed[0].expires_at is None and listed[0].login == "head"

    async with storage.transaction() as uow:
        await uow.tokens.touch(first, T0 + timedelta(minutes=5))
        revoked = await uow.tokens.revoke(first, T0 + timedelta(hours=1))
        again = await uow.tokens.revoke(first, T0 + timedelta(hours=2))
        assert await uow.tokens.revoke(999, T0) is None
    assert revoked is not None and again is not None
    assert revoked.last_used_at == T0 + timedelta(minutes=5)
    assert revoked.revoked_at == again.revoked_at == T0 + timedelta(hours=1)
    assert revoked.state(T0 + timedelta(hours=1)) is TokenState.REVOKED
    async with storage.reader() as uow:
        assert await uow.tokens.manager_for("hash-1") is None
        assert await uow.tokens.manager_for("hash-2") is not None


def test_token_states() -> None:
    from crm_core.tokens import ApiToken

    token = ApiToken(1, 1, "ivanova", T0, T0 + timedelta(days=1), None, None)
    assert token.state(T0) is TokenState.ACTIVE
    assert token.state(T0 + timedelta(days=1)) is TokenState.EXPIRED
    assert token.needs_touch(T0)
    touched = ApiToken(1, 1, "ivanova", T0, None, T0, None)
    assert not touched.needs_touch(T0 + timedelta(seconds=59))
    assert touched.needs_touch(T0 + timedelta(seconds=60))


def test_sqlite_migration_gives_older_tokens_180_days(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    migrations = load_migrations("sqlite")
    assert migrations[8].name == "0009_token_expiry.sql"
    for migration in migrations[:8]:
        for statement in split_statements(migration.sql):
            conn.execute(statement)
    conn.execute(
        "INSERT INTO managers (login, name, role, timezone, active, created_at, updated_at)"
        " VALUES ('head', 'Ольга', 'head', 'Europe/Moscow', 1, ?, ?)",
        (T0.isoformat(), T0.isoformat()),
    )
    conn.execute(
        "INSERT INTO api_tokens (token_hash, manager_id, created_at) VALUES ('h', 1, ?)",
        ("2026-03-02T09:30:00.123456+00:00",),
    )
    for statement in split_statements(migrations[8].sql):
        conn.execute(statement)
    (expires,) = conn.execute("SELECT expires_at FROM api_tokens").fetchone()
    assert expires == "2026-08-29T09:30:00.123000+00:00"
    assert datetime.fromisoformat(expires) - timedelta(days=180) == datetime(
        2026, 3, 2, 9, 30, 0, 123000, tzinfo=UTC
    )


async def test_postgres_migration_gives_older_tokens_180_days() -> None:
    async with pg_schema() as (url, schema):
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            migrations = load_migrations("postgres")
            assert migrations[8].name == "0009_token_expiry.sql"
            for migration in migrations[:8]:
                await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO managers (login, name, role, timezone, active, created_at,"
                " updated_at) VALUES ('head', 'Ольга', 'head', 'Europe/Moscow', true, $1, $1)",
                T0,
            )
            await conn.execute(
                "INSERT INTO api_tokens (token_hash, manager_id, created_at)"
                " SELECT 'h', id, $1 FROM managers",
                T0,
            )
            await conn.execute(migrations[8].sql)
            expires = await conn.fetchval("SELECT expires_at FROM api_tokens")
        finally:
            await conn.close()
    assert expires == T0 + timedelta(days=180)
