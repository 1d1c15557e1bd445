"""Linking: `/start <token>` binds the Telegram account to a login, `/unlink` unbinds it;
anyone not linked gets a polite refusal and nothing else."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from crm_core.bot_links import redeem_link_token, unlink_account
from crm_core.model import Manager
from intake.bootstrap import Services, load_team
from intake.clock import utcnow
from workplace.bot import texts
from workplace.bot.filters import LinkedManager

log = logging.getLogger(__name__)


def build_router() -> Router:
    """A fresh Router of this feature (a Router joins one Dispatcher only)."""
    router = Router(name="linking")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.message.register(start_linked, CommandStart(), LinkedManager())
    router.message.register(unlink, Command("unlink"), LinkedManager())
    router.message.register(help_linked, LinkedManager())
    router.message.register(refuse)
    return router


async def start_with_token(message: Message, command: CommandObject, services: Services) -> None:
    """Redeem the one-time token of the deep link."""
    user = message.from_user
    if user is None:
        return
    async with services.storage.transaction() as uow:
        manager = await redeem_link_token(
            uow, command.args or "", user.id, str(message.chat.id), utcnow()
        )
    if manager is None:
        log.info("manager_bot_link_refused telegram_user=%d", user.id)
        await message.answer(texts.REFUSAL)
        return
    await load_team(services)  # notifications now reach this chat
    log.info("manager_bot_linked manager_id=%d telegram_user=%d", manager.id, user.id)
    await message.answer(texts.LINKED.format(name=manager.name))


async def start_linked(message: Message, manager: Manager) -> None:
    """/start again from a linked account."""
    await message.answer(texts.ALREADY_LINKED.format(name=manager.name))


async def unlink(message: Message, manager: Manager, services: Services) -> None:
    """Unbind this Telegram account."""
    assert message.from_user is not None  # LinkedManager found the user
    async with services.storage.transaction() as uow:
        await unlink_account(uow, message.from_user.id)
    await load_team(services)
    log.info("manager_bot_unlinked manager_id=%d", manager.id)
    await message.answer(texts.UNLINKED)


async def help_linked(message: Message) -> None:
    """Anything else from a linked manager: what the bot does."""
    await message.answer(texts.HELP)


async def refuse(message: Message) -> None:
    """Anyone not linked: a polite refusal."""
    await message.answer(texts.REFUSAL)
