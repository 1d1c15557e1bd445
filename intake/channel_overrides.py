"""A head's changes to the channels, kept in the database over the file's channel settings.

The channels themselves (which bots and communities exist, their tokens and secrets) stay in
the file and the environment; what a head may change from the channels page is stored as an
override document of kind "channels", keyed "telegram:<bot name>": a Telegram bot's mode
(webhook or polling) and its auto-reply text. A change is versioned, audited (who, when,
before → after) and bumps the settings version every process polls, so each instance's
pollers start or stop and its webhook answers use the new text within about 2 s
(`intake.bootstrap.load_team`, `intake.channel_polling.following_settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from channels.telegram.settings import TelegramBotSettings
from crm_core.errors import NotFound, RuleError
from crm_core.model import AuditEntry, Manager
from crm_core.storage.ports import StoredSetting, UnitOfWork
from intake.clock import utcnow

KIND = "channels"
MODES = ("webhook", "polling")
# Telegram's own cap on a message's text.
MAX_AUTO_REPLY = 4096
STALE = "изменено другим пользователем"


def telegram_key(name: str) -> str:
    """The override document's key of a Telegram bot."""
    return f"telegram:{name}"


async def stored_overrides(uow: UnitOfWork) -> dict[str, Mapping[str, Any]]:
    """Every channel override by key."""
    return {s.key: s.data for s in await uow.settings.list(KIND)}


def with_overrides(
    sections: Mapping[str, Any], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The file's channel sections with the stored overrides in place."""
    result = dict(sections)
    bots = sections.get("telegram_bots")
    if isinstance(bots, tuple):
        result["telegram_bots"] = tuple(
            _telegram(bot, overrides.get(telegram_key(bot.name))) for bot in bots
        )
    return result


def _telegram(bot: TelegramBotSettings, doc: Mapping[str, Any] | None) -> TelegramBotSettings:
    if not doc:
        return bot
    mode = doc.get("mode", bot.mode)
    if mode not in MODES or (mode == "polling" and not bot.token):
        mode = bot.mode  # the token left the environment since: keep the file's mode
    auto_reply = doc.get("auto_reply", bot.auto_reply)
    return replace(
        bot, mode=mode, auto_reply=auto_reply if isinstance(auto_reply, str) else bot.auto_reply
    )


async def change_telegram_bot(
    uow: UnitOfWork,
    actor: Manager,
    bot: TelegramBotSettings,
    *,
    mode: str | None = None,
    auto_reply: str | None = None,
    version: int | None = None,
) -> StoredSetting:
    """Store a bot's new mode and/or auto-reply text (refused when invalid, or when someone
    changed it since `version`), audited; the caller bumps and reloads in the same
    transaction's wake."""
    change: dict[str, Any] = {}
    if mode is not None:
        if mode not in MODES:
            raise RuleError("invalid_field", "mode", "режим: webhook или polling", 422)
        if mode == "polling" and not bot.token:
            raise RuleError(
                "invalid_field",
                "mode",
                f"для опроса нужен токен бота в окружении ({bot.token_env})",
                422,
            )
        change["mode"] = mode
    if auto_reply is not None:
        text = auto_reply.strip()
        if len(text) > MAX_AUTO_REPLY:
            raise RuleError(
                "invalid_field",
                "auto_reply",
                f"автоответ длиннее {MAX_AUTO_REPLY} символов, которые принимает Telegram",
                422,
            )
        change["auto_reply"] = text
    key = telegram_key(bot.name)
    now = utcnow()
    before = await uow.settings.get(KIND, key, for_update=True)
    if version is not None and (before.version if before else 0) != version:
        raise RuleError("version_conflict", "version", STALE)
    data = {"mode": bot.mode, "auto_reply": bot.auto_reply} if before is None else {}
    data |= dict(before.data) if before else {}
    data |= change
    if before is None:
        stored = await uow.settings.add(KIND, key, data, actor.login, now)
    else:
        stored = await uow.settings.replace(KIND, key, data, before.version, actor.login, now)
    if stored is None:
        raise RuleError("version_conflict", "version", STALE)
    await uow.audit.add_many(
        [
            AuditEntry(
                actor.login,
                f"settings.{KIND}",
                0,
                "create" if before is None else "update",
                now,
                before=None if before is None else dict(before.data),
                after=dict(stored.data),
            )
        ]
    )
    await uow.settings.bump()
    return stored


def find_bot(bots: tuple[TelegramBotSettings, ...], name: str) -> TelegramBotSettings:
    """The configured bot of this name (NotFound otherwise)."""
    for bot in bots:
        if bot.name == name:
            return bot
    raise NotFound("bot_name", f"нет бота Telegram {name!r}")
