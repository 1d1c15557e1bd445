"""Migrations on real SQLite and PostgreSQL: one schema, checksums, whole-statement splitting."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from crm_core.storage import MigrationChanged, Storage
from crm_core.storage.migrations import default_folder
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage
from tests.conftest import pg_schema

KINDS = ["sqlite", "postgres"]
# PostgreSQL's type of a column → the type SQLite's copy of it is declared with.
SQLITE_TYPE = {
    "bigint": "INTEGER",
    "integer": "INTEGER",
    "boolean": "INTEGER",
    "text": "TEXT",
    "timestamp with time zone": "TEXT",
    "json": "TEXT",
    "jsonb": "TEXT",
    "double precision": "REAL",
    "numeric": "NUMERIC",
    "bytea": "BLOB",
}
TRIGGER_MIGRATION = """-- A trigger and a ';' inside a string literal, in one migration.
CREATE TABLE notes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE note_log (note_id BIGINT NOT NULL, body TEXT NOT NULL);
-- postgres:
CREATE FUNCTION log_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO note_log (note_id, body) VALUES (NEW.id, NEW.body || '; logged');
    RETURN NEW;
END;
$$;
CREATE TRIGGER notes_log AFTER INSERT ON notes FOR EACH ROW EXECUTE FUNCTION log_note();
-- sqlite:
CREATE TRIGGER notes_log AFTER INSERT ON notes BEGIN
    INSERT INTO note_log (note_id, body) VALUES (NEW.id, NEW.body || '; logged');
END;
-- end
INSERT INTO notes (body) VALUES ('first; second');
"""


class Database:
    """A fresh database of one kind with raw SQL access beside the storage."""

    def __init__(self, kind: str, tmp_path: Path, url: str = "", schema: str = "") -> None:
        self.kind = kind
        self.path = tmp_path / "test.sqlite3"
        self.url = url
        self.schema = schema

    def storage(self, migrations: Path | None = None) -> Storage:
        """An unopened storage on this database."""
        if self.kind == "sqlite":
            return SqliteStorage(self.path, migrations=migrations)
        return PostgresStorage(
            self.url, min_size=1, max_size=2, schema=self.schema, migrations=migrations
        )

    async def fetch(self, sql: str) -> list[dict[str, Any]]:
        """Rows of a query without parameters."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path)
            conn.row_factory = sqlite3.Row
            try:
                return [dict(r) for r in conn.execute(sql)]
            finally:
                conn.close()
        pg = await asyncpg.connect(self.url, server_settings={"search_path": self.schema})
        try:
            return [dict(r) for r in await pg.fetch(sql)]
        finally:
            await pg.close()

    async def execute(self, sql: str) -> None:
        """Run one statement outside the storage."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path, isolation_level=None)
            try:
                conn.execute(sql)
            finally:
                conn.close()
            return
        pg = await asyncpg.connect(self.url, server_settings={"search_path": self.schema})
        try:
            await pg.execute(sql)
        finally:
            await pg.close()


@asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite file or PostgreSQL schema."""
    if kind == "sqlite":
        yield Database(kind, tmp_path)
        return
    async with pg_schema() as (url, schema):
        yield Database(kind, tmp_path, url, schema)


async def migrate(db: Database, migrations: Path | None = None) -> list[str]:
    """Open a storage, migrate, close; returns the migrations applied."""
    store = db.storage(migrations)
    await store.open()
    try:
        return await store.migrate()
    finally:
        await store.close()


def packaged_copy(tmp_path: Path) -> Path:
    """A folder holding a copy of the packaged migrations, to add to or edit."""
    folder = tmp_path / "migrations"
    shutil.copytree(Path(str(default_folder())), folder)
    return folder


Columns = dict[str, list[tuple[str, str, bool]]]
Keys = set[tuple[str, tuple[str, ...], bool]]


