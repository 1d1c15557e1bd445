"""API tokens in the service: the token rules (crm_core.tokens) run against the storage."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_core.model import AuditEntry, Manager
from crm_core.storage import Storage
from crm_core.tokens import (
    DEFAULT_EXPIRY,
    ApiToken,
    IssuedToken,
    bearer,
    hash_token,
    issue_named_token,
    issue_token,
)
from intake.clock import utcnow


async def create_token(
    storage: Storage, login: str, *, expires_in: timedelta = DEFAULT_EXPIRY
) -> str:
    """Issue a new token for an active manager and return it (it is not stored in clear)."""
    async with storage.transaction() as uow:
        return await issue_token(uow, login, utcnow(), expires_in)


async def issue_api_token(
    storage: Storage,
    login: str,
    name: str | None,
    actor: str,
    *,
    expires_in: timedelta = DEFAULT_EXPIRY,
) -> IssuedToken:
    """Issue a named token for an active manager (a head's doing, audited): its secret, shown
    once, and its record (UnknownManager for no active manager with that login)."""
    now = utcnow()
    async with storage.transaction() as uow:
        issued = await issue_named_token(uow, login, now, expires_in, name)
        await uow.audit.add_many([_token_audit(actor, issued.token, "issue", now)])
    return issued


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


async def revoke_token(
    storage: Storage, token_id: int, actor: str | None = None
) -> ApiToken | None:
    """Revoke a token by id (audited when a head does it); None when there is no such token."""
    now = utcnow()
    async with storage.transaction() as uow:
        revoked = await uow.tokens.revoke(token_id, now)
        if revoked is not None and actor is not None:
            await uow.audit.add_many([_token_audit(actor, revoked, "revoke", now)])
        return revoked


def _token_audit(actor: str, token: ApiToken, action: str, now: datetime) -> AuditEntry:
    return AuditEntry(
        actor,
        "api_token",
        token.id,
        action,
        now,
        after={"login": token.login, "name": token.name},
    )
