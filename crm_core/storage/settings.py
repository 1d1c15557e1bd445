"""The sales setup in `sales_settings`, its seeds and its global version."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crm_core.storage.ports.settings import StoredSetting
from crm_core.storage.session import Row, SqlSession, as_datetime, from_json, to_json

_COLUMNS = "kind, key, version, data, updated_at, updated_by"


class SqlSettingsRepository:
    """Versioned TOML-shaped documents per kind and key."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def version(self) -> int:
        """The global settings version (bumped by every change)."""
        row = await self._s.fetchrow("SELECT version FROM sales_settings_state WHERE id = 1")
        return int(row["version"]) if row else 0

    async def bump(self) -> int:
        """Increase the global version; returns the new one."""
        row = await self._s.fetchrow(
            "INSERT INTO sales_settings_state (id, version) VALUES (1, 1) ON CONFLICT (id)"
            " DO UPDATE SET version = sales_settings_state.version + 1 RETURNING version"
        )
        assert row is not None
        return int(row["version"])

    async def seeded(self, kind: str) -> bool:
        """True once this kind was seeded from the file."""
        row = await self._s.fetchrow("SELECT 1 FROM sales_settings_seeds WHERE kind = $1", kind)
        return row is not None

    async def mark_seeded(self, kind: str, source: str, now: datetime) -> None:
        """Record that this kind was seeded from `source` (a second seed changes nothing)."""
        await self._s.execute(
            "INSERT INTO sales_settings_seeds (kind, seeded_at, source) VALUES ($1, $2, $3)"
            " ON CONFLICT (kind) DO NOTHING",
            kind,
            now,
            source,
        )

    async def list(self, kind: str) -> list[StoredSetting]:
        """Every object of a kind in its order (position, then key)."""
        rows = await self._s.fetch(
            f"SELECT {_COLUMNS} FROM sales_settings WHERE kind = $1 ORDER BY position, key", kind
        )
        return [_stored(r) for r in rows]

    async def get(self, kind: str, key: str, *, for_update: bool = False) -> StoredSetting | None:
        """One object by key (locked for the transaction on PostgreSQL with `for_update`)."""
        lock = " FOR UPDATE" if for_update and self._s.dialect == "postgres" else ""
        row = await self._s.fetchrow(
            f"SELECT {_COLUMNS} FROM sales_settings WHERE kind = $1 AND key = $2{lock}", kind, key
        )
        return _stored(row) if row else None

    async def add(
        self, kind: str, key: str, data: Mapping[str, Any], actor: str, now: datetime
    ) -> StoredSetting | None:
        """Store a new object at version 1, last of its kind; None when the key is taken."""
        row = await self._s.fetchrow(
            "INSERT INTO sales_settings"
            " (kind, key, version, data, updated_at, updated_by, position)"
            " VALUES ($1, $2, 1, $3, $4, $5, (SELECT COALESCE(MAX(position), -1) + 1"
            " FROM sales_settings WHERE kind = $1)) ON CONFLICT (kind, key) DO NOTHING"
            f" RETURNING {_COLUMNS}",
            kind,
            key,
            to_json(dict(data)),
            now,
            actor,
        )
        return _stored(row) if row else None

    async def replace(
        self,
        kind: str,
        key: str,
        data: Mapping[str, Any],
        expected_version: int,
        actor: str,
        now: datetime,
    ) -> StoredSetting | None:
        """Replace an object if it is still at `expected_version`; None when it is not."""
        row = await self._s.fetchrow(
            "UPDATE sales_settings SET data = $1, version = version + 1, updated_at = $2,"
            " updated_by = $3 WHERE kind = $4 AND key = $5 AND version = $6"
            f" RETURNING {_COLUMNS}",
            to_json(dict(data)),
            now,
            actor,
            kind,
            key,
            expected_version,
        )
        return _stored(row) if row else None

    async def remove(self, kind: str, key: str, expected_version: int) -> bool:
        """Delete an object if it is still at `expected_version`; whether it was deleted."""
        row = await self._s.fetchrow(
            "DELETE FROM sales_settings WHERE kind = $1 AND key = $2 AND version = $3"
            " RETURNING key",
            kind,
            key,
            expected_version,
        )
        return row is not None


def _stored(r: Row) -> StoredSetting:
    return StoredSetting(
        kind=r["kind"],
        key=r["key"],
        version=int(r["version"]),
        data=from_json(r["data"]),
        updated_at=as_datetime(r["updated_at"]),
        updated_by=r["updated_by"],
    )
