"""Settings of the messaging channels: Telegram bots, VK communities and IMAP mailboxes.

Secrets (bot tokens, webhook secret tokens, VK secret keys and access tokens, mailbox
passwords) are read from the environment variables the `*_env` keys name, never from the
TOML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from config.reader import Section

EMAIL_SECURITY = ("tls", "starttls", "none")
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


@dataclass(frozen=True, slots=True)
class VkGroupSettings:
    """A VK community: `POST /hooks/vk/{group_id}` receives its Callback API events."""

    group_id: int
    confirmation: str
    secret: str | None = field(default=None, repr=False)
    queue: str | None = None
    pipeline: str | None = None
    # "callback": VK posts events to us; "longpoll": we ask the Bots Long Poll server
    # (no public URL needed). Long polling needs the community's access token.
    mode: str = "callback"
    access_token: str | None = field(default=None, repr=False)
    api_base: str = "https://api.vk.com/method"


@dataclass(frozen=True, slots=True)
class EmailMailboxSettings:
    """An IMAP mailbox whose folder is fetched into leads; `name` is the leads' `source`."""

    name: str
    host: str
    login: str
    password: str | None = field(default=None, repr=False)
    # "tls": TLS from the first byte (993); "starttls": plain, then STARTTLS (143); "none":
    # plain text, for a server on the same host or a test server only.
    security: str = "tls"
    port: int = 993
    folder: str = "INBOX"
    # Set \Seen on a message once its lead is stored, so people sharing the mailbox see it
    # was taken; false leaves the flags as they are.
    mark_seen: bool = True
    # Seconds between checks when the server has no IDLE (or `idle` is off).
    poll_seconds: float = 60.0
    idle: bool = True
    queue: str | None = None
    pipeline: str | None = None


def telegram_bots(root: Section, env: Mapping[str, str]) -> tuple[TelegramBotSettings, ...]:
    """`[[telegram.bots]]`: name, token_env, webhook_secret_env, queue, pipeline."""
    bots = []
    for s in root.table("telegram").array("bots"):
        name = s.identifier("name")
        bots.append(
            TelegramBotSettings(
                name=name,
                token=_secret(s, env, "token_env", f"LEADINTAKE_TELEGRAM_{name.upper()}_TOKEN"),
                webhook_secret=_secret(
                    s, env, "webhook_secret_env", f"LEADINTAKE_TELEGRAM_{name.upper()}_SECRET"
                ),
                queue=s.optional_string("queue"),
                pipeline=s.optional_string("pipeline"),
                mode=s.choice("mode", "webhook", ("webhook", "polling")),
                api_base=s.string("api_base", "https://api.telegram.org").rstrip("/"),
                auto_reply=_auto_reply(s),
                ask_phone=s.boolean("ask_phone", True),
                auto_reply_every_hours=s.number("auto_reply_every_hours", 12.0, minimum=0),
            )
        )
        if bots[-1].mode == "polling" and not bots[-1].token:
            raise s.error("mode", "polling needs the bot token in the environment")
    _unique(root, "telegram.bots", [b.name for b in bots])
    return tuple(bots)


def vk_groups(root: Section, env: Mapping[str, str]) -> tuple[VkGroupSettings, ...]:
    """`[[vk.groups]]`: group_id, confirmation, secret_env, queue, pipeline, mode, token_env."""
    groups = []
    for s in root.table("vk").array("groups"):
        if s.data.get("group_id") is None:
            raise s.error("group_id", "required: the community's numeric id")
        group_id = s.integer("group_id", 0, minimum=1)
        mode = s.choice("mode", "callback", ("callback", "longpoll"))
        groups.append(
            VkGroupSettings(
                group_id=group_id,
                # Long Poll has no handshake: the confirmation string is only for callbacks.
                confirmation=s.optional_string("confirmation") or ""
                if mode == "longpoll"
                else s.string("confirmation"),
                secret=_secret(s, env, "secret_env", f"LEADINTAKE_VK_{group_id}_SECRET"),
                queue=s.optional_string("queue"),
                pipeline=s.optional_string("pipeline"),
                mode=mode,
                access_token=_secret(s, env, "token_env", f"LEADINTAKE_VK_{group_id}_TOKEN"),
                api_base=s.string("api_base", "https://api.vk.com/method").rstrip("/"),
            )
        )
        if mode == "longpoll" and not groups[-1].access_token:
            raise s.error("mode", "longpoll needs the community's access token in the environment")
    _unique(root, "vk.groups", [str(g.group_id) for g in groups])
    return tuple(groups)


def email_mailboxes(root: Section, env: Mapping[str, str]) -> tuple[EmailMailboxSettings, ...]:
    """`[[email.mailboxes]]`: name, host, port, security, login, password_env, folder, ..."""
    mailboxes = []
    for s in root.table("email").array("mailboxes"):
        name = s.identifier("name")
        security = s.choice("security", "tls", EMAIL_SECURITY)
        env_name = f"LEADINTAKE_EMAIL_{name.upper().replace('-', '_')}_PASSWORD"
        password = _secret(s, env, "password_env", env_name)
        if not password:
            raise s.error(
                "password_env",
                f"the mailbox password must be set in ${s.string('password_env', env_name)}",
            )
        mailboxes.append(
            EmailMailboxSettings(
                name=name,
                host=s.string("host"),
                login=s.string("login"),
                password=password,
                security=security,
                port=s.integer(
                    "port", 993 if security == "tls" else 143, minimum=1, maximum=65535
                ),
                folder=s.string("folder", "INBOX"),
                mark_seen=s.boolean("mark_seen", True),
                poll_seconds=s.number("poll_seconds", 60.0, minimum=1.0),
                idle=s.boolean("idle", True),
                queue=s.optional_string("queue"),
                pipeline=s.optional_string("pipeline"),
            )
        )
    _unique(root, "email.mailboxes", [m.name for m in mailboxes])
    return tuple(mailboxes)


def _auto_reply(s: Section) -> str:
    value = s.data.get("auto_reply", DEFAULT_AUTO_REPLY)
    if not isinstance(value, str):
        raise s.error("auto_reply", 'must be a string ("" turns the auto-reply off)')
    return value.strip()


def _secret(s: Section, env: Mapping[str, str], key: str, default: str) -> str | None:
    for secret_key in ("token", "webhook_secret", "secret", "password"):
        if s.data.get(secret_key) is not None:
            raise s.error(secret_key, f"secrets are not written in the file: set {key}")
    return env.get(s.string(key, default)) or None


def _unique(root: Section, key: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise root.error(key, f"{value!r} appears twice")
        seen.add(value)
