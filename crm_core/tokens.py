"""API bearer tokens: issued as random secrets shown once and stored only as SHA-256 hashes;
as records, when they expire, when they were last used, their state."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from crm_core.model import Manager

if TYPE_CHECKING:  # the storage ports import this module's records
    from crm_core.storage.ports import UnitOfWork

TOKEN_PREFIX = "li_"  # noqa: S105 - a recognisable prefix, not a secret
DEFAULT_EXPIRY = timedelta(days=180)

# Last use is recorded at most this often per token, so reads do not turn into writes.
TOUCH_INTERVAL = timedelta(minutes=1)


class TokenState(StrEnum):
    """Whether a token still opens the API."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored token (never its secret, only who holds it and when it is valid)."""

    id: int
    manager_id: int
    login: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    name: str | None = None  # what the head who issued it called it

    def state(self, now: datetime) -> TokenState:
        """Revoked, expired (at or after `expires_at`) or active."""
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and now >= self.expires_at:
            return TokenState.EXPIRED
        return TokenState.ACTIVE

    def needs_touch(self, now: datetime) -> bool:
        """True when the recorded last use is missing or older than TOUCH_INTERVAL."""
        return self.last_used_at is None or now - self.last_used_at >= TOUCH_INTERVAL


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """A token found by its hash, with the manager holding it."""

    token: ApiToken
    manager: Manager


class UnknownManager(Exception):
    """No active manager has that login."""


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued: its secret (shown once) and its stored record."""

    secret: str
    token: ApiToken


async def issue_token(
    uow: UnitOfWork,
    login: str,
    now: datetime,
    expires_in: timedelta = DEFAULT_EXPIRY,
    name: str | None = None,
) -> str:
    """Issue a new token for an active manager and return it (only its hash is stored)."""
    return (await issue_named_token(uow, login, now, expires_in, name)).secret


async def issue_named_token(
    uow: UnitOfWork,
    login: str,
    now: datetime,
    expires_in: timedelta = DEFAULT_EXPIRY,
    name: str | None = None,
) -> IssuedToken:
    """Issue a new token for an active manager: its secret and its record."""
    manager = await uow.managers.get_by_login(login)
    if manager is None or not manager.active:
        raise UnknownManager(login)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = await uow.tokens.add(hash_token(token), manager.id, now, now + expires_in, name)
    stored = await uow.tokens.get(token_id)
    assert stored is not None
    return IssuedToken(token, stored)


def bearer(found: TokenOwner | None, now: datetime) -> Manager | None:
    """The manager a found token lets in: the token active (not revoked, not expired) and its
    holder still active."""
    if found is None or found.token.state(now) is not TokenState.ACTIVE:
        return None
    return found.manager if found.manager.active else None
