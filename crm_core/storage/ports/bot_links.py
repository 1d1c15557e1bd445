"""The managers' Telegram bot: one-time linking tokens and linked Telegram accounts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from crm_core.model import Manager


class BotLinkRepository(Protocol):
    """Linking tokens (stored as hashes) and the Telegram account of each manager."""

    async def add_token(
        self, token_hash: str, manager_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Store a new one-time linking token's hash."""

    async def redeem(self, token_hash: str, now: datetime) -> int | None:
        """Use the token once: the manager id if it was unused and unexpired, else None."""

    async def link(
        self, manager_id: int, telegram_user_id: int, chat_id: str, now: datetime
    ) -> None:
        """Bind a Telegram account to a manager (replacing either side's previous binding)."""

    async def unlink_user(self, telegram_user_id: int) -> int | None:
        """Remove the Telegram account's binding; the manager id it had, if any."""

    async def unlink_manager(self, manager_id: int) -> bool:
        """Remove the manager's binding; whether there was one."""

    async def linked_chats(self) -> list[tuple[Manager, str]]:
        """Every manager with a linked Telegram account, and the chat to write to."""

    async def claim_digest(self, manager_id: int, day: date, now: datetime) -> bool:
        """Claim the morning digest of the manager's local `day`: True once per day, however
        many processes ask at the same time."""

    async def release_digest(self, manager_id: int, day: date) -> None:
        """Give a claimed day back (its digest could not be sent), so it is tried again."""

    async def manager_for_user(self, telegram_user_id: int) -> Manager | None:
        """The manager a Telegram account is bound to (whatever their state)."""

    async def linked_since(self, manager_id: int) -> datetime | None:
        """When the manager's Telegram account was linked; None when it is not."""
