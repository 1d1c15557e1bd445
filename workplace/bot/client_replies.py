"""Answering the client from Telegram: a linked manager replies to a lead's card (Telegram's
«Ответить») and the text goes to the client through the channel they wrote in, by the same
`send_reply` and permissions as POST /api/v1/conversations/lead/{id}/messages."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import Message

from crm_core.bot_cards import card_of_message
from crm_core.conversation import conversation_of_lead
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.replies import send_reply
from crm_core.sales import RecordKind
from crm_core.storage.ports import BotCard
from intake.bootstrap import Services
from intake.clock import utcnow
from intake.replies.wiring import unavailable_accounts
from workplace.bot import texts
from workplace.bot.filters import LinkedManager
from workplace.pages.replies import refusal_text
from workplace.pages.shared import error_text

log = logging.getLogger(__name__)


class RepliesToCard(Filter):
    """Passes a message that replies to a lead's card in this chat, handing `card` on."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        """False, or the `card` keyword for the handler."""
        replied = message.reply_to_message
        if replied is None:
            return False
        async with services.storage.reader() as uow:
            card = await card_of_message(uow, str(message.chat.id), replied.message_id)
        return {"card": card} if card is not None else False


def build_router() -> Router:
    """A fresh Router of this feature (a Router joins one Dispatcher only)."""
    router = Router(name="client_replies")
    router.message.filter(F.chat.type == ChatType.PRIVATE, F.reply_to_message)
    router.message.register(reply_to_card, LinkedManager(), RepliesToCard())
    router.message.register(reply_elsewhere, LinkedManager())
    return router


async def reply_to_card(
    message: Message, manager: Manager, card: BotCard, services: Services
) -> None:
    """Send the manager's reply to the card's client; say whether it went."""
    if not message.text:
        await message.reply(texts.REPLY_NO_TEXT)
        return
    try:
        async with services.storage.transaction() as uow:
            # A converted lead's conversation goes on in its deal.
            found = await conversation_of_lead(uow, card.lead_id, "bot reply")
            entity, entity_id = (
                (found.entity, found.entity_id) if found else (RecordKind.LEAD, card.lead_id)
            )
            await send_reply(
                uow,
                manager,
                entity,
                entity_id,
                None,
                message.text,
                utcnow(),
                # Telegram may deliver the update again: the same message is queued once.
                idempotency_key=f"bot:{message.chat.id}:{message.message_id}",
                unavailable=unavailable_accounts(services.settings),
            )
    except DomainError as err:
        log.info("manager_bot_reply_refused manager_id=%d lead_id=%d", manager.id, card.lead_id)
        await message.reply(error_text(err) if err.status == 404 else refusal_text(err))
        return
    services.outgoing_wakeup.set()
    log.info("manager_bot_reply_queued manager_id=%d lead_id=%d", manager.id, card.lead_id)
    await message.reply(texts.REPLY_SENT)


async def reply_elsewhere(message: Message) -> None:
    """A reply to one of the bot's messages that is not a card: where to answer instead."""
    await message.reply(texts.REPLY_TO_CARD)
