"""Password hashes, failed sign-ins and web sessions (`manager_passwords`,
`sign_in_failures`, `web_sessions`)."""

from __future__ import annotations

from datetime import datetime

from crm_core.invites import StoredInvite
from crm_core.model import Manager
from crm_core.sign_in import FAILURE_MEMORY, SessionOwner, SignInFailures, WebSession
from crm_core.storage.managers import MANAGER_COLUMNS, manager_from_row
from crm_core.storage.session import Row, SqlSession, as_datetime, as_optional_datetime

_MANAGER_COLUMNS = ", ".join(f"m.{c}" for c in MANAGER_COLUMNS.split(", "))
_SESSION_COLUMNS = (
    "s.id AS session_id, s.manager_id, s.created_at, s.last_seen_at, s.expires_at,"
    " s.revoked_at, s.user_agent"
)


class SqlCredentialRepository:
    """Managers' password hashes and the wrong passwords counted per login."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def set_password(self, manager_id: int, password_hash: str, now: datetime) -> None:
        """Store (or replace) a manager's password hash."""
        await self._s.execute(
            "INSERT INTO manager_passwords (manager_id, password_hash, updated_at)"
            " VALUES ($1, $2, $3) ON CONFLICT (manager_id) DO UPDATE"
            " SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
            manager_id,
            password_hash,
            now,
        )

    async def for_login(self, login: str) -> tuple[Manager, str | None] | None:
        """The manager with this login and their password hash (None: none set yet)."""
        row = await self._s.fetchrow(
            f"SELECT {_MANAGER_COLUMNS}, p.password_hash FROM managers m"
            " LEFT JOIN manager_passwords p ON p.manager_id = m.id WHERE m.login = $1",
            login,
        )
        if row is None:
            return None
        return manager_from_row(row), row["password_hash"]

    async def failures(self, login: str) -> SignInFailures | None:
        """The wrong passwords counted for a login, if any."""
        row = await self._s.fetchrow(
            "SELECT login, failures, last_failed_at, next_attempt_at FROM sign_in_failures"
            " WHERE login = $1",
            login,
        )
        if row is None:
            return None
        return SignInFailures(
            login=row["login"],
            failures=int(row["failures"]),
            last_failed_at=as_datetime(row["last_failed_at"]),
            next_attempt_at=as_datetime(row["next_attempt_at"]),
        )

    async def claim_attempt(self, login: str, now: datetime, hold_until: datetime) -> bool:
        """Take the login's next attempt: False when it is not due yet (or another request
        took it meanwhile); the next one then waits until `hold_until`."""
        row = await self._s.fetchrow(
            "UPDATE sign_in_failures SET next_attempt_at = $3"
            " WHERE login = $1 AND next_attempt_at <= $2 RETURNING login",
            login,
            now,
            hold_until,
        )
        if row is not None:
            return True
        # No row at all: nothing counted, so nothing to wait for.
        return await self.failures(login) is None

    async def record_failure(self, login: str, now: datetime) -> int:
        """Count one more wrong password; returns how many there are now (stale ones,
        older than FAILURE_MEMORY, forgotten first)."""
        await self._s.execute(
            "DELETE FROM sign_in_failures WHERE last_failed_at < $1", now - FAILURE_MEMORY
        )
        row = await self._s.fetchrow(
            "INSERT INTO sign_in_failures (login, failures, last_failed_at, next_attempt_at)"
            " VALUES ($1, 1, $2, $2) ON CONFLICT (login) DO UPDATE"
            " SET failures = sign_in_failures.failures + 1,"
            " last_failed_at = excluded.last_failed_at RETURNING failures",
            login,
            now,
        )
        assert row is not None
        return int(row["failures"])

    async def set_next_attempt(self, login: str, next_attempt_at: datetime) -> None:
        """When the login may be tried again."""
        await self._s.execute(
            "UPDATE sign_in_failures SET next_attempt_at = $2 WHERE login = $1",
            login,
            next_attempt_at,
        )

    async def clear_failures(self, login: str) -> None:
        """Forget the wrong passwords of a login (after a right one)."""
        await self._s.execute("DELETE FROM sign_in_failures WHERE login = $1", login)

    async def add_invite(
        self, token_hash: str, manager_id: int, actor: str, now: datetime, expires_at: datetime
    ) -> None:
        """Store a new invite's hash; the manager's unused older invites are dropped."""
        await self._s.execute(
            "DELETE FROM manager_invites WHERE manager_id = $1 AND used_at IS NULL", manager_id
        )
        await self._s.execute(
            "INSERT INTO manager_invites (token_hash, manager_id, created_at, created_by,"
            " expires_at) VALUES ($1, $2, $3, $4, $5)",
            token_hash,
            manager_id,
            now,
            actor,
            expires_at,
        )

    async def find_invite(self, token_hash: str) -> StoredInvite | None:
        """The invite with this hash, whatever its state."""
        row = await self._s.fetchrow(
            "SELECT manager_id, created_at, created_by, expires_at, used_at FROM manager_invites"
            " WHERE token_hash = $1",
            token_hash,
        )
        if row is None:
            return None
        return StoredInvite(
            manager_id=int(row["manager_id"]),
            created_at=as_datetime(row["created_at"]),
            created_by=str(row["created_by"]),
            expires_at=as_datetime(row["expires_at"]),
            used_at=as_optional_datetime(row["used_at"]),
        )

    async def redeem_invite(self, token_hash: str, now: datetime) -> int | None:
        """Use the invite once: the manager id if it was unused and unexpired, else None."""
        row = await self._s.fetchrow(
            "UPDATE manager_invites SET used_at = $2"
            " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
            " RETURNING manager_id",
            token_hash,
            now,
        )
        return int(row["manager_id"]) if row is not None else None

    async def pending_invites(self, now: datetime) -> dict[int, datetime]:
        """Managers with an unused, unexpired invite, and when the newest expires."""
        rows = await self._s.fetch(
            "SELECT manager_id, MAX(expires_at) AS expires_at FROM manager_invites"
            " WHERE used_at IS NULL AND expires_at > $1 GROUP BY manager_id",
            now,
        )
        return {int(r["manager_id"]): as_datetime(r["expires_at"]) for r in rows}

    async def with_password(self) -> set[int]:
        """The managers who have a password set."""
        rows = await self._s.fetch("SELECT manager_id FROM manager_passwords")
        return {int(r["manager_id"]) for r in rows}


