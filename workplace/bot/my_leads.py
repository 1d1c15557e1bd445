"""/leads: the manager's open leads (new and in work; a head: the team's), urgent first, then
newest, each with a link and an Открыть button to its page."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from crm_core.model import Lead, Manager
from crm_core.my_work import open_leads
from intake.bootstrap import Services
from workplace.bot import command_texts as t
from workplace.bot.filters import LinkedManager

log = logging.getLogger(__name__)
# A chat message is a glance, not the Входящие page: the rest is a link away.
LEADS_SHOWN = 20
BUTTONS_PER_ROW = 3


def build_router() -> Router:
    """A fresh Router of this feature (a Router joins one Dispatcher only)."""
    router = Router(name="my_leads")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(list_leads, Command("leads"), LinkedManager())
    return router


async def list_leads(message: Message, manager: Manager, services: Services) -> None:
    """The open leads the manager lists, as the API's listing rule decides."""
    async with services.storage.reader() as uow:
        listing = await open_leads(uow, manager, LEADS_SHOWN)
    if not listing.items:
        await message.answer(t.NO_LEADS)
        return
    base = services.settings.notifications.public_url
    sources = {f.key: f.name for f in services.settings.forms}
    title = t.LEADS_TEAM_TITLE if manager.is_head else t.LEADS_TITLE
    lines = [t.esc(title.format(total=listing.total))]
    lines += [t.lead_line(lead, base, manager.timezone, sources) for lead in listing.items]
    if listing.more:
        lines.append(t.more_line(listing.more, base, "/"))
    text = "\n".join(lines)
    try:
        await message.answer(
            text,
            parse_mode="HTML",
            reply_markup=open_buttons(listing.items, base),
            disable_web_page_preview=True,
        )
    except TelegramBadRequest as err:
        # Telegram refuses URL buttons to addresses it deems private (a test or demo base
        # URL): the list with its text links still goes out.
        log.warning("manager_bot_open_buttons_refused error=%s", type(err).__name__)
        await message.answer(text, parse_mode="HTML", disable_web_page_preview=True)


def open_buttons(leads: list[Lead], base: str) -> InlineKeyboardMarkup | None:
    """One «Открыть №N» button per lead (none without an http(s) public URL)."""
    buttons = [
        InlineKeyboardButton(text=f"{t.OPEN} №{lead.id}", url=url)
        for lead in leads
        if (url := t.page_url(base, f"/leads/{lead.id}")) and url.startswith("http")
    ]
    if not buttons:
        return None
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(inline_keyboard=rows)
