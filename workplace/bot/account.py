"""A manager's side of linking: a one-time deep link to the bot, and unlinking."""

from __future__ import annotations

from config.manager_bot_settings import ManagerBotSettings
from crm_core.bot_links import deep_link, issue_link_token, unlink_manager
from crm_core.storage import Storage
from intake.clock import utcnow


class BotNotConfigured(Exception):
    """The managers' bot has no token (LEADINTAKE_MANAGER_BOT_TOKEN is not set)."""


class BotUnavailable(Exception):
    """The Bot API did not tell the bot's username (getMe failed)."""


async def bot_username(settings: ManagerBotSettings) -> str:
    """The bot's username: as configured, else asked of the Bot API (getMe)."""
    if not settings.enabled:
        raise BotNotConfigured
    if settings.username:
        return settings.username
    from aiogram.exceptions import AiogramError  # aiogram: only when the API is asked

    from workplace.bot.setup import build_bot

    bot = build_bot(settings)
    try:
        me = await bot.get_me()
    except (AiogramError, TimeoutError) as err:
        raise BotUnavailable from err
    finally:
        await bot.session.close()
    if not me.username:
        raise BotNotConfigured
    return me.username


async def telegram_link(storage: Storage, settings: ManagerBotSettings, login: str) -> str:
    """A new one-time deep link that binds the opener's Telegram account to `login`."""
    username = await bot_username(settings)
    async with storage.transaction() as uow:
        token = await issue_link_token(uow, login, utcnow())
    return deep_link(username, token)


async def telegram_unlink(storage: Storage, login: str) -> bool:
    """Unbind the manager's Telegram account; whether one was bound."""
    async with storage.transaction() as uow:
        return await unlink_manager(uow, login)
