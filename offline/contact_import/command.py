"""The whole `import-contacts` command: check the file, open the database (or, for a dry run,
a copy of it when the database can make one), import."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from config import Settings
from crm_core.storage import Storage
from crm_core.storage.sqlite import SqliteStorage
from offline.contact_import.importer import ImportOptions, import_contacts
from offline.contact_import.reader import open_import_file
from offline.contact_import.summary import ImportReport

Prepare = Callable[[Storage], Awaitable[object]]


async def run_import_command(
    settings: Settings,
    options: ImportOptions,
    database: Storage,
    prepare: Prepare,
    progress: TextIO = sys.stderr,
) -> ImportReport:
    """Check the file, then import into `database` (unopened; `prepare` opens and migrates)."""
    file = open_import_file(options.path, options.format)
    async with _storage_for(database, options.dry_run) as storage:
        try:
            await prepare(storage)
            return await import_contacts(
                storage,
                file,
                options,
                settings.intake.default_region,
                settings.dedupe,
                progress,
            )
        finally:
            await storage.close()


@asynccontextmanager
async def _storage_for(database: Storage, dry_run: bool) -> AsyncIterator[Storage]:
    """The database itself; for a dry run, a throwaway copy of it if it can make one."""
    if not dry_run:
        yield database
        return
    with tempfile.TemporaryDirectory(prefix="leadintake-dry-run-") as tmp:
        copy = await database.backup(Path(tmp) / "dry-run.sqlite3")
        # No copy (PostgreSQL): the dry run's transaction is rolled back on the database.
        yield database if copy is None else SqliteStorage(copy)
