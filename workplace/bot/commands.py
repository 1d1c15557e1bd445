"""The managers' bot's commands (/leads, /tasks, /find) and its morning digest: their Routers,
the bot's command menu, and the digest loop that runs alongside the bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, Router
from aiogram.exceptions import AiogramError, TelegramForbiddenError
from aiogram.types import BotCommand

from intake.bootstrap import Services
from intake.clock import utcnow
from workplace.bot import find_client, my_leads, my_tasks
from workplace.bot.command_texts import COMMANDS
from workplace.bot.digest import DigestWatch, GiveUp

log = logging.getLogger(__name__)


def build_routers() -> list[Router]:
    """One fresh Router per command; they go before `lead_card` (which answers every other
    button) and `linking` (which answers every other message)."""
    return [my_leads.build_router(), my_tasks.build_router(), find_client.build_router()]


async def set_commands(bot: Bot) -> None:
    """The command menu in Telegram (setMyCommands), in Russian; a failure is only logged."""
    menu = [BotCommand(command=c, description=d) for c, d in COMMANDS.items()]
    try:
        await bot.set_my_commands(menu)
    except (AiogramError, TimeoutError) as err:
        log.warning("manager_bot_set_commands_failed error=%s", type(err).__name__)


class CommandsAtWork:
    """What the commands need while the bot runs: the menu set once, the digest loop."""

    def __init__(
        self, services: Services, bot: Bot, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._bot = bot
        self.digest = DigestWatch(services, self._send_digest, clock)
        self._menu: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Set the menu in the background (startup does not wait on Telegram); start the
        digest loop."""
        self._menu = asyncio.create_task(set_commands(self._bot), name="manager-bot-menu")
        self.digest.start()

    async def stop(self) -> None:
        """Stop the digest loop and the menu call if it still runs."""
        await self.digest.stop()
        if self._menu is not None:
            self._menu.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._menu

    async def _send_digest(self, chat_id: str, text: str) -> None:
        try:
            await self._bot.send_message(
                chat_id, text, parse_mode="HTML", disable_web_page_preview=True
            )
        except TelegramForbiddenError as err:
            raise GiveUp from err
