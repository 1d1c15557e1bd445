"""Long polling for Telegram bots with `mode = "polling"`: getUpdates → inbox, then confirm.

Telegram keeps an update until a getUpdates call carries an `offset` above its update_id. The
poller stores a whole batch in the inbox first and only then asks for the next batch with
offset = last update_id + 1, so an update is confirmed only once it is durable. A crash in
between makes Telegram serve the batch again, and the inbox's unique (channel, external_id)
(external_id "{bot}:{update_id}", as for the webhook) turns the repeats into no-ops.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError, ChannelUnavailable, InvalidSubmission
from channels.model import InboundEvent
from channels.telegram.adapter import IgnoredUpdate, parse_update
from channels.telegram.const import CHANNEL
from channels.telegram.polling import PollingConflict, UpdatesClient
from channels.telegram.replies import auto_reply
from config.channel_settings import TelegramBotSettings
from crm_core.model import NewInboxItem
from crm_core.storage import StorageUnavailable
from intake.channel_polling import (
    BACKOFF_MAX_SECONDS,
    BACKOFF_MIN_SECONDS,
    ChannelPoller,
    Clock,
    CountOutcome,
    InboxStore,
    fetched_item,
    following_settings,
    outcome_counter,
)
from intake.clock import utcnow
from intake.reply_gate import ReplyGate, reply_window

if TYPE_CHECKING:
    from intake.bootstrap import Services

log = logging.getLogger(__name__)

POLLING_MODE = "polling"
# Telegram holds a getUpdates call open this long when there is nothing to send.
POLL_TIMEOUT_SECONDS = 25


class TelegramPoller(ChannelPoller):
    """Polls one bot's getUpdates and stores its lead-making updates in the inbox."""

    def __init__(
        self,
        bot: TelegramBotSettings,
        writer: InboxStore,
        metrics: CountOutcome,
        clock: Clock,
        *,
        poll_timeout: int = POLL_TIMEOUT_SECONDS,
        backoff_min: float = BACKOFF_MIN_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
        replies: ReplyGate | None = None,
        current: Callable[[str], TelegramBotSettings | None] | None = None,
    ) -> None:
        if not bot.token:
            raise ValueError(f"telegram bot {bot.name!r} has no token to poll with")
        self._replies = replies or ReplyGate(clock)
        super().__init__(
            "telegram_polling",
            f"bot={bot.name}",
            writer,
            metrics,
            clock,
            backoff_min=backoff_min,
            backoff_max=backoff_max,
        )
        self.bot = bot
        # The bot's settings as last reloaded (a head's new auto-reply counts at once).
        self._current = current
        self._poll_timeout = poll_timeout
        self._client = UpdatesClient(bot.token, bot.api_base)
        # None: Telegram starts from its oldest unconfirmed update (it keeps them 24 h), so
        # nothing needs to be saved across restarts.
        self._offset: int | None = None

    async def _close_client(self) -> None:
        await self._client.close()

    def retune(self, settings: Any) -> bool:
        """A new auto-reply (or any change but the token and API address) applies at once."""
        if not isinstance(settings, TelegramBotSettings):
            return False
        if (settings.token, settings.api_base, settings.mode) != (
            self.bot.token,
            self.bot.api_base,
            self.bot.mode,
        ):
            return False
        self.bot = settings
        return True

    def _transient(self, err: Exception) -> bool:
        # A conflict passes by itself when the other instance stops (a rolling deploy).
        return isinstance(err, ChannelUnavailable | PollingConflict)

    async def poll_once(self) -> float:
        """One getUpdates call and the storing of its batch; returns seconds to wait after."""
        try:
            updates = await self._client.get_updates(self._offset, self._poll_timeout)
        except ChannelError as err:
            return self._failed(err)
        self._answered()
        try:
            fresh = await self._store(updates)
        except StorageUnavailable as err:
            # The offset stays: the next call fetches the same batch, and whatever of it was
            # stored already comes back as a duplicate.
            return self._failed(err)
        if updates:
            last = max(u["update_id"] for u in updates)
            # Never backwards, even if an update below the offset is served again.
            self._offset = max(self._offset or 0, last + 1)
        delay = self._succeeded()
        # Only once the batch is stored, and once per update (a re-served one was answered).
        await self._reply(fresh)
        return delay

    async def _store(self, updates: list[dict[str, Any]]) -> list[InboundEvent]:
        """Store the batch's lead-making updates; returns, once all are committed, the events
        that were new."""
        received_at = self._clock()
        items: list[NewInboxItem] = []
        events: list[InboundEvent] = []
        ignored = rejected = 0
        for update in updates:
            try:
                outcome = parse_update(self.bot.name, update, received_at=received_at)
            except InvalidSubmission as err:
                # The webhook answers 400 and Telegram gives up after some retries; here the
                # update is skipped at once, else it would block every update behind it.
                rejected += 1
                self._count("rejected")
                log.warning(
                    "telegram_update_rejected bot=%s update_id=%s field=%s",
                    self.bot.name,
                    update["update_id"],
                    err.field,
                )
                continue
            if isinstance(outcome, IgnoredUpdate):
                ignored += 1
                self._count("ignored")
                log.debug(
                    "telegram_update_ignored bot=%s update_id=%s kind=%s reason=%s",
                    self.bot.name,
                    outcome.update_id,
                    outcome.kind,
                    outcome.reason,
                )
                continue
            items.append(fetched_item(outcome.event, update))
            events.append(outcome.event)
        fresh = await self._store_each(items)
        created, duplicate = sum(fresh), len(fresh) - sum(fresh)
        if updates:
            log.debug(
                "telegram_updates_stored bot=%s received=%d stored=%d duplicate=%d"
                " ignored=%d rejected=%d",
                self.bot.name,
                len(updates),
                created,
                duplicate,
                ignored,
                rejected,
            )
        return [event for event, new in zip(events, fresh, strict=True) if new]

    async def _reply(self, events: list[InboundEvent]) -> None:
        """Send the configured auto-reply to each new message's sender; a failed send is
        logged, never retried: the message itself is stored already."""
        bot = (self._current(self.bot.name) if self._current else None) or self.bot
        if not bot.auto_reply:
            return
        for event in events:
            call = auto_reply(event, bot.auto_reply, ask_phone=bot.ask_phone)
            if call is None or not self._replies.allow(
                f"{bot.name}:{call['chat_id']}", reply_window(bot)
            ):
                continue
            params = {k: v for k, v in call.items() if k != "method"}
            try:
                await self._client.call(call["method"], params)
            except ChannelError as err:
                log.warning(
                    "telegram_auto_reply_failed bot=%s error=%s", self.bot.name, type(err).__name__
                )


@asynccontextmanager
async def running_pollers(
    services: Services,
) -> AsyncIterator[Mapping[str, ChannelPoller]]:
    """Poll every `mode = "polling"` bot until the block ends; yields the pollers by bot name,
    kept in step with the settings (a head switching a bot's mode on the channels page).

    Exit this before the inbox writer stops, so no store is cut short.
    """
    count = outcome_counter(services, CHANNEL)

    def wanted(services: Services) -> dict[str, TelegramBotSettings]:
        return {
            bot.name: bot
            for bot in services.settings.telegram_bots
            if bot.mode == POLLING_MODE and bot.token
        }

    def make(bot: TelegramBotSettings) -> ChannelPoller:
        return TelegramPoller(
            bot,
            services.writer,
            count,
            utcnow,
            replies=services.replies,
            current=lambda name: next(
                (b for b in services.settings.telegram_bots if b.name == name), None
            ),
        )

    async with following_settings(services, wanted, make) as started:
        yield started
