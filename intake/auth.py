"""API tokens for managers: random secrets shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from crm_core.model import Manager
from crm_core.storage import Storage
from crm_core.tokens import ApiToken, TokenState
from intake.clock import utcnow

TOKEN_PREFIX = "li_"  # noqa: S105 - a recognisable prefix, not a secret
DEFAULT_EXPIRY = timedelta(days=180)


class UnknownManager(Exception):
    """No active manager has that login."""


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(
    storage: Storage, login: str, *, expires_in: timedelta = DEFAULT_EXPIRY
) -> str:
    """Issue a new token for an active manager and return it (it is not stored in clear)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    async with storage.transaction() as uow:
        manager = await uow.managers.get_by_login(login)
        if manager is None or not manager.active:
            raise UnknownManager(login)
        await uow.tokens.add(hash_token(token), manager.id, now, now + expires_in)
    return token


async def manager_for_token(
    storage: Storage, token: str, now: datetime | None = None
) -> Manager | None:
    """The manager a bearer token belongs to, if it is active (not revoked, not expired) and
    its holder still active; records its use at most once a minute."""
    now = now or utcnow()
    async with storage.reader() as uow:
        found = await uow.tokens.find(hash_token(token))
    if found is None or found.token.state(now) is not TokenState.ACTIVE:
        return None
    if not found.manager.active:
        return None
    if found.token.needs_touch(now):
        async with storage.transaction() as uow:
            await uow.tokens.touch(found.token.id, now)
    return found.manager


async def list_tokens(storage: Storage) -> list[ApiToken]:
    """Every token, newest first."""
    async with storage.reader() as uow:
        return await uow.tokens.list()


async def revoke_token(storage: Storage, token_id: int) -> ApiToken | None:
    """Revoke a token by id; None when there is no such token."""
    async with storage.transaction() as uow:
        return await uow.tokens.revoke(token_id, utcnow())
