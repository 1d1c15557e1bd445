"""Migration files: statement splitting, dialect blocks and the PostgreSQL → SQLite map."""

from __future__ import annotations

import pytest

from crm_core.storage.migrations import checksum, dialect_sql, load_migrations, split_statements

TRIGGER = """-- A note's log.
CREATE TRIGGER notes_log AFTER INSERT ON notes BEGIN
    INSERT INTO note_log (body) VALUES (NEW.body || '; logged');
    UPDATE notes SET seen = 1 WHERE id = NEW.id;
END;
INSERT INTO notes (body) VALUES ('a; b'); INSERT INTO "odd;name" (x) VALUES (1);
-- trailing; comment
"""


def test_statements_end_only_at_a_complete_semicolon() -> None:
    statements = split_statements(TRIGGER)
    assert len(statements) == 3
    assert statements[0].startswith("-- A note's log.\nCREATE TRIGGER")
    assert statements[0].endswith("END;")
    assert statements[1] == "INSERT INTO notes (body) VALUES ('a; b');"
    assert statements[2] == 'INSERT INTO "odd;name" (x) VALUES (1);'


def test_an_unfinished_statement_is_an_error() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE a (x INTEGER);\nCREATE TABLE b (x INTEGER)")


def test_sqlite_text_is_mapped_from_postgres() -> None:
    source = """CREATE TABLE t (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ref BIGINT REFERENCES t (id),
    on_duty BOOLEAN NOT NULL DEFAULT TRUE,
    off BOOLEAN NOT NULL DEFAULT FALSE,
    at TIMESTAMPTZ NOT NULL,
    doc JSONB NOT NULL DEFAULT '{}',
    raw JSON,
    score DOUBLE PRECISION,
    amount NUMERIC(16, 2),
    key TEXT COLLATE "C" NOT NULL
);
CREATE TABLE pairs (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    PRIMARY KEY (a, b)
);
"""
    assert dialect_sql(source, "postgres") == source
    assert (
        dialect_sql(source, "sqlite")
        == """CREATE TABLE t (
    id INTEGER PRIMARY KEY,
    ref INTEGER REFERENCES t (id),
    on_duty INTEGER NOT NULL DEFAULT 1,
    off INTEGER NOT NULL DEFAULT 0,
    at TEXT NOT NULL,
    doc TEXT NOT NULL DEFAULT '{}',
    raw TEXT,
    score REAL,
    amount NUMERIC,
    key TEXT NOT NULL
);
CREATE TABLE pairs (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
"""
    )


def test_dialect_blocks_go_to_their_dialect_only() -> None:
    source = """CREATE INDEX a ON t (x);
-- postgres:
UPDATE t SET at = at + INTERVAL '1 day';
-- sqlite:
UPDATE t SET at = strftime('%Y', at, '+1 day') || 'TIMESTAMPTZ';
-- end
CREATE INDEX b ON t (y);
"""
    assert dialect_sql(source, "postgres").splitlines() == [
        "CREATE INDEX a ON t (x);",
        "UPDATE t SET at = at + INTERVAL '1 day';",
        "CREATE INDEX b ON t (y);",
    ]
    # A sqlite block is taken as written: its text is not mapped.
    assert dialect_sql(source, "sqlite").splitlines() == [
        "CREATE INDEX a ON t (x);",
        "UPDATE t SET at = strftime('%Y', at, '+1 day') || 'TIMESTAMPTZ';",
        "CREATE INDEX b ON t (y);",
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE t SET at = at + INTERVAL '1 day';",
        "ALTER TABLE t ADD COLUMN n BIGSERIAL;",
        "SELECT '{}'::jsonb;",
        "ALTER TABLE t ADD COLUMN at TIMESTAMPTZ DEFAULT now();",
    ],
)
def test_postgres_only_syntax_must_get_a_sqlite_block(statement: str) -> None:
    with pytest.raises(ValueError, match=r"0042_x\.sql.*-- sqlite:"):
        dialect_sql(statement, "sqlite", "0042_x.sql")


def test_unclosed_or_stray_blocks_are_errors() -> None:
    with pytest.raises(ValueError, match="not closed"):
        dialect_sql("-- sqlite:\nSELECT 1;\n", "sqlite")
    with pytest.raises(ValueError, match="outside a block"):
        dialect_sql("SELECT 1;\n-- end\n", "sqlite")


def test_the_packaged_migrations_load_in_both_dialects() -> None:
    postgres, sqlite = load_migrations("postgres"), load_migrations("sqlite")
    assert [m.name for m in postgres] == [m.name for m in sqlite]
    assert [m.version for m in sqlite] == list(range(1, len(sqlite) + 1))
    # One source, one checksum, whatever the dialect.
    assert [m.checksum for m in postgres] == [m.checksum for m in sqlite]
    assert checksum("a\r\nb\n") == checksum("a\nb\n")