def sqlite_schema(path: Path) -> tuple[Columns, Keys]:
    """Tables with their (column, type, not null), and (table, columns, unique) of indexes."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        columns: Columns = {}
        keys: Keys = set()
        for table in tables:
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            # A primary key's columns are NOT NULL on PostgreSQL (and in SQLite's rowid).
            columns[table] = [(c[1], c[2], bool(c[3] or c[5])) for c in info]
            pk = tuple(c[1] for c in sorted(info, key=lambda c: c[5]) if c[5])
            if pk:  # a table without a primary key (a bulk-load backlog) has none on either
                keys.add((table, pk, True))
            for index in conn.execute(f"PRAGMA index_list({table})").fetchall():
                if index[3] == "pk":
                    continue
                names = [r[2] for r in conn.execute(f"PRAGMA index_info({index[1]})")]
                keys.add((table, tuple(names), bool(index[2])))
        return columns, keys
    finally:
        conn.close()


async def postgres_schema(db: Database) -> tuple[Columns, Keys]:
    """The same description of a PostgreSQL schema."""
    rows = await db.fetch(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        f" WHERE table_schema = '{db.schema}' ORDER BY table_name, ordinal_position"
    )
    columns: Columns = {}
    for r in rows:
        columns.setdefault(r["table_name"], []).append(
            (r["column_name"], SQLITE_TYPE[r["data_type"]], r["is_nullable"] == "NO")
        )
    indexes = await db.fetch(
        "SELECT t.relname AS tbl, i.indisunique AS uniq,"
        " array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)"
        "  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o) AS cols"
        " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
        " JOIN pg_namespace s ON s.oid = t.relnamespace"
        f" WHERE s.nspname = '{db.schema}'"
    )
    keys = {(r["tbl"], tuple(r["cols"]), r["uniq"]) for r in indexes}
    return columns, keys


async def test_sqlite_and_postgres_get_the_same_schema(tmp_path: Path) -> None:
    async with database("postgres", tmp_path) as pg:
        await migrate(pg)
        pg_columns, pg_keys = await postgres_schema(pg)
    lite = Database("sqlite", tmp_path)
    await migrate(lite)
    lite_columns, lite_keys = sqlite_schema(lite.path)

    assert sorted(lite_columns) == sorted(pg_columns)
    assert "leads" in lite_columns and "schema_migrations" in lite_columns
    for table, columns in pg_columns.items():
        assert lite_columns[table] == columns, table
    assert lite_keys == pg_keys
    assert ("inbox", ("channel", "external_id"), True) in lite_keys


@pytest.mark.parametrize("kind", KINDS)
async def test_a_trigger_and_a_semicolon_in_a_string_migrate(kind: str, tmp_path: Path) -> None:
    folder = packaged_copy(tmp_path)
    (folder / "9001_trigger_and_literal.sql").write_text(TRIGGER_MIGRATION, "utf-8")
    async with database(kind, tmp_path) as db:
        applied = await migrate(db, folder)
        assert applied[-1] == "9001_trigger_and_literal.sql"
        await db.execute("INSERT INTO notes (body) VALUES ('third;')")
        assert await db.fetch("SELECT body FROM notes ORDER BY id") == [
            {"body": "first; second"},
            {"body": "third;"},
        ]
        assert await db.fetch("SELECT note_id, body FROM note_log ORDER BY note_id") == [
            {"note_id": 1, "body": "first; second; logged"},
            {"note_id": 2, "body": "third;; logged"},
        ]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_failing_migration_leaves_nothing_behind(kind: str, tmp_path: Path) -> None:
    folder = packaged_copy(tmp_path)
    (folder / "9001_broken.sql").write_text(
        "CREATE TABLE half_done (id BIGINT);\nINSERT INTO no_such_table VALUES (1);\n", "utf-8"
    )
    async with database(kind, tmp_path) as db:
        with pytest.raises(Exception, match="no_such_table"):
            await migrate(db, folder)
        (folder / "9001_broken.sql").unlink()
        # SQLite commits each migration on its own, PostgreSQL all of them in one transaction.
        expected = [] if kind == "sqlite" else applied_names(folder)
        assert await migrate(db, folder) == expected
        assert await db.fetch("SELECT 1 FROM schema_migrations WHERE version = 9001") == []
        tables = await table_names(db)
        assert "half_done" not in tables


def applied_names(folder: Path) -> list[str]:
    """Every migration file's name, in order."""
    return sorted(p.name for p in folder.glob("*.sql"))


async def table_names(db: Database) -> set[str]:
    """The tables of the database."""
    if db.kind == "sqlite":
        rows = await db.fetch("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r["name"] for r in rows}
    rows = await db.fetch(
        "SELECT table_name AS name FROM information_schema.tables"
        f" WHERE table_schema = '{db.schema}'"
    )
    return {r["name"] for r in rows}


@pytest.mark.parametrize("kind", KINDS)
async def test_every_applied_migration_is_recorded_with_its_checksum(
    kind: str, tmp_path: Path
) -> None:
    folder = packaged_copy(tmp_path)
    async with database(kind, tmp_path) as db:
        applied = await migrate(db, folder)
        rows = await db.fetch("SELECT name, checksum FROM schema_migrations ORDER BY version")
    assert [r["name"] for r in rows] == applied == applied_names(folder)
    for row in rows:
        assert row["checksum"] == hashlib.sha256((folder / row["name"]).read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
async def test_an_older_database_gets_its_checksums_filled_in(kind: str, tmp_path: Path) -> None:
    async with database(kind, tmp_path) as db:
        await migrate(db)
        # As a database migrated before checksums were recorded.
        await db.execute("ALTER TABLE schema_migrations DROP COLUMN checksum")
        assert await migrate(db) == []
        rows = await db.fetch("SELECT name, checksum FROM schema_migrations ORDER BY version")
    folder = Path(str(default_folder()))
    assert rows and all(
        r["checksum"] == hashlib.sha256((folder / r["name"]).read_bytes()).hexdigest()
        for r in rows
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_a_migration_changed_after_it_ran_stops_the_start(kind: str, tmp_path: Path) -> None:
    folder = packaged_copy(tmp_path)
    async with database(kind, tmp_path) as db:
        await migrate(db, folder)
        edited = folder / "0003_contact_merges.sql"
        edited.write_text(edited.read_text("utf-8") + "-- an afterthought\n", "utf-8")
        (folder / "9001_later.sql").write_text("CREATE TABLE later (id BIGINT);\n", "utf-8")
        with pytest.raises(MigrationChanged, match=r"0003_contact_merges\.sql"):
            await migrate(db, folder)
        # Nothing newer ran either.
        assert "later" not in await table_names(db)
