"""The new-lead cards of the managers' bot: remembered when sent, closed when out of date.

A card offers a manager to take a lead assigned to them. Once the lead is no longer new and
theirs (someone took it, it was junked, reassigned, converted or handed over) the card is
closed: in the same transaction as the change an outbox row asks the bot to edit it, saying
what happened and who did it, without buttons (its dedupe key names the card's message, so a
card is edited once). A card stays on record after it closes: the client's messages and the
manager's replies keep threading under it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from crm_core.model import Lead, LeadStatus, Manager
from crm_core.notifications import NewNotification, NotificationChannel, NotificationKind
from crm_core.storage.ports import BotCard, UnitOfWork

# The audited changes of a lead that close its cards.
_CARD_ACTIONS = frozenset({"take", "junk", "reassign", "convert"})


def card_is_current(lead: Lead, manager_id: int) -> bool:
    """Whether a manager's card still fits the lead: new and theirs to take."""
    return lead.status is LeadStatus.NEW and lead.assignee_id == manager_id


async def close_stale_cards(
    uow: UnitOfWork, lead: Lead, actor: Manager | None, now: datetime
) -> list[BotCard]:
    """Close the lead's open cards that no longer fit it and queue their edits; `actor` is
    who changed the lead (None: the system, or not known). Returns the cards closed."""
    stale = [
        card
        for card in await uow.bot_cards.open_of_lead(lead.id)
        if not card_is_current(lead, card.manager_id)
    ]
    if not stale:
        return []
    names = {m.id: m.name for m in await uow.managers.list()}
    notifications = []
    for card in stale:
        await uow.bot_cards.close(card.lead_id, card.manager_id, now)
        payload: dict[str, Any] = {
            "lead_id": lead.id,
            "message_id": card.message_id,
            "card": card.text,
            "status": lead.status.value,
            "assignee": names.get(lead.assignee_id) if lead.assignee_id is not None else None,
            "actor": actor.name if actor is not None else None,
            "reason": lead.junk_reason,
        }
        notifications.append(
            NewNotification(
                manager_id=card.manager_id,
                channel=NotificationChannel.TELEGRAM,
                kind=NotificationKind.LEAD_CARD_CLOSED,
                address=card.chat_id,
                payload=payload,
                dedupe_key=f"card_closed:{card.chat_id}:{card.message_id}",
            )
        )
    await uow.outbox.enqueue(notifications, now)
    return stale


async def remember_card(uow: UnitOfWork, card: BotCard, now: datetime) -> bool:
    """Store a card just sent; should the lead have moved on while it was on its way, it is
    closed at once. False when the lead no longer exists."""
    # Locked as a change of the lead locks it: either the change sees this card, or this
    # sees the change.
    lead = await uow.leads.lock(card.lead_id)
    if lead is None:
        return False
    await uow.bot_cards.remember(card)
    if not card_is_current(lead, card.manager_id):
        await close_stale_cards(uow, lead, await _last_actor(uow, lead), now)
    return True


async def _last_actor(uow: UnitOfWork, lead: Lead) -> Manager | None:
    """Who made the lead what it is, as the audit log says: the latest take, junk, reassign
    or convert, when its outcome is still the lead's state (a later hand-over by the system
    leaves no entry, but changes the assignee)."""
    entries = [e for e in await uow.audit.for_entity("lead", lead.id) if e.action in _CARD_ACTIONS]
    if not entries:
        return None
    after = entries[-1].after or {}
    if after.get("status", lead.status.value) != lead.status.value:
        return None
    if after.get("assignee", lead.assignee) != lead.assignee:
        return None
    return await uow.managers.get_by_login(entries[-1].actor)


async def close_pressed_card(uow: UnitOfWork, pressed: BotCard, now: datetime) -> None:
    """The card whose button was pressed is edited by the bot at once: mark it closed so
    the change it makes queues no second edit (in the transaction of that change). A card
    pressed before the notifier noted it is noted here, closed."""
    card = await uow.bot_cards.by_message(pressed.chat_id, pressed.message_id)
    if card is None:
        await uow.bot_cards.remember(replace(pressed, closed_at=now))
    else:
        await uow.bot_cards.close(card.lead_id, card.manager_id, now)


async def card_of_message(uow: UnitOfWork, chat_id: str, message_id: int) -> BotCard | None:
    """The card a Telegram message is (a manager's reply to it answers the lead's client)."""
    return await uow.bot_cards.by_message(chat_id, message_id)


async def thread_of(uow: UnitOfWork, lead_id: int, manager_id: int, chat_id: str) -> int | None:
    """The message id of the manager's card about the lead in this chat, if any: the lead's
    later notifications to that chat are sent as replies to it."""
    card = await uow.bot_cards.get(lead_id, manager_id)
    return card.message_id if card is not None and card.chat_id == chat_id else None
