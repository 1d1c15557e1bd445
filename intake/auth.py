"""API tokens in the service: the token rules (crm_core.tokens) run against the storage."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_core.model import Manager
from crm_core.storage import Storage
from crm_core.tokens import DEFAULT_EXPIRY, ApiToken, bearer, hash_token, issue_token
from intake.clock import utcnow


async def create_token(
    storage: Storage, login: str, *, expires_in: timedelta = DEFAULT_EXPIRY
) -> str:
    """Issue a new token for an active manager and return it (it is not stored in clear)."""
    async with storage.transaction() as uow:
        return await issue_token(uow, login, utcnow(), expires_in)


async def manager_for_token(
    storage: Storage, token: str, now: datetime | None = None
) -> Manager | None:
    """The manager a bearer token lets in; records the token's use at most once a minute."""
    now = now or utcnow()
    # Read first, write only when the use is due to be recorded: most requests never write.
    async with storage.reader() as uow:
        found = await uow.tokens.find(hash_token(token))
    manager = bearer(found, now)
    if manager is not None and found is not None and found.token.needs_touch(now):
        async with storage.transaction() as uow:
            await uow.tokens.touch(found.token.id, now)
    return manager


async def list_tokens(storage: Storage) -> list[ApiToken]:
    """Every token, newest first."""
    async with storage.reader() as uow:
        return await uow.tokens.list()


async def revoke_token(storage: Storage, token_id: int) -> ApiToken | None:
    """Revoke a token by id; None when there is no such token."""
    async with storage.transaction() as uow:
        return await uow.tokens.revoke(token_id, utcnow())
