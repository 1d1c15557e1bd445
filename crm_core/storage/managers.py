"""Managers in the `managers` table."""

from __future__ import annotations

from datetime import datetime

from crm_core.model import Manager, NewManager, Role
from crm_core.storage.session import Row, SqlSession

MANAGER_COLUMNS = "id, login, name, role, email, telegram_chat_id, timezone, active"
# As read for work: a chat linked through the managers' bot replaces the configured one.
_LINKED_COLUMNS = ", ".join(
    "COALESCE(a.chat_id, m.telegram_chat_id) AS telegram_chat_id"
    if c == "telegram_chat_id"
    else f"m.{c}"
    for c in MANAGER_COLUMNS.split(", ")
)
_LINKED_FROM = "managers m LEFT JOIN manager_telegram_accounts a ON a.manager_id = m.id"


class SqlManagerRepository:
    """Managers in the `managers` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def upsert(self, manager: NewManager, now: datetime) -> Manager:
        """Create or update by login."""
        row = await self._s.fetchrow(
            "INSERT INTO managers (login, name, role, email, telegram_chat_id, timezone, active,"
            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
            " ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role,"
            " email = excluded.email, telegram_chat_id = excluded.telegram_chat_id,"
            " timezone = excluded.timezone, active = excluded.active,"
            f" updated_at = excluded.updated_at RETURNING {MANAGER_COLUMNS}",
            manager.login,
            manager.name,
            manager.role.value,
            manager.email,
            manager.telegram_chat_id,
            manager.timezone,
            manager.active,
            now,
        )
        assert row is not None
        return manager_from_row(row)

    async def get_by_login(self, login: str) -> Manager | None:
        """One manager by login."""
        row = await self._s.fetchrow(
            f"SELECT {_LINKED_COLUMNS} FROM {_LINKED_FROM} WHERE m.login = $1", login
        )
        return manager_from_row(row) if row else None

    async def list(self) -> list[Manager]:
        """Every manager, ordered by login."""
        rows = await self._s.fetch(
            f"SELECT {_LINKED_COLUMNS} FROM {_LINKED_FROM} ORDER BY m.login"
        )
        return [manager_from_row(r) for r in rows]


def manager_from_row(r: Row) -> Manager:
    """A manager from a row holding MANAGER_COLUMNS."""
    return Manager(
        id=r["id"],
        login=r["login"],
        name=r["name"],
        role=Role(r["role"]),
        email=r["email"],
        telegram_chat_id=r["telegram_chat_id"],
        timezone=r["timezone"],
        active=bool(r["active"]),
    )
