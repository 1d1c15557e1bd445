"""Health of Telegram bots in webhook mode: getWebhookInfo every few minutes.

A webhook bot's failures happen on Telegram's side (the webhook was deleted, our answers
failed, a certificate expired) and reach us as silence. Telegram reports them through
getWebhookInfo, so the watch asks and turns what it says into the channel's state, which
/readyz, /metrics and the heads' alerts read like any other channel's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError
from channels.telegram.polling import UpdatesClient
from config.channel_settings import TelegramBotSettings
from intake.channel_polling import (
    ChannelPoller,
    Clock,
    CountOutcome,
    InboxStore,
    following_settings,
    outcome_counter,
)
from intake.clock import utcnow

if TYPE_CHECKING:
    from intake.bootstrap import Services

CHECK_SECONDS = 300.0
# A delivery error this recent means deliveries fail now (Telegram retries for a while).
RECENT_ERROR_SECONDS = 600.0
WEBHOOK_MODE = "webhook"


class WebhookUnhealthy(ChannelError):
    """Telegram says the webhook is unset or its deliveries fail."""


class TelegramWebhookWatch(ChannelPoller):
    """Asks Telegram how the bot's webhook is doing; stores nothing itself."""

    def __init__(
        self,
        bot: TelegramBotSettings,
        writer: InboxStore,
        metrics: CountOutcome,
        clock: Clock,
        *,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        if not bot.token:
            raise ValueError(f"telegram bot {bot.name!r} has no token to ask Telegram with")
        super().__init__("telegram_webhook", f"bot={bot.name}", writer, metrics, clock)
        self._check_seconds = check_seconds
        self._client = UpdatesClient(bot.token, bot.api_base)
        self._account = (bot.token, bot.api_base)

    async def _close_client(self) -> None:
        await self._client.close()

    def retune(self, settings: Any) -> bool:
        """Only the token and API address matter to the watch."""
        return isinstance(settings, TelegramBotSettings) and self._account == (
            settings.token,
            settings.api_base,
        )

    async def poll_once(self) -> float:
        """One getWebhookInfo; returns the wait before the next."""
        try:
            info = await self._client.webhook_info()
        except ChannelError as err:
            self._failed(err)
            return self._check_seconds
        self._answered()
        pending = info.get("pending_update_count")
        self.backlog = pending if isinstance(pending, int) else 0
        problem = self._problem(info)
        if problem is not None:
            self._failed(WebhookUnhealthy(problem))
            self.connected = True  # Telegram answered; it is the webhook that is unwell
            return self._check_seconds
        self._succeeded()
        return self._check_seconds

    def _problem(self, info: dict[str, object]) -> str | None:
        if not info.get("url"):
            return "telegram: the bot's webhook is not set (setWebhook)"
        error_at = info.get("last_error_date")
        message = info.get("last_error_message")
        if isinstance(error_at, int) and isinstance(message, str):
            when = datetime.fromtimestamp(error_at, UTC)
            # Only a recent delivery error counts: Telegram keeps the last one for good.
            recent = max(2 * self._check_seconds, RECENT_ERROR_SECONDS)
            if self._clock() - when < timedelta(seconds=recent):
                return f"telegram: webhook deliveries fail ({message[:200]})"
        return None

    def _transient(self, err: Exception) -> bool:
        # An unset webhook or failing deliveries: checked again at the normal interval.
        return True


@asynccontextmanager
async def running_webhook_watches(
    services: Services,
) -> AsyncIterator[Mapping[str, ChannelPoller]]:
    """Watch every webhook-mode bot that has its token; yields the watches by bot name,
    kept in step with the settings (a bot switched to polling loses its watch)."""
    count = outcome_counter(services, "telegram")

    def wanted(services: Services) -> dict[str, TelegramBotSettings]:
        return {
            bot.name: bot
            for bot in services.settings.telegram_bots
            if bot.mode == WEBHOOK_MODE and bot.token
        }

    def make(bot: TelegramBotSettings) -> ChannelPoller:
        return TelegramWebhookWatch(bot, services.writer, count, utcnow)

    async with following_settings(services, wanted, make) as started:
        yield started
