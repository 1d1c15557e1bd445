"""Shared fixtures: real SQLite files and a real PostgreSQL schema per test (migrated once
per session, see storage_of_kind)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, closing
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher

from config import Settings, load_settings
from crm_core.storage import Storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage
from workplace.auth import passwords

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


# The service hashes passwords with argon2-cffi's defaults (64 MiB, three passes: a few tenths
# of a second of a core each); tests set and check hundreds of passwords, so in-process they
# hash at argon2id's smallest cost. The product's own parameters are asserted in
# tests/integration/test_sign_in.py; subprocesses (`leadintake ...`) keep them.
PRODUCT_HASHER = passwords._HASHER
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """argon2id at its smallest cost for the session (same format, same checks)."""
    passwords._HASHER = CHEAP_HASHER
    yield
    passwords._HASHER = PRODUCT_HASHER


def postgres_url() -> str | None:
    """The test PostgreSQL URL; under CI its absence is a failure, not a skip."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_URL_ENV} must be set under CI")
    return url


def config_settings(
    tmp_path: Path, extra: str = "", environ: Mapping[str, str] | None = None
) -> Settings:
    """The test config plus `extra` TOML, written to `tmp_path` and loaded with `environ`
    (the SQLite database beside it)."""
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    return load_settings(path, environ=dict(environ or {}))


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Settings]:
    """Write the test config (plus extra TOML) to a file and load it."""

    def write(extra: str = "") -> Settings:
        return config_settings(tmp_path, extra)

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


# Every test on a storage needs an empty, fully migrated database; running the migrations for
# each one cost about a second on PostgreSQL (and a tenth on SQLite). A session migrates once:
# SQLite copies a migrated file, PostgreSQL hands out migrated schemas emptied after each use.
_CATALOG_FINGERPRINT = """
SELECT md5(coalesce(string_agg(replace(item, $1 || '.', ''), ',' ORDER BY item), '')) FROM (
  SELECT c.relname || ':' || c.relkind::text AS item FROM pg_class c
  WHERE c.relnamespace = $1::regnamespace
  UNION ALL
  SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
    || a.attnotnull || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relnamespace = $1::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
  WHERE connamespace = $1::regnamespace
  UNION ALL
  SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE c.relnamespace = $1::regnamespace
  UNION ALL
  SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace = $1::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT p.proname FROM pg_proc p WHERE p.pronamespace = $1::regnamespace
) catalog
"""
_TABLES = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
"""
_FOREIGN_KEYS = """
SELECT child.relname AS child, parent.relname AS parent FROM pg_constraint k
JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid
WHERE k.contype = 'f' AND k.connamespace = $1::regnamespace
"""
# Sequences a test advanced go back to their start, as in a fresh schema.
_RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
    " FROM pg_sequences WHERE schemaname = '{schema}' AND last_value IS NOT NULL"
)


class _MigratedSchemas:
    """Migrated PostgreSQL schemas of this test session: one is lent to a test at a time
    and emptied when it comes back; a schema whose structure a test changed is dropped."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.free: list[str] = []
        self.created: list[str] = []
        self.fingerprint = ""
        self.empty_sql = ""

    async def lend(self, url: str) -> str:
        """A migrated schema holding no rows (made and migrated when none is free)."""
        self.url = url
        if self.free:
            return self.free.pop()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f"CREATE SCHEMA {schema}")
            self.created.append(schema)
            store = PostgresStorage(url, min_size=1, max_size=1, schema=schema)
            await store.open()
            try:
                await store.migrate()
            finally:
                await store.close()
            fingerprint = await conn.fetchval(_CATALOG_FINGERPRINT, schema)
            if not self.empty_sql:
                self.empty_sql = await self._empty_sql(conn, schema)
            if fingerprint != (self.fingerprint or fingerprint):
                raise AssertionError("the migrations gave two schemas of different structure")
            self.fingerprint = fingerprint
        finally:
            await conn.close()
        return schema

    async def _empty_sql(self, conn: asyncpg.Connection, schema: str) -> str:
        """Statements that delete every row (children first) and restart the sequences."""
        tables = [r["relname"] for r in await conn.fetch(_TABLES, schema)]
        for table in tables:
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM {schema}."{table}")'):
                # Emptying would remove what a migration seeded: refuse loudly.
                raise AssertionError(f"a migration seeds {table}: teach tests/conftest.py")
        parents: dict[str, set[str]] = {table: set() for table in tables}
        for key in await conn.fetch(_FOREIGN_KEYS, schema):
            if key["child"] != key["parent"]:
                parents[key["parent"]].add(key["child"])  # rows of a child go first
        try:
            order = list(TopologicalSorter(parents).static_order())
            deletes = "".join(f'DELETE FROM "{table}";' for table in order)
        except CycleError:
            quoted = ", ".join(f'"{table}"' for table in tables)
            deletes = f"TRUNCATE {quoted} CASCADE;"
        return deletes + _RESTART_SEQUENCES

    async def take_back(self, schema: str) -> None:
        """Empty a lent schema for the next test; drop it when a test changed its structure."""
        assert self.url is not None
        conn = await asyncpg.connect(
            self.url, server_settings={"search_path": schema, "lock_timeout": "10s"}
        )
        try:
            if await conn.fetchval(_CATALOG_FINGERPRINT, schema) == self.fingerprint:
                async with conn.transaction():
                    await conn.execute(self.empty_sql.format(schema=schema))
                self.free.append(schema)
                return
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
            self.created.remove(schema)
        finally:
            await conn.close()

    async def drop_all(self) -> None:
        """Drop every schema of the session."""
        if self.url and self.created:
            # A connection a test leaked may still hold a lock: never wait for it at the end
            # of the session (no test timeout covers this); the schemas are left behind then.
            conn = await asyncpg.connect(self.url, server_settings={"lock_timeout": "10s"})
            try:
                for schema in self.created:
                    try:
                        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    except asyncpg.LockNotAvailableError:
                        continue
            finally:
                await conn.close()
        self.free.clear()
        self.created.clear()


