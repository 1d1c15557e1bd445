"""The new-lead card's buttons: Взять, Брак (reason picker), Перезвонить позже (1 ч / 3 ч /
завтра 10:00), each run through the same crm_core commands and permissions as the API.

Callback data is signed (workplace/bot/callbacks.py): a forged or altered button answers
"Кнопка устарела" and changes nothing. An unlinked Telegram account changes nothing either.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from crm_core.bot_cards import close_pressed_card
from crm_core.deals import add_task
from crm_core.errors import DomainError
from crm_core.lifecycle import junk_lead, take_lead
from crm_core.links import lead_link
from crm_core.model import Manager
from crm_core.sales import NewTask, RecordKind
from crm_core.storage.ports import BotCard, UnitOfWork
from intake.bootstrap import Services
from intake.clock import utcnow
from workplace.bot import texts
from workplace.bot.callbacks import CallbackSigner, CardAction, CardCallback
from workplace.bot.filters import LinkedManager
from workplace.bot.keyboards import card_keyboard, junk_keyboard, later_keyboard
from workplace.pages.shared import error_text, local_time

log = logging.getLogger(__name__)
CALL_BACK_AT = time(10, 0)


def build_router() -> Router:
    """A fresh Router of this feature (a Router joins one Dispatcher only)."""
    router = Router(name="lead_card")
    router.callback_query.register(card_button, LinkedManager())
    router.callback_query.register(button_of_stranger)
    return router


async def card_button(
    query: CallbackQuery, manager: Manager, services: Services, signer: CallbackSigner
) -> None:
    """A linked manager pressed a card button."""
    callback = signer.verify(query.data)
    if callback is None:
        log.warning("manager_bot_bad_callback manager_id=%d", manager.id)
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    try:
        await _act(query, callback, manager, services, signer)
    except DomainError as err:
        await query.answer(error_text(err), show_alert=True)


async def button_of_stranger(query: CallbackQuery) -> None:
    """Someone not linked pressed a button (a forwarded card, say): nothing changes."""
    await query.answer(texts.NOT_LINKED_BUTTON, show_alert=True)


async def _act(
    query: CallbackQuery,
    callback: CardCallback,
    manager: Manager,
    services: Services,
    signer: CallbackSigner,
) -> None:
    lead_id = callback.lead_id
    action = callback.action
    if action is CardAction.TAKE:
        async with services.storage.transaction() as uow:
            await _pressed(uow, query, lead_id, manager)
            await take_lead(uow, lead_id, manager, utcnow())
        await _close_card(query, texts.TAKEN.format(name=manager.name))
        await query.answer(texts.TAKEN_TOAST)
    elif action is CardAction.JUNK:
        reasons = services.sales.junk_reasons
        async with services.storage.transaction() as uow:
            await _pressed(uow, query, lead_id, manager)
            await junk_lead(uow, lead_id, manager, callback.argument, reasons, utcnow())
        reason = reasons.get(callback.argument, callback.argument)
        await _close_card(query, texts.JUNKED.format(reason=reason, name=manager.name))
        await query.answer(texts.JUNKED_TOAST)
    elif action is CardAction.LATER:
        now = utcnow()
        due = call_back_time(callback.argument, now, manager.timezone)
        if due is None:
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        task = NewTask(
            RecordKind.LEAD, lead_id, "call", texts.CALL_BACK_TITLE, due, manager.id, manager.login
        )
        async with services.storage.transaction() as uow:
            await add_task(uow, task, manager, now)
        await _set_keyboard(query, _main(signer, services, lead_id))
        when = local_time(due, manager.timezone)
        await query.answer(texts.CALL_BACK_TOAST.format(when=when), show_alert=True)
    elif action is CardAction.JUNK_MENU:
        await _set_keyboard(query, junk_keyboard(signer, lead_id, services.sales.junk_reasons))
        await query.answer()
    elif action is CardAction.LATER_MENU:
        await _set_keyboard(query, later_keyboard(signer, lead_id))
        await query.answer()
    else:  # BACK
        await _set_keyboard(query, _main(signer, services, lead_id))
        await query.answer()


def call_back_time(choice: str, now: datetime, timezone: str) -> datetime | None:
    """When to call back: in 1 h, in 3 h, or tomorrow at 10:00 on the manager's clock."""
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "3h":
        return now + timedelta(hours=3)
    if choice == "tomorrow":
        zone = ZoneInfo(timezone)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        return datetime.combine(tomorrow, CALL_BACK_AT, tzinfo=zone).astimezone(now.tzinfo)
    return None


async def _pressed(uow: UnitOfWork, query: CallbackQuery, lead_id: int, manager: Manager) -> None:
    """This card is edited here and now: the change queues edits of the others only."""
    message = query.message
    if isinstance(message, Message):
        now = utcnow()
        card = BotCard(
            lead_id, manager.id, str(message.chat.id), message.message_id, message.html_text, now
        )
        await close_pressed_card(uow, card, now)


def _main(signer: CallbackSigner, services: Services, lead_id: int) -> InlineKeyboardMarkup:
    return card_keyboard(
        signer, lead_id, lead_link(services.settings.notifications.public_url, lead_id)
    )


async def _set_keyboard(query: CallbackQuery, keyboard: InlineKeyboardMarkup) -> None:
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=keyboard)


async def _close_card(query: CallbackQuery, outcome: str) -> None:
    """The card's text with the outcome below it, and no buttons any more."""
    message = query.message
    if not isinstance(message, Message):
        return
    text = f"{message.html_text}\n\n<b>{html.escape(outcome, quote=False)}</b>"
    await message.edit_text(text, parse_mode="HTML", reply_markup=None)
