"""Linking tokens and linked Telegram accounts (`manager_bot_links`,
`manager_telegram_accounts`)."""

from __future__ import annotations

from datetime import date, datetime

from crm_core.model import Manager
from crm_core.storage.managers import MANAGER_COLUMNS, manager_from_row
from crm_core.storage.session import SqlSession, as_datetime

_MANAGER_COLUMNS = ", ".join(f"m.{c}" for c in MANAGER_COLUMNS.split(", "))


class SqlBotLinkRepository:
    """Linking tokens (stored as hashes) and the Telegram account of each manager."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_token(
        self, token_hash: str, manager_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Store a new one-time linking token's hash."""
        await self._s.execute(
            "INSERT INTO manager_bot_links (token_hash, manager_id, created_at, expires_at)"
            " VALUES ($1, $2, $3, $4)",
            token_hash,
            manager_id,
            now,
            expires_at,
        )

    async def redeem(self, token_hash: str, now: datetime) -> int | None:
        """Use the token once: the manager id if it was unused and unexpired, else None."""
        row = await self._s.fetchrow(
            "UPDATE manager_bot_links SET used_at = $2"
            " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
            " RETURNING manager_id",
            token_hash,
            now,
        )
        return int(row["manager_id"]) if row is not None else None

    async def link(
        self, manager_id: int, telegram_user_id: int, chat_id: str, now: datetime
    ) -> None:
        """Bind a Telegram account to a manager (replacing either side's previous binding)."""
        await self._s.execute(
            "DELETE FROM manager_telegram_accounts WHERE telegram_user_id = $1 OR manager_id = $2",
            telegram_user_id,
            manager_id,
        )
        await self._s.execute(
            "INSERT INTO manager_telegram_accounts (manager_id, telegram_user_id, chat_id,"
            " linked_at) VALUES ($1, $2, $3, $4)",
            manager_id,
            telegram_user_id,
            chat_id,
            now,
        )

    async def unlink_user(self, telegram_user_id: int) -> int | None:
        """Remove the Telegram account's binding; the manager id it had, if any."""
        row = await self._s.fetchrow(
            "DELETE FROM manager_telegram_accounts WHERE telegram_user_id = $1"
            " RETURNING manager_id",
            telegram_user_id,
        )
        return int(row["manager_id"]) if row is not None else None

    async def unlink_manager(self, manager_id: int) -> bool:
        """Remove the manager's binding; whether there was one."""
        row = await self._s.fetchrow(
            "DELETE FROM manager_telegram_accounts WHERE manager_id = $1 RETURNING manager_id",
            manager_id,
        )
        return row is not None

    async def linked_chats(self) -> list[tuple[Manager, str]]:
        """Every manager with a linked Telegram account, and the chat to write to."""
        rows = await self._s.fetch(
            f"SELECT {_MANAGER_COLUMNS}, a.chat_id AS linked_chat FROM manager_telegram_accounts a"
            " JOIN managers m ON m.id = a.manager_id ORDER BY m.id"
        )
        return [(manager_from_row(r), str(r["linked_chat"])) for r in rows]

    async def claim_digest(self, manager_id: int, day: date, now: datetime) -> bool:
        """Claim the morning digest of the manager's local `day`: True once per day, however
        many processes ask at the same time (the row moves forward only once)."""
        row = await self._s.fetchrow(
            "INSERT INTO manager_bot_digests (manager_id, last_day, claimed_at)"
            " VALUES ($1, $2, $3) ON CONFLICT (manager_id) DO UPDATE"
            " SET last_day = excluded.last_day, claimed_at = excluded.claimed_at"
            " WHERE manager_bot_digests.last_day < excluded.last_day RETURNING manager_id",
            manager_id,
            day.isoformat(),
            now,
        )
        return row is not None

    async def release_digest(self, manager_id: int, day: date) -> None:
        """Give a claimed day back (its digest could not be sent), so it is tried again."""
        await self._s.execute(
            "DELETE FROM manager_bot_digests WHERE manager_id = $1 AND last_day = $2",
            manager_id,
            day.isoformat(),
        )

    async def manager_for_user(self, telegram_user_id: int) -> Manager | None:
        """The manager a Telegram account is bound to (whatever their state)."""
        row = await self._s.fetchrow(
            f"SELECT {_MANAGER_COLUMNS} FROM manager_telegram_accounts a"
            " JOIN managers m ON m.id = a.manager_id WHERE a.telegram_user_id = $1",
            telegram_user_id,
        )
        return manager_from_row(row) if row is not None else None

    async def linked_since(self, manager_id: int) -> datetime | None:
        """When the manager's Telegram account was linked; None when it is not."""
        row = await self._s.fetchrow(
            "SELECT linked_at FROM manager_telegram_accounts WHERE manager_id = $1", manager_id
        )
        return as_datetime(row["linked_at"]) if row is not None else None
