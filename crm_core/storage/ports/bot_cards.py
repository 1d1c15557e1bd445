"""The managers' bot: the new-lead cards sent to managers' chats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class BotCard:
    """A new-lead card as sent: where it is (chat, message) and its text (HTML)."""

    lead_id: int
    manager_id: int
    chat_id: str
    message_id: int
    text: str
    sent_at: datetime
    closed_at: datetime | None = None


class BotCardRepository(Protocol):
    """The card sent to each manager about each lead (a newer one replaces the older)."""

    async def remember(self, card: BotCard) -> None:
        """Store a sent card, replacing the manager's previous card about the lead (the same
        card stored again stays closed if it was)."""

    async def get(self, lead_id: int, manager_id: int) -> BotCard | None:
        """The manager's card about the lead, open or closed."""

    async def by_message(self, chat_id: str, message_id: int) -> BotCard | None:
        """The card that is this Telegram message, if it is one."""

    async def open_of_lead(self, lead_id: int) -> list[BotCard]:
        """The lead's cards whose buttons are still shown, locked for the caller's change."""

    async def close(self, lead_id: int, manager_id: int, now: datetime) -> bool:
        """Mark the card closed (its buttons gone); whether it was open."""
