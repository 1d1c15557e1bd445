"""Storage.backup: the copy a dry-run import works on, made by the storage adapter itself."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from config import Settings
from crm_core.contacts import add_contacts, prepare_contact
from crm_core.storage import Storage
from crm_core.storage.sqlite import SqliteStorage
from dedupe.profile import RawIdentity
from offline.contact_import import ImportOptions, run_import_command
from tests.conftest import storage_of_kind

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
JSONL = Path(__file__).parents[1] / "e2e" / "fixtures" / "import" / "contacts.jsonl"


async def add_ivan(storage: Storage) -> int:
    prepared = prepare_contact(RawIdentity(name="Иван Петров", phones=("89161234567",)), "RU")
    async with storage.transaction() as uow:
        [contact_id] = await add_contacts(uow, [prepared], T0)
    return contact_id


def stored_contacts(path: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT id, name, phones FROM contacts ORDER BY id").fetchall()


async def test_backup_is_a_valid_sqlite_database_with_the_contacts(
    storage: Storage, tmp_path: Path
) -> None:
    contact_id = await add_ivan(storage)
    destination = tmp_path / "copy" / "backup.sqlite3"
    destination.parent.mkdir()

    copy = await storage.backup(destination)

    if storage.dialect == "postgres":
        # Copying a PostgreSQL database is the operator's job (pg_dump).
        assert copy is None
        assert not destination.exists()
        return
    assert copy == destination
    assert stored_contacts(copy) == [(contact_id, "Иван Петров", '["+79161234567"]')]


async def test_sqlite_backup_works_on_an_unopened_storage(tmp_path: Path) -> None:
    opened = SqliteStorage(tmp_path / "db.sqlite3")
    await opened.open()
    await opened.migrate()
    contact_id = await add_ivan(opened)
    await opened.close()

    copy = await SqliteStorage(tmp_path / "db.sqlite3").backup(tmp_path / "copy.sqlite3")

    assert copy is not None
    assert [row[0] for row in stored_contacts(copy)] == [contact_id]


async def test_sqlite_backup_of_a_database_not_created_yet_creates_nothing(
    tmp_path: Path,
) -> None:
    copy = await SqliteStorage(tmp_path / "none.sqlite3").backup(tmp_path / "copy.sqlite3")

    # The copy of no database is an empty one: SQLite creates it when it is opened.
    assert copy == tmp_path / "copy.sqlite3"
    assert not (tmp_path / "none.sqlite3").exists()


async def prepare(storage: Storage) -> None:
    await storage.open()
    await storage.migrate()


class RecordingStorage(SqliteStorage):
    """A SQLite storage that remembers where it was asked to copy itself."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.backups: list[Path] = []

    async def backup(self, destination: Path) -> Path | None:
        self.backups.append(destination)
        return await super().backup(destination)


async def test_dry_run_imports_into_the_copy_the_storage_made(
    settings: Settings, tmp_path: Path
) -> None:
    database = RecordingStorage(tmp_path / "db.sqlite3")
    await database.open()
    await database.migrate()
    await add_ivan(database)
    await database.close()

    report = await run_import_command(
        settings, ImportOptions(JSONL, dry_run=True), database, prepare, io.StringIO()
    )

    assert len(database.backups) == 1
    assert report.dry_run and report.done.created > 0
    assert len(stored_contacts(tmp_path / "db.sqlite3")) == 1  # the database is untouched
    assert not database.backups[0].exists()  # the copy was thrown away


async def test_dry_run_on_postgres_rolls_back_on_the_database(
    settings: Settings, tmp_path: Path
) -> None:
    async with storage_of_kind("postgres", tmp_path) as database:
        report = await run_import_command(
            settings, ImportOptions(JSONL, dry_run=True), database, prepare, io.StringIO()
        )
        await database.open()
        try:
            async with database.reader() as uow:
                assert await uow.identity.get_contact(1) is None
        finally:
            await database.close()

    assert report.dry_run and report.done.created > 0
