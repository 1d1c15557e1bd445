"""Shared fixtures: real SQLite files and a real PostgreSQL schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from config import Settings, load_settings
from crm_core.storage import Storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage

POSTGRES_URL_ENV = "LEADINTAKE_TEST_POSTGRES_URL"
TEST_CONFIG = """
[http]
host = "127.0.0.1"
port = 8080

[database]
url = "sqlite:///{db}"

[intake]
worker_poll_seconds = 0.05
# Tests post many forms from loopback; the rate limit's own tests turn it on
# (LEADINTAKE_FORM_RATE_PER_MINUTE), the product default is on.
form_rate_per_minute = 0

[[managers]]
login = "ivanova"
name = "Анна Иванова"

[[managers]]
login = "petrov"
name = "Пётр Петров"

[[managers]]
login = "head"
name = "Ольга Руководитель"
role = "head"

[[queues]]
key = "main"
name = "Входящие"
managers = ["ivanova", "petrov"]

[[pipelines]]
key = "main"
name = "Продажи"
stages = [
  {{ key = "opening", name = "Первичный контакт" }},
  {{ key = "won", name = "Успешно", kind = "won" }},
  {{ key = "lost", name = "Провалено", kind = "lost" }},
]

[[forms]]
key = "site"
name = "Сайт"
consent_text_version = "2026-01"

[[forms]]
key = "secured"
name = "С ключом"
secret = "s3cret"
redirect_url = "https://example.ru/thanks"

[[forms]]
key = "mapped"
name = "Свои поля"
field_map = {{ "f_contact_phone" = "phone", "f_who" = "name" }}
"""


def postgres_url() -> str | None:
    """The test PostgreSQL URL; under CI its absence is a failure, not a skip."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_URL_ENV} must be set under CI")
    return url


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Settings]:
    """Write the test config (plus extra TOML) to a file and load it."""

    def write(extra: str = "") -> Settings:
        path = tmp_path / "leadintake.toml"
        path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
        return load_settings(path, environ={})

    return write


@pytest.fixture
def settings(write_config: Callable[[str], Settings]) -> Settings:
    """Settings of the test configuration on SQLite."""
    return write_config("")


@asynccontextmanager
async def pg_schema() -> AsyncIterator[tuple[str, str]]:
    """A fresh PostgreSQL schema, dropped afterwards; yields (url, schema)."""
    url = postgres_url()
    if not url:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(url)
    await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.close()
    try:
        yield url, schema
    finally:
        conn = await asyncpg.connect(url)
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()


@asynccontextmanager
async def storage_of_kind(kind: str, tmp_path: Path) -> AsyncIterator[Storage]:
    """An unopened storage of the given kind ('sqlite' or 'postgres') on a fresh database."""
    if kind == "sqlite":
        yield SqliteStorage(tmp_path / "test.sqlite3")
        return
    async with pg_schema() as (url, schema):
        yield PostgresStorage(url, min_size=1, max_size=4, schema=schema)


@pytest.fixture(params=["sqlite", "postgres"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """An opened, migrated storage of each kind."""
    async with storage_of_kind(request.param, tmp_path) as store:
        await store.open()
        await store.migrate()
        try:
            yield store
        finally:
            await store.close()
