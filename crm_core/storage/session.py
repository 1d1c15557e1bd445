"""The small SQL surface the repositories use, implemented once per driver."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

Row = Mapping[str, Any]


class SqlSession(Protocol):
    """A connection (inside a transaction or not) speaking `$n`-placeholder SQL."""

    dialect: str

    async def execute(self, sql: str, *args: Any) -> None:
        """Run a statement."""

    async def execute_bulk(self, sql: str) -> None:
        """Run one statement over a whole bulk load, which may take minutes (no timeout)."""

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Append plain rows to a table (COPY on PostgreSQL); no conflict handling."""

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """All rows of a query."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""

    async def fetch_tuples(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """All rows of a query as tuples in column order: for queries returning thousands of
        rows, where building a dict per row would cost more than the query."""


def as_datetime(value: Any) -> datetime:
    """A stored timestamp (datetime from PostgreSQL, ISO text from SQLite) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_optional_datetime(value: Any) -> datetime | None:
    """Like as_datetime, passing None through."""
    return None if value is None else as_datetime(value)


def to_json(value: Any) -> str:
    """Serialize a JSON column value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def from_json(value: Any) -> Any:
    """Deserialize a JSON column value (text on both drivers)."""
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str | bytes) else value


class Conditions:
    """WHERE clauses with `$n` placeholders numbered as they are added."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, template: str, value: Any) -> None:
        """Add `template` (with `{}` for the placeholder) unless the value is None."""
        if value is None:
            return
        self.args.append(value)
        self.parts.append(template.format(f"${len(self.args)}"))

    def where(self) -> str:
        """The WHERE clause, or nothing."""
        return f" WHERE {' AND '.join(self.parts)}" if self.parts else ""
