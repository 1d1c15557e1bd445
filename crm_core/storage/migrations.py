"""Versioned SQL migrations, written once: NNNN_name.sql in PostgreSQL's dialect, applied once.

SQLite's text is derived from the same file with the explicit map below. What the map cannot
express goes into blocks of a dialect of its own, each line alone on its line:

    -- postgres:
    ALTER TABLE t ADD COLUMN a TIMESTAMPTZ, ADD COLUMN b TIMESTAMPTZ;
    -- sqlite:
    ALTER TABLE t ADD COLUMN a TEXT;
    ALTER TABLE t ADD COLUMN b TEXT;
    -- end

A `-- sqlite:` block is taken as written (never mapped). Every applied migration is recorded
with the sha256 of its file, so a file edited after it ran is caught at the next start.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from crm_core.storage.ports.errors import MigrationChanged

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
DIALECTS = ("postgres", "sqlite")
BLOCK_START = re.compile(r"^-- (postgres|sqlite):$")
BLOCK_END = "-- end"

# PostgreSQL → SQLite, applied in order to the shared text (not to `-- sqlite:` blocks).
SQLITE_MAP: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # INTEGER PRIMARY KEY is the rowid: SQLite's own increasing id.
        (r"\bBIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY\b", "INTEGER PRIMARY KEY"),
        (r"\bBIGINT\b", "INTEGER"),
        (r"\bBOOLEAN\b", "INTEGER"),
        (r"\bDEFAULT TRUE\b", "DEFAULT 1"),
        (r"\bDEFAULT FALSE\b", "DEFAULT 0"),
        # Times are stored as fixed-width UTC ISO text (see sqlite.py), JSON as its text.
        (r"\bTIMESTAMPTZ\b", "TEXT"),
        (r"\bJSONB?\b", "TEXT"),
        (r"\bDOUBLE PRECISION\b", "REAL"),
        (r"\bNUMERIC\(\d+,\s*\d+\)", "NUMERIC"),
        # SQLite's default BINARY collation already compares bytes, as "C" does.
        (r' COLLATE "C"', ""),
    )
)
# A table keyed by a PRIMARY KEY (...) constraint rather than an id column is clustered on
# that key in SQLite (WITHOUT ROWID), which also makes its key columns NOT NULL as on PostgreSQL.
TABLE_KEY_CONSTRAINT = re.compile(r"^CREATE TABLE\b.*,\s*PRIMARY KEY\s*\(", re.DOTALL)
# PostgreSQL-only syntax that must not reach SQLite: such a statement needs a `-- sqlite:` block.
# (Keywords are matched upper-case as our migrations write them, so a column may be `identity`.)
UNMAPPED = re.compile(r"\b(?:IDENTITY|TIMESTAMPTZ|JSONB|INTERVAL|BIGSERIAL|SERIAL)\b|\bnow\(\)|::")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file, as the SQL of one dialect."""

    version: int
    name: str
    sql: str
    checksum: str


def default_folder() -> Traversable:
    """The migrations shipped with the package."""
    return resources.files("crm_core.storage").joinpath("migrations")


def load_migrations(dialect: str, folder: Traversable | None = None) -> list[Migration]:
    """All migrations in a dialect ('sqlite' or 'postgres'), ordered by version."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect: {dialect!r}")
    found = []
    for entry in (folder or default_folder()).iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            source = entry.read_bytes().decode("utf-8")
            found.append(
                Migration(
                    int(match.group(1)),
                    entry.name,
                    dialect_sql(source, dialect, entry.name),
                    checksum(source),
                )
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def checksum(source: str) -> str:
    """The sha256 of a migration's source (line endings aside, so a checkout's do not matter)."""
    return hashlib.sha256(source.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def verify_applied(applied: dict[int, str | None], migrations: list[Migration]) -> list[Migration]:
    """Check applied migrations (version → recorded checksum) against the files.

    Raises MigrationChanged for a file edited since it ran; returns the applied migrations
    recorded without a checksum (before checksums existed), whose checksum is to be filled.
    """
    unrecorded = []
    for migration in migrations:
        if migration.version not in applied:
            continue
        recorded = applied[migration.version]
        if recorded is None:
            unrecorded.append(migration)
        elif recorded != migration.checksum:
            raise MigrationChanged(
                f"migration {migration.name} was changed after it was applied to this database"
                f" (recorded sha256 {recorded}, the file's is {migration.checksum}); restore it"
                " and put the change in a new migration"
            )
    return unrecorded


def dialect_sql(source: str, dialect: str, name: str = "migration") -> str:
    """A migration's text for one dialect: its blocks chosen, SQLite's shared text mapped."""
    parts: list[str] = []
    shared: list[str] = []
    block: str | None = None

    def flush_shared() -> None:
        if shared:
            text = "\n".join(shared)
            parts.append(_to_sqlite(text, name) if dialect == "sqlite" else text)
            shared.clear()

    for number, line in enumerate(source.replace("\r\n", "\n").splitlines(), 1):
        start = BLOCK_START.match(line.rstrip())
        if start:
            flush_shared()
            block = start.group(1)
        elif line.rstrip() == BLOCK_END:
            if block is None:
                raise ValueError(f"{name}:{number}: {BLOCK_END} outside a block")
            block = None
        elif block is None:
            shared.append(line)
        elif block == dialect:
            parts.append(line)
    if block is not None:
        raise ValueError(f"{name}: the -- {block}: block is not closed with {BLOCK_END}")
    flush_shared()
    return "\n".join(parts) + "\n"


def _to_sqlite(text: str, name: str) -> str:
    statements = []
    for statement in split_statements(text):
        for pattern, replacement in SQLITE_MAP:
            statement = pattern.sub(replacement, statement)
        code = _without_comments(statement)
        if TABLE_KEY_CONSTRAINT.match(code):
            statement = re.sub(r"\)\s*;\s*$", ") WITHOUT ROWID;", statement)
        if UNMAPPED.search(_without_comments(statement)):
            raise ValueError(
                f"{name}: no SQLite form for {code.splitlines()[0]!r}...;"
                " write one in a '-- sqlite:' block"
            )
        statements.append(statement)
    return "\n".join(statements)


def split_statements(script: str) -> list[str]:
    """The statements of a SQL script, each ending at a ';' SQLite calls complete.

    A ';' inside a string, a quoted name, a comment or a trigger's BEGIN...END does not end
    one. Comment lines before a statement stay with it; a script's trailing comments are dropped.
    """
    statements = []
    pending = ""
    pieces = script.split(";")
    for piece in pieces[:-1]:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _without_comments(pending) != ";":
                statements.append(pending.strip())
            pending = ""
    rest = pending + pieces[-1]
    if _without_comments(rest):
        raise ValueError(f"incomplete SQL statement at the end: {rest.strip()[:80]!r}")
    return statements


def _without_comments(sql: str) -> str:
    """The text of whole-line '--' comments removed, stripped (enough for our checks)."""
    return "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")).strip()