class SqlWebSessionRepository:
    """Sessions of the web workplace, stored only as hashes of their ids."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add(
        self,
        session_hash: str,
        manager_id: int,
        now: datetime,
        expires_at: datetime,
        user_agent: str | None,
    ) -> int:
        """Store a new session; returns its id."""
        row = await self._s.fetchrow(
            "INSERT INTO web_sessions (session_hash, manager_id, created_at, last_seen_at,"
            " expires_at, user_agent) VALUES ($1, $2, $3, $3, $4, $5) RETURNING id",
            session_hash,
            manager_id,
            now,
            expires_at,
            user_agent,
        )
        assert row is not None
        return int(row["id"])

    async def find(self, session_hash: str) -> SessionOwner | None:
        """The session with this hash and its manager, whatever its state."""
        row = await self._s.fetchrow(
            f"SELECT {_SESSION_COLUMNS}, {_MANAGER_COLUMNS} FROM web_sessions s"
            " JOIN managers m ON m.id = s.manager_id WHERE s.session_hash = $1",
            session_hash,
        )
        if row is None:
            return None
        return SessionOwner(_session(row), manager_from_row(row))

    async def touch(self, session_id: int, now: datetime) -> None:
        """Record the session's last use."""
        await self._s.execute(
            "UPDATE web_sessions SET last_seen_at = $2 WHERE id = $1", session_id, now
        )

    async def revoke(self, session_hash: str, now: datetime) -> None:
        """End one session (a revoked one keeps its first revocation time)."""
        await self._s.execute(
            "UPDATE web_sessions SET revoked_at = $2"
            " WHERE session_hash = $1 AND revoked_at IS NULL",
            session_hash,
            now,
        )

    async def revoke_all(self, manager_id: int, now: datetime) -> int:
        """End every live session of a manager; returns how many were ended."""
        rows = await self._s.fetch(
            "UPDATE web_sessions SET revoked_at = $2"
            " WHERE manager_id = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING id",
            manager_id,
            now,
        )
        return len(rows)

    async def list_for(self, manager_id: int) -> list[WebSession]:
        """A manager's sessions, newest first."""
        rows = await self._s.fetch(
            f"SELECT {_SESSION_COLUMNS} FROM web_sessions s WHERE s.manager_id = $1"
            " ORDER BY s.id DESC",
            manager_id,
        )
        return [_session(r) for r in rows]


def _session(r: Row) -> WebSession:
    return WebSession(
        id=r["session_id"],
        manager_id=r["manager_id"],
        created_at=as_datetime(r["created_at"]),
        last_seen_at=as_datetime(r["last_seen_at"]),
        expires_at=as_datetime(r["expires_at"]),
        revoked_at=as_optional_datetime(r["revoked_at"]),
        user_agent=r["user_agent"],
    )
