"""Pointing a company bot's updates at us or taking them back: setWebhook (with the secret
Telegram then sends in X-Telegram-Bot-Api-Secret-Token) and deleteWebhook (so getUpdates
works), through the poller's Bot API client; failures in the head's words."""

from __future__ import annotations

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.telegram.polling import UpdatesClient
from channels.telegram.settings import TelegramBotSettings


def hook_path(bot_name: str) -> str:
    """The path our webhook for this bot is served at (channels/telegram/spec)."""
    return f"/hooks/telegram/{bot_name}"


async def register_webhook(bot: TelegramBotSettings, public_url: str) -> str:
    """setWebhook to `public_url` + the bot's hook path with its secret; returns the URL."""
    if not bot.token:
        raise ChannelAuthFailed(f"telegram: the bot {bot.name!r} has no token")
    url = public_url.rstrip("/") + hook_path(bot.name)
    client = UpdatesClient(bot.token, bot.api_base)
    try:
        await client.set_webhook(url, bot.webhook_secret)
    finally:
        await client.close()
    return url


async def remove_webhook(bot: TelegramBotSettings) -> None:
    """deleteWebhook, so the bot can be polled (Telegram keeps the pending updates)."""
    if not bot.token:
        raise ChannelAuthFailed(f"telegram: the bot {bot.name!r} has no token")
    client = UpdatesClient(bot.token, bot.api_base)
    try:
        await client.delete_webhook()
    finally:
        await client.close()


def in_russian(err: ChannelError) -> str:
    """The head's words for a failed setWebhook or deleteWebhook."""
    if isinstance(err, ChannelAuthFailed):
        return "Telegram не принял токен бота: проверьте токен в окружении"
    if isinstance(err, ChannelUnavailable):
        return f"Telegram недоступен, попробуйте позже ({err})"
    text = str(err)
    if "HTTPS" in text or "https" in text:
        return (
            "Telegram принимает вебхук только по HTTPS (порты 443, 80, 88, 8443): "
            f"проверьте http.public_url ({text})"
        )
    return f"Telegram отказал ({text})"
