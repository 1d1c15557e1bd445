"""The new-lead cards the managers' bot sent (`manager_bot_cards`)."""

from __future__ import annotations

from datetime import datetime

from crm_core.storage.ports.bot_cards import BotCard
from crm_core.storage.session import Row, SqlSession, as_datetime, as_optional_datetime

_COLUMNS = "lead_id, manager_id, chat_id, message_id, text, sent_at, closed_at"


class SqlBotCardRepository:
    """The card sent to each manager about each lead."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def remember(self, card: BotCard) -> None:
        """Store a sent card, replacing the manager's previous card about the lead (the same
        card stored again stays closed if it was)."""
        # A message id is unique per chat: a row holding it belongs to an older card.
        await self._s.execute(
            "DELETE FROM manager_bot_cards WHERE chat_id = $1 AND message_id = $2"
            " AND NOT (lead_id = $3 AND manager_id = $4)",
            card.chat_id,
            card.message_id,
            card.lead_id,
            card.manager_id,
        )
        await self._s.execute(
            f"INSERT INTO manager_bot_cards ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (lead_id, manager_id) DO UPDATE SET chat_id = excluded.chat_id,"
            " message_id = excluded.message_id, text = excluded.text,"
            " sent_at = excluded.sent_at, closed_at = CASE"
            " WHEN manager_bot_cards.chat_id = excluded.chat_id"
            " AND manager_bot_cards.message_id = excluded.message_id"
            " THEN COALESCE(manager_bot_cards.closed_at, excluded.closed_at)"
            " ELSE excluded.closed_at END",
            card.lead_id,
            card.manager_id,
            card.chat_id,
            card.message_id,
            card.text,
            card.sent_at,
            card.closed_at,
        )

    async def get(self, lead_id: int, manager_id: int) -> BotCard | None:
        """The manager's card about the lead, open or closed."""
        row = await self._s.fetchrow(
            f"SELECT {_COLUMNS} FROM manager_bot_cards WHERE lead_id = $1 AND manager_id = $2",
            lead_id,
            manager_id,
        )
        return _card(row) if row is not None else None

    async def by_message(self, chat_id: str, message_id: int) -> BotCard | None:
        """The card that is this Telegram message, if it is one."""
        row = await self._s.fetchrow(
            f"SELECT {_COLUMNS} FROM manager_bot_cards WHERE chat_id = $1 AND message_id = $2",
            chat_id,
            message_id,
        )
        return _card(row) if row is not None else None

    async def open_of_lead(self, lead_id: int) -> list[BotCard]:
        """The lead's cards whose buttons are still shown, locked for the caller's change."""
        lock = " FOR UPDATE" if self._s.dialect == "postgres" else ""
        rows = await self._s.fetch(
            f"SELECT {_COLUMNS} FROM manager_bot_cards"
            f" WHERE lead_id = $1 AND closed_at IS NULL ORDER BY manager_id{lock}",
            lead_id,
        )
        return [_card(row) for row in rows]

    async def close(self, lead_id: int, manager_id: int, now: datetime) -> bool:
        """Mark the card closed (its buttons gone); whether it was open."""
        row = await self._s.fetchrow(
            "UPDATE manager_bot_cards SET closed_at = $3"
            " WHERE lead_id = $1 AND manager_id = $2 AND closed_at IS NULL RETURNING lead_id",
            lead_id,
            manager_id,
            now,
        )
        return row is not None


def _card(row: Row) -> BotCard:
    return BotCard(
        lead_id=int(row["lead_id"]),
        manager_id=int(row["manager_id"]),
        chat_id=str(row["chat_id"]),
        message_id=int(row["message_id"]),
        text=str(row["text"]),
        sent_at=as_datetime(row["sent_at"]),
        closed_at=as_optional_datetime(row["closed_at"]),
    )
