"""Settings of the messaging channels, kept importable here: each channel parses its own
section (channels/<name>/settings.py), found through its spec in channels/registry.py."""

from channels.email.settings import EMAIL_SECURITY, EmailMailboxSettings, email_mailboxes
from channels.telegram.settings import DEFAULT_AUTO_REPLY, TelegramBotSettings, telegram_bots
from channels.vk.settings import VkGroupSettings, vk_groups

__all__ = [
    "DEFAULT_AUTO_REPLY",
    "EMAIL_SECURITY",
    "EmailMailboxSettings",
    "TelegramBotSettings",
    "VkGroupSettings",
    "email_mailboxes",
    "telegram_bots",
    "vk_groups",
]
