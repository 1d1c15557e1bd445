"""Linking a manager's Telegram account to the managers' bot with a one-time deep link.

The link's token is random, shown once and stored only as its SHA-256; it opens the binding
once, before it expires. A Telegram account acts in the bot as the manager it is bound to,
with that manager's permissions, and only while the manager is active.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from crm_core.errors import NotFound
from crm_core.model import Manager
from crm_core.storage.ports import UnitOfWork

LINK_TTL = timedelta(hours=24)
# Telegram's /start payload: up to 64 characters of A-Z, a-z, 0-9, _ and -.
_TOKEN_BYTES = 24


def hash_link_token(token: str) -> str:
    """The stored form of a linking token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def deep_link(bot_username: str, token: str) -> str:
    """`https://t.me/<bot>?start=<token>`: opens the bot and sends /start with the token."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


async def issue_link_token(uow: UnitOfWork, login: str, now: datetime) -> str:
    """A new one-time linking token for an active manager (only its hash is stored)."""
    manager = await uow.managers.get_by_login(login)
    if manager is None or not manager.active:
        raise NotFound("login", f"no active manager {login!r}")
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    await uow.bot_links.add_token(hash_link_token(token), manager.id, now, now + LINK_TTL)
    return token


async def redeem_link_token(
    uow: UnitOfWork, token: str, telegram_user_id: int, chat_id: str, now: datetime
) -> Manager | None:
    """Bind the Telegram account to the token's manager; None when the token is unknown,
    used, expired or its manager inactive."""
    if not token or len(token) > 64:
        return None
    manager_id = await uow.bot_links.redeem(hash_link_token(token), now)
    if manager_id is None:
        return None
    manager = next((m for m in await uow.managers.list() if m.id == manager_id), None)
    if manager is None or not manager.active:
        return None
    await uow.bot_links.link(manager.id, telegram_user_id, chat_id, now)
    return manager


async def unlink_account(uow: UnitOfWork, telegram_user_id: int) -> bool:
    """Unbind the Telegram account; whether it was bound."""
    return await uow.bot_links.unlink_user(telegram_user_id) is not None


async def unlink_manager(uow: UnitOfWork, login: str) -> bool:
    """Unbind the manager's Telegram account (from the workplace side); whether one was."""
    manager = await uow.managers.get_by_login(login)
    if manager is None:
        raise NotFound("login", f"no manager {login!r}")
    return await uow.bot_links.unlink_manager(manager.id)


async def linked_manager(uow: UnitOfWork, telegram_user_id: int) -> Manager | None:
    """The active manager a Telegram account is bound to, if any."""
    manager = await uow.bot_links.manager_for_user(telegram_user_id)
    return manager if manager is not None and manager.active else None


async def linked_since(uow: UnitOfWork, manager_id: int) -> datetime | None:
    """When the manager linked their Telegram account to the bot; None when not linked."""
    return await uow.bot_links.linked_since(manager_id)
