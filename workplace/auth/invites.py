"""A new manager's first password: an invite link they open to set it, or one the head is
shown once. Times are passed in, so tests move the clock instead of sleeping."""

from __future__ import annotations

import secrets
from datetime import datetime

from crm_core.invites import InviteCheck, check_invite, invite_path, issue_invite, redeem_invite
from crm_core.model import AuditEntry, Manager
from crm_core.sign_in import MAX_PASSWORD_LENGTH, check_new_password
from crm_core.storage import Storage
from workplace.auth.passwords import hash_password_async
from workplace.auth.service import set_password

# 16 characters of A-Z, a-z, 0-9, '-' and '_': about 96 bits, and easy to copy by hand.
_FIRST_PASSWORD_BYTES = 12


class InviteRefused(Exception):
    """The link is unknown, used or expired, or its manager is no longer active."""


async def invite_link(
    storage: Storage, public_url: str, login: str, actor: str, now: datetime
) -> str:
    """A new one-time link (full URL) where the manager sets their own password."""
    async with storage.transaction() as uow:
        token = await issue_invite(uow, login, actor, now)
    return public_url.rstrip("/") + invite_path(token)


async def opened_invite(storage: Storage, token: str, now: datetime) -> InviteCheck:
    """What the link is worth now (opening the page uses nothing up)."""
    async with storage.reader() as uow:
        return await check_invite(uow, token, now)


async def accept_invite(storage: Storage, token: str, password: str, now: datetime) -> Manager:
    """Set the password the link's manager chose (PasswordRefused when it breaks the rules,
    InviteRefused when the link no longer works: the link is used up only by success)."""
    check_new_password(password[: MAX_PASSWORD_LENGTH + 1])
    async with storage.reader() as uow:
        if (await check_invite(uow, token, now)).manager is None:
            raise InviteRefused
    password_hash = await hash_password_async(password)
    async with storage.transaction() as uow:
        manager = await redeem_invite(uow, token, password_hash, now)
    if manager is None:
        raise InviteRefused
    return manager


async def first_password(storage: Storage, login: str, actor: str, now: datetime) -> str:
    """A random first password for the manager, set now and returned to be shown once (their
    open sessions end); audited."""
    password = secrets.token_urlsafe(_FIRST_PASSWORD_BYTES)
    manager = await set_password(storage, login, password, now)
    async with storage.transaction() as uow:
        await uow.audit.add_many([AuditEntry(actor, "manager", manager.id, "password_set", now)])
    return password
