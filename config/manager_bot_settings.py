"""`[manager_bot]`: the managers' Telegram bot (not the clients' bots): token, mode, secrets.

Secrets come from the environment only: the bot token (LEADINTAKE_MANAGER_BOT_TOKEN), the
webhook's secret token (LEADINTAKE_MANAGER_BOT_WEBHOOK_SECRET) and the key signing the
buttons' callback data (LEADINTAKE_MANAGER_BOT_SECRET; derived from the token when unset).
Without a token the bot is off.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from config.reader import ConfigError, Section

TOKEN_ENV = "LEADINTAKE_MANAGER_BOT_TOKEN"  # noqa: S105 - a variable's name, not a secret
SECRET_ENV = "LEADINTAKE_MANAGER_BOT_SECRET"  # noqa: S105 - a variable's name, not a secret
WEBHOOK_SECRET_ENV = "LEADINTAKE_MANAGER_BOT_WEBHOOK_SECRET"  # noqa: S105 - a name
DEFAULT_API_BASE = "https://api.telegram.org"
MODES = ("polling", "webhook")
# Telegram's secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_USERNAME = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{3,31}")
_KEYS = ("mode", "username", "api_base", "poll_timeout_seconds")


@dataclass(frozen=True, slots=True)
class ManagerBotSettings:
    """The managers' bot; `enabled` only with a token in the environment."""

    token: str | None = field(default=None, repr=False)
    callback_secret: bytes = field(default=b"", repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    mode: str = "polling"
    username: str | None = None
    api_base: str = DEFAULT_API_BASE
    poll_timeout_seconds: int = 25

    @property
    def enabled(self) -> bool:
        """True when a bot token is configured."""
        return self.token is not None


def manager_bot_settings(s: Section, env: Mapping[str, str]) -> ManagerBotSettings:
    """`[manager_bot]`, with its secrets from the environment."""
    for key in s.data:
        if key not in _KEYS:
            raise s.error(key, f"unknown key; known: {', '.join(_KEYS)} (secrets: environment)")
    token = env.get(TOKEN_ENV, "").strip() or None
    mode = s.choice("mode", "polling", MODES)
    webhook_secret = env.get(WEBHOOK_SECRET_ENV, "").strip() or None
    if webhook_secret is not None and not _WEBHOOK_SECRET.fullmatch(webhook_secret):
        raise ConfigError(
            f"environment {WEBHOOK_SECRET_ENV}: 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    if token and mode == "webhook" and webhook_secret is None:
        raise s.error("mode", f"webhook mode needs the environment variable {WEBHOOK_SECRET_ENV}")
    username = s.optional_string("username")
    if username is not None and not _USERNAME.fullmatch(username):
        raise s.error("username", f"must be a Telegram bot username, got {username!r}")
    api_base = s.string("api_base", DEFAULT_API_BASE).rstrip("/")
    if not api_base.startswith(("http://", "https://")):
        raise s.error("api_base", f"must start with http:// or https://, got {api_base!r}")
    own = env.get(SECRET_ENV, "").strip()
    # Without its own secret, the key is derived from the token (a secret as well).
    signing_key = own.encode() if own else hashlib.sha256(f"callback:{token}".encode()).digest()
    return ManagerBotSettings(
        token=token,
        callback_secret=signing_key if token else b"",
        webhook_secret=webhook_secret,
        mode=mode,
        username=username.lstrip("@") if username else None,
        api_base=api_base,
        poll_timeout_seconds=s.integer("poll_timeout_seconds", 25, minimum=0, maximum=50),
    )
