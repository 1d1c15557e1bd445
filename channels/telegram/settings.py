"""`[[telegram.bots]]`: the company's bots; tokens and webhook secrets from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.settings_support import require_unique, secret_from_env
from channels.spec import ConfigTable

DEFAULT_AUTO_REPLY = "Спасибо! Мы получили ваше сообщение, менеджер скоро ответит."


@dataclass(frozen=True, slots=True)
class TelegramBotSettings:
    """A company's Telegram bot: `POST /hooks/telegram/{name}` receives its updates."""

    name: str
    token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    queue: str | None = None
    pipeline: str | None = None
    # "webhook": Telegram posts updates to us; "polling": we call getUpdates (no public URL).
    mode: str = "webhook"
    api_base: str = "https://api.telegram.org"
    # Sent to the customer after each stored message ("" turns it off), with a button to
    # share their phone unless they just did.
    auto_reply: str = DEFAULT_AUTO_REPLY
    ask_phone: bool = True
    # A chat is auto-answered once per this many hours (0: every message): the reply greets
    # a conversation, it does not echo each message of it.
    auto_reply_every_hours: float = 12.0
    # Where the secrets come from (shown on the channels page instead of the secrets).
    token_env: str = ""
    webhook_secret_env: str = ""


def telegram_bots(root: ConfigTable, env: Mapping[str, str]) -> tuple[TelegramBotSettings, ...]:
    """`[[telegram.bots]]`: name, token_env, webhook_secret_env, queue, pipeline."""
    bots = []
    for s in root.table("telegram").array("bots"):
        name = s.identifier("name")
        token_env = s.string("token_env", f"LEADINTAKE_TELEGRAM_{name.upper()}_TOKEN")
        secret_env = s.string("webhook_secret_env", f"LEADINTAKE_TELEGRAM_{name.upper()}_SECRET")
        bots.append(
            TelegramBotSettings(
                name=name,
                token=secret_from_env(
                    s, env, "token_env", f"LEADINTAKE_TELEGRAM_{name.upper()}_TOKEN"
                ),
                webhook_secret=secret_from_env(
                    s, env, "webhook_secret_env", f"LEADINTAKE_TELEGRAM_{name.upper()}_SECRET"
                ),
                queue=s.optional_string("queue"),
                pipeline=s.optional_string("pipeline"),
                mode=s.choice("mode", "webhook", ("webhook", "polling")),
                api_base=s.string("api_base", "https://api.telegram.org").rstrip("/"),
                auto_reply=_auto_reply(s),
                ask_phone=s.boolean("ask_phone", True),
                auto_reply_every_hours=s.number("auto_reply_every_hours", 12.0, minimum=0),
                token_env=token_env,
                webhook_secret_env=secret_env,
            )
        )
        if bots[-1].mode == "polling" and not bots[-1].token:
            raise s.error("mode", "polling needs the bot token in the environment")
    require_unique(root, "telegram.bots", [b.name for b in bots])
    return tuple(bots)


def _auto_reply(s: ConfigTable) -> str:
    value = s.data.get("auto_reply", DEFAULT_AUTO_REPLY)
    if not isinstance(value, str):
        raise s.error("auto_reply", 'must be a string ("" turns the auto-reply off)')
    return value.strip()
