"""Settings of the messaging channels: Telegram bots and VK communities.

Secrets (bot tokens, webhook secret tokens, VK secret keys and access tokens) are read from
the environment variables the `*_env` keys name, never from the TOML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from config.reader import Section


@dataclass(frozen=True, slots=True)
class TelegramBotSettings:
    """A company's Telegram bot: `POST /hooks/telegram/{name}` receives its updates."""

    name: str
    token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    queue: str | None = None
    pipeline: str | None = None


@dataclass(frozen=True, slots=True)
class VkGroupSettings:
    """A VK community: `POST /hooks/vk/{group_id}` receives its Callback API events."""

    group_id: int
    confirmation: str
    secret: str | None = field(default=None, repr=False)
    queue: str | None = None
    pipeline: str | None = None


def telegram_bots(root: Section, env: Mapping[str, str]) -> tuple[TelegramBotSettings, ...]:
    """`[[telegram.bots]]` entries."""
    return ()


def vk_groups(root: Section, env: Mapping[str, str]) -> tuple[VkGroupSettings, ...]:
    """`[[vk.groups]]` entries."""
    return ()
