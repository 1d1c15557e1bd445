"""API token hashes of managers in the `api_tokens` table."""

from __future__ import annotations

from datetime import datetime

from crm_core.model import Manager, Role
from crm_core.storage.session import Row, SqlSession, as_datetime, as_optional_datetime
from crm_core.tokens import ApiToken, TokenOwner


class SqlTokenRepository:
    """API token hashes in the `api_tokens` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add(
        self,
        token_hash: str,
        manager_id: int,
        now: datetime,
        expires_at: datetime | None = None,
        name: str | None = None,
    ) -> int:
        """Store a new token hash for a manager; returns the token's id."""
        row = await self._s.fetchrow(
            "INSERT INTO api_tokens (token_hash, manager_id, created_at, expires_at, name)"
            " VALUES ($1, $2, $3, $4, $5) RETURNING id",
            token_hash,
            manager_id,
            now,
            expires_at,
            name,
        )
        assert row is not None
        return int(row["id"])

    async def manager_for(self, token_hash: str) -> Manager | None:
        """The active manager owning an unrevoked token (expiry is `find`'s caller's)."""
        found = await self.find(token_hash)
        if found is None or found.token.revoked_at is not None or not found.manager.active:
            return None
        return found.manager

    async def find(self, token_hash: str) -> TokenOwner | None:
        """The token with this hash and its manager, whatever its state."""
        row = await self._s.fetchrow(
            f"SELECT {_API_KEY_COLUMNS}, m.name, m.role, m.email, m.telegram_chat_id, m.timezone,"
            " m.active FROM api_tokens t JOIN managers m ON m.id = t.manager_id"
            " WHERE t.token_hash = $1",
            token_hash,
        )
        if row is None:
            return None
        manager = Manager(
            id=row["manager_id"],
            login=row["login"],
            name=row["name"],
            role=Role(row["role"]),
            email=row["email"],
            telegram_chat_id=row["telegram_chat_id"],
            timezone=row["timezone"],
            active=bool(row["active"]),
        )
        return TokenOwner(_token(row), manager)

    async def get(self, token_id: int) -> ApiToken | None:
        """One token by id."""
        row = await self._s.fetchrow(
            f"SELECT {_API_KEY_COLUMNS} FROM api_tokens t JOIN managers m ON m.id = t.manager_id"
            " WHERE t.id = $1",
            token_id,
        )
        return _token(row) if row else None

    async def list(self) -> list[ApiToken]:
        """Every token, newest first."""
        rows = await self._s.fetch(
            f"SELECT {_API_KEY_COLUMNS} FROM api_tokens t JOIN managers m ON m.id = t.manager_id"
            " ORDER BY t.id DESC"
        )
        return [_token(r) for r in rows]

    async def touch(self, token_id: int, now: datetime) -> None:
        """Record the token's last use."""
        await self._s.execute(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", token_id, now
        )

    async def revoke(self, token_id: int, now: datetime) -> ApiToken | None:
        """Revoke the token (a revoked one keeps its first revocation time); None if unknown."""
        await self._s.execute(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            token_id,
            now,
        )
        return await self.get(token_id)


_API_KEY_COLUMNS = (
    "t.id, t.manager_id, m.login, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,"
    " t.name AS token_name"
)


def _token(r: Row) -> ApiToken:
    return ApiToken(
        id=r["id"],
        manager_id=r["manager_id"],
        login=r["login"],
        created_at=as_datetime(r["created_at"]),
        expires_at=as_optional_datetime(r["expires_at"]),
        last_used_at=as_optional_datetime(r["last_used_at"]),
        revoked_at=as_optional_datetime(r["revoked_at"]),
        name=r["token_name"],
    )
