"""Inviting a new manager: a one-time link where they set their own password.

The link's token is random (256 bits), shown once to the head who invites and stored only as
its SHA-256, so a copy of the database opens nothing. It sets a password once, before it
expires, and only for a manager who is still active; a newer invite of the same manager
replaces an unused older one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from crm_core.errors import NotFound
from crm_core.model import AuditEntry, Manager

if TYPE_CHECKING:  # the storage ports import this module's records
    from crm_core.storage.ports import UnitOfWork

INVITE_TTL = timedelta(days=3)
MAX_TOKEN_LENGTH = 100
_TOKEN_BYTES = 32


class InviteState(StrEnum):
    """Whether an invite link still sets a password."""

    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # no such link, or its manager is no longer active


@dataclass(frozen=True, slots=True)
class StoredInvite:
    """An invite as stored (never its token): whose it is and when it ends."""

    manager_id: int
    created_at: datetime
    created_by: str
    expires_at: datetime
    used_at: datetime | None

    def state(self, now: datetime) -> InviteState:
        """Used, expired (at or after `expires_at`) or valid."""
        if self.used_at is not None:
            return InviteState.USED
        if now >= self.expires_at:
            return InviteState.EXPIRED
        return InviteState.VALID


@dataclass(frozen=True, slots=True)
class InviteCheck:
    """What an opened link finds: its state and, while valid, the manager it is for."""

    state: InviteState
    manager: Manager | None = None


def hash_invite_token(token: str) -> str:
    """The stored form of an invite token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_path(token: str) -> str:
    """The workplace path the link opens."""
    return f"/invite/{token}"


async def issue_invite(uow: UnitOfWork, login: str, actor: str, now: datetime) -> str:
    """A new invite token for an active manager (unused older ones stop working); audited."""
    manager = await uow.managers.get_by_login(login)
    if manager is None or not manager.active:
        raise NotFound("login", f"no active manager {login!r}")
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    expires_at = now + INVITE_TTL
    await uow.credentials.add_invite(hash_invite_token(token), manager.id, actor, now, expires_at)
    await uow.audit.add_many(
        [
            AuditEntry(
                actor,
                "manager",
                manager.id,
                "invite",
                now,
                after={"expires_at": expires_at.isoformat()},
            )
        ]
    )
    return token


async def check_invite(uow: UnitOfWork, token: str, now: datetime) -> InviteCheck:
    """What a link is worth now (reading only: opening the page uses nothing up)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return InviteCheck(InviteState.UNKNOWN)
    found = await uow.credentials.find_invite(hash_invite_token(token))
    if found is None:
        return InviteCheck(InviteState.UNKNOWN)
    manager = await _active_manager(uow, found.manager_id)
    if manager is None:
        return InviteCheck(InviteState.UNKNOWN)
    state = found.state(now)
    return InviteCheck(state, manager if state is InviteState.VALID else None)


async def redeem_invite(
    uow: UnitOfWork, token: str, password_hash: str, now: datetime
) -> Manager | None:
    """Use the link once: set the manager's password (their open sessions end, their wrong
    passwords are forgotten); None when the link is unknown, used, expired or its manager
    inactive (nothing changes then)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    manager_id = await uow.credentials.redeem_invite(hash_invite_token(token), now)
    if manager_id is None:
        return None
    manager = await _active_manager(uow, manager_id)
    if manager is None:
        return None
    await uow.credentials.set_password(manager.id, password_hash, now)
    await uow.web_sessions.revoke_all(manager.id, now)
    await uow.credentials.clear_failures(manager.login)
    await uow.audit.add_many(
        [AuditEntry(manager.login, "manager", manager.id, "invite_accepted", now)]
    )
    return manager


async def _active_manager(uow: UnitOfWork, manager_id: int) -> Manager | None:
    manager = next((m for m in await uow.managers.list() if m.id == manager_id), None)
    return manager if manager is not None and manager.active else None
