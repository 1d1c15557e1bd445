"""Signing in to the web workplace: password hashes, failed attempts and sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.invites import StoredInvite
from crm_core.model import Manager
from crm_core.sign_in import SessionOwner, SignInFailures, WebSession


class CredentialRepository(Protocol):
    """Managers' password hashes and the wrong passwords counted per login."""

    async def set_password(self, manager_id: int, password_hash: str, now: datetime) -> None:
        """Store (or replace) a manager's password hash."""

    async def for_login(self, login: str) -> tuple[Manager, str | None] | None:
        """The manager with this login and their password hash (None: none set yet)."""

    async def failures(self, login: str) -> SignInFailures | None:
        """The wrong passwords counted for a login, if any."""

    async def claim_attempt(self, login: str, now: datetime, hold_until: datetime) -> bool:
        """Take the login's next attempt: False when it is not due yet (or another request
        took it meanwhile); the next one then waits until `hold_until`."""

    async def record_failure(self, login: str, now: datetime) -> int:
        """Count one more wrong password; returns how many there are now (stale ones,
        older than FAILURE_MEMORY, forgotten first)."""

    async def set_next_attempt(self, login: str, next_attempt_at: datetime) -> None:
        """When the login may be tried again."""

    async def clear_failures(self, login: str) -> None:
        """Forget the wrong passwords of a login (after a right one)."""

    async def add_invite(
        self, token_hash: str, manager_id: int, actor: str, now: datetime, expires_at: datetime
    ) -> None:
        """Store a new invite's hash; the manager's unused older invites are dropped."""

    async def find_invite(self, token_hash: str) -> StoredInvite | None:
        """The invite with this hash, whatever its state."""

    async def redeem_invite(self, token_hash: str, now: datetime) -> int | None:
        """Use the invite once: the manager id if it was unused and unexpired, else None."""

    async def pending_invites(self, now: datetime) -> dict[int, datetime]:
        """Managers with an unused, unexpired invite, and when the newest expires."""

    async def with_password(self) -> set[int]:
        """The managers who have a password set."""


class WebSessionRepository(Protocol):
    """Sessions of the web workplace, stored only as hashes of their ids."""

    async def add(
        self,
        session_hash: str,
        manager_id: int,
        now: datetime,
        expires_at: datetime,
        user_agent: str | None,
    ) -> int:
        """Store a new session; returns its id."""

    async def find(self, session_hash: str) -> SessionOwner | None:
        """The session with this hash and its manager, whatever its state."""

    async def touch(self, session_id: int, now: datetime) -> None:
        """Record the session's last use."""

    async def revoke(self, session_hash: str, now: datetime) -> None:
        """End one session (a revoked one keeps its first revocation time)."""

    async def revoke_all(self, manager_id: int, now: datetime) -> int:
        """End every live session of a manager; returns how many were ended."""

    async def list_for(self, manager_id: int) -> list[WebSession]:
        """A manager's sessions, newest first."""
