"""Managers and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.model import Manager, NewManager
from crm_core.tokens import ApiToken, TokenOwner


class ManagerRepository(Protocol):
    """Sales staff, synchronised from configuration."""

    async def upsert(self, manager: NewManager, now: datetime) -> Manager:
        """Create or update by login."""

    async def get_by_login(self, login: str) -> Manager | None:
        """One manager by login."""

    async def list(self) -> list[Manager]:
        """Every manager, ordered by login."""


class TokenRepository(Protocol):
    """API bearer tokens, stored only as hashes."""

    async def add(
        self,
        token_hash: str,
        manager_id: int,
        now: datetime,
        expires_at: datetime | None = None,
        name: str | None = None,
    ) -> int:
        """Store a new token hash for a manager; returns the token's id."""

    async def manager_for(self, token_hash: str) -> Manager | None:
        """The active manager owning an unrevoked token (expiry is `find`'s caller's)."""

    async def find(self, token_hash: str) -> TokenOwner | None:
        """The token with this hash and its manager, whatever its state."""

    async def get(self, token_id: int) -> ApiToken | None:
        """One token by id."""

    async def list(self) -> list[ApiToken]:
        """Every token, newest first."""

    async def touch(self, token_id: int, now: datetime) -> None:
        """Record the token's last use."""

    async def revoke(self, token_id: int, now: datetime) -> ApiToken | None:
        """Revoke the token (a revoked one keeps its first revocation time); None if unknown."""