_MIGRATED_SCHEMAS = _MigratedSchemas()
_SQLITE_TEMPLATE: list[Path] = []  # the migrated SQLite file of the session, once made


@asynccontextmanager
async def migrated_pg_schema() -> AsyncIterator[tuple[str, str]]:
    """A migrated PostgreSQL schema with no rows (no migration left to apply); yields
    (url, schema). Tests of the migrations themselves take an empty `pg_schema`."""
    url = postgres_url()
    if not url:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    schema = await _MIGRATED_SCHEMAS.lend(url)
    try:
        yield url, schema
    finally:
        await _MIGRATED_SCHEMAS.take_back(schema)


async def _sqlite_template() -> Path:
    """A migrated SQLite file, made once per session."""
    if not _SQLITE_TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="leadintake-template-")) / "template.sqlite3"
        store = SqliteStorage(path)
        await store.open()
        try:
            await store.migrate()
        finally:
            await store.close()
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


def _copy_sqlite(template: Path, path: Path) -> None:
    """A page-by-page copy of a SQLite database (safe whatever its journal holds)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)


@asynccontextmanager
async def storage_of_kind(kind: str, tmp_path: Path) -> AsyncIterator[Storage]:
    """An unopened storage of the given kind ('sqlite' or 'postgres') on a fresh database,
    already migrated (its `migrate()` finds nothing left to apply)."""
    if kind == "sqlite":
        path = tmp_path / "test.sqlite3"
        _copy_sqlite(await _sqlite_template(), path)
        yield SqliteStorage(path)
        return
    async with migrated_pg_schema() as (url, schema):
        yield PostgresStorage(url, min_size=1, max_size=4, schema=schema)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the session's migrated schemas and its SQLite template."""
    asyncio.run(_MIGRATED_SCHEMAS.drop_all())
    for path in _SQLITE_TEMPLATE:
        shutil.rmtree(path.parent, ignore_errors=True)
    _SQLITE_TEMPLATE.clear()


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
