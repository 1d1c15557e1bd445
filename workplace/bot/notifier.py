"""Notifications through the managers' bot: a new-lead card is remembered once Telegram has
it, a card out of date is edited (what happened, who did it, no buttons), and a lead's later
"Новое сообщение" / "Звонок клиента" / "Звонит клиент" come as replies to its card."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from config import Settings
from crm_core.bot_cards import remember_card, thread_of
from crm_core.model import LeadStatus
from crm_core.notifications import NotificationKind, OutboxMessage
from crm_core.storage import Storage
from crm_core.storage.ports import BotCard
from intake.notify.errors import DeliveryFailed
from intake.notify.telegram import TelegramNotifier
from intake.sales_setup import junk_reasons
from workplace.bot import texts
from workplace.bot.setup import card_for

log = logging.getLogger(__name__)

# Notifications about a lead's client that thread under the lead's card.
THREADED_KINDS = frozenset(
    {
        NotificationKind.NEW_MESSAGE,
        NotificationKind.CLIENT_CALLED,
        NotificationKind.INCOMING_CALL,
        NotificationKind.REPEAT_REQUEST,
    }
)


class ManagerBotNotifier:
    """The Telegram notifier of the managers' bot, with its cards kept in the database."""

    def __init__(
        self,
        telegram: TelegramNotifier,
        storage: Storage,
        reasons: Mapping[str, str],
        clock: Callable[[], datetime],
    ) -> None:
        self._telegram = telegram
        self._storage = storage
        self._reasons = reasons  # the live dict: a head's new reason names the next card
        self._clock = clock

    async def send(self, message: OutboxMessage) -> None:
        """Deliver one notification (an edit for a closed card); raises DeliveryFailed."""
        payload = message.payload
        if message.kind is NotificationKind.LEAD_CARD_CLOSED:
            message_id = payload.get("message_id")
            if not isinstance(message_id, int):
                raise DeliveryFailed("telegram: no card message to edit", permanent=True)
            text = closed_card_text(payload, self._reasons)
            await self._telegram.edit(message.address, message_id, text)
            return
        lead_id = payload.get("lead_id")
        reply_to = None
        if message.kind in THREADED_KINDS and isinstance(lead_id, int):
            async with self._storage.reader() as uow:
                reply_to = await thread_of(uow, lead_id, message.manager_id, message.address)
        delivered = await self._telegram.deliver(message, reply_to)
        if delivered.card and isinstance(lead_id, int):
            card = BotCard(
                lead_id,
                message.manager_id,
                message.address,
                delivered.message_id,
                delivered.text,
                self._clock(),
            )
            await self._remember(card)

    async def _remember(self, card: BotCard) -> None:
        # Telegram has the card: failing to note it must not send it again, so the error is
        # logged and the card only loses its later edits and threading.
        try:
            async with self._storage.transaction() as uow:
                await remember_card(uow, card, self._clock())
        except Exception as err:
            log.error(
                "manager_bot_card_not_stored lead_id=%d manager_id=%d error=%s",
                card.lead_id,
                card.manager_id,
                type(err).__name__,
            )

    async def close(self) -> None:
        """Close the bot's HTTP session."""
        await self._telegram.close()


def closed_card_text(payload: Mapping[str, Any], reasons: Mapping[str, str]) -> str:
    """The card's text with what happened to the lead below it, in bold (HTML)."""
    card = str(payload.get("card") or "")
    outcome = card_outcome(payload, reasons)
    return f"{card}\n\n<b>{html.escape(outcome, quote=False)}</b>".lstrip()


def card_outcome(payload: Mapping[str, Any], reasons: Mapping[str, str]) -> str:
    """What happened to a card's lead and who did it, in Russian."""
    status = payload.get("status")
    actor = payload.get("actor") or None
    assignee = payload.get("assignee") or None
    by = f" ({actor})" if actor else ""
    if status == LeadStatus.IN_WORK.value:
        return texts.TAKEN.format(name=assignee or actor or texts.SOMEONE)
    if status == LeadStatus.JUNK.value:
        key = str(payload.get("reason") or "")
        return texts.JUNKED_BY.format(reason=reasons.get(key, key), by=by)
    if status == LeadStatus.CONVERTED.value:
        return texts.CONVERTED.format(by=by)
    if assignee:
        return texts.REASSIGNED.format(name=assignee, by=by)
    return texts.UNASSIGNED.format(by=by)


def manager_bot_notifier(
    settings: Settings,
    storage: Storage,
    clock: Callable[[], datetime],
    reasons: Mapping[str, str] | None = None,
) -> ManagerBotNotifier:
    """The managers' bot's notifier for the configured token and API server; `reasons` the
    junk reasons as last loaded (kept up to date by `intake.bootstrap.load_team`)."""
    bot = settings.manager_bot
    assert bot.token is not None
    telegram = TelegramNotifier(bot.token, bot.api_base, card=card_for(bot))
    return ManagerBotNotifier(
        telegram, storage, junk_reasons(settings) if reasons is None else reasons, clock
    )
