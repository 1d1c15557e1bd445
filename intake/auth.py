"""API tokens for managers: random secrets shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets

from crm_core.model import Manager
from crm_core.storage import Storage
from intake.clock import utcnow

TOKEN_PREFIX = "li_"  # noqa: S105 - a recognisable prefix, not a secret


class UnknownManager(Exception):
    """No active manager has that login."""


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(storage: Storage, login: str) -> str:
    """Issue a new token for an active manager and return it (it is not stored in clear)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with storage.transaction() as uow:
        manager = await uow.managers.get_by_login(login)
        if manager is None or not manager.active:
            raise UnknownManager(login)
        await uow.tokens.add(hash_token(token), manager.id, utcnow())
    return token


async def manager_for_token(storage: Storage, token: str) -> Manager | None:
    """The manager a bearer token belongs to, if it is valid."""
    async with storage.reader() as uow:
        return await uow.tokens.manager_for(hash_token(token))
