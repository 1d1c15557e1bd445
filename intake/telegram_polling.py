"""Long polling for Telegram bots with `mode = "polling"`: getUpdates → inbox, then confirm.

Telegram keeps an update until a getUpdates call carries an `offset` above its update_id. The
poller stores a whole batch in the inbox first and only then asks for the next batch with
offset = last update_id + 1, so an update is confirmed only once it is durable. A crash in
between makes Telegram serve the batch again, and the inbox's unique (channel, external_id)
(external_id "{bot}:{update_id}", as for the webhook) turns the repeats into no-ops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from channels.errors import ChannelError, ChannelUnavailable, InvalidSubmission
from channels.model import InboundEvent
from channels.telegram.adapter import IgnoredUpdate, parse_update
from channels.telegram.const import CHANNEL
from channels.telegram.polling import PollingConflict, UpdatesClient
from config.channel_settings import TelegramBotSettings
from crm_core.model import InboxReceipt, NewInboxItem
from crm_core.storage import StorageUnavailable
from intake.background import BackgroundLoop
from intake.clock import utcnow

if TYPE_CHECKING:
    from intake.bootstrap import Services

log = logging.getLogger(__name__)

POLLING_MODE = "polling"
# Telegram holds a getUpdates call open this long when there is nothing to send.
POLL_TIMEOUT_SECONDS = 25
BACKOFF_MIN_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0


class InboxStore(Protocol):
    """Where accepted updates go: the inbox writer (returns once the item is committed)."""

    async def store(self, item: NewInboxItem) -> InboxReceipt:
        """Persist the item idempotently; raise StorageUnavailable when that is impossible."""


CountOutcome = Callable[[str], None]
Clock = Callable[[], datetime]


class Backoff:
    """Delays between retries: `first`, doubling up to `cap`; back to `first` after a success."""

    def __init__(self, first: float, cap: float) -> None:
        self.first = first
        self.cap = cap
        self._next = first

    def next_delay(self) -> float:
        """The delay before the next retry (and double it for the one after)."""
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return delay

    def reset(self) -> None:
        """Start again from `first`."""
        self._next = self.first


class TelegramPoller:
    """Polls one bot's getUpdates and stores its lead-making updates in the inbox.

    State for health checks: `connected` (the last getUpdates call was answered),
    `last_event_at` (when an update last went into the inbox), `last_error` (the problem
    polling has now, None once a poll succeeds) and `updates_stored` (new inbox rows).
    """

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
    ) -> None:
        if not bot.token:
            raise ValueError(f"telegram bot {bot.name!r} has no token to poll with")
        self.bot = bot
        self._writer = writer
        self._count = metrics
        self._clock = clock
        self._poll_timeout = poll_timeout
        self._backoff = Backoff(backoff_min, backoff_max)
        self._client = UpdatesClient(bot.token, bot.api_base)
        # None: Telegram starts from its oldest unconfirmed update (it keeps them 24 h), so
        # nothing needs to be saved across restarts.
        self._offset: int | None = None
        self._loop = BackgroundLoop(f"telegram-poller-{bot.name}", self.run)
        self.connected = False
        self.last_event_at: datetime | None = None
        self.last_error: str | None = None
        self.updates_stored = 0

    @property
    def running(self) -> bool:
        """True while the polling task is alive."""
        return self._loop.running

    def start(self) -> None:
        """Start the polling task."""
        self._loop.start()

    async def stop(self) -> None:
        """Cancel polling; a batch being stored is left to the inbox writer, not confirmed."""
        await self._loop.stop()

    async def close(self) -> None:
        """Close the Bot API session (`run` does so when it ends)."""
        self.connected = False
        await self._client.close()

    async def run(self) -> None:
        """Poll until cancelled; failures are recorded, logged and retried, never raised."""
        log.info("telegram_polling_started bot=%s", self.bot.name)
        try:
            while True:
                try:
                    delay = await self.poll_once()
                except Exception as err:  # a bug in one batch must not end polling for good
                    log.exception("telegram_polling_crashed bot=%s", self.bot.name)
                    delay = self._failed(err)
                if delay:
                    await asyncio.sleep(delay)
        finally:
            await self.close()
            log.info("telegram_polling_stopped bot=%s", self.bot.name)

    async def poll_once(self) -> float:
        """One getUpdates call and the storing of its batch; returns seconds to wait after."""
        try:
            updates = await self._client.get_updates(self._offset, self._poll_timeout)
        except ChannelError as err:
            return self._failed(err)
        if not self.connected and self.last_error is not None:
            log.info("telegram_polling_recovered bot=%s", self.bot.name)
        self.connected = True
        try:
            await self._store(updates)
        except StorageUnavailable as err:
            # The offset stays: the next call fetches the same batch, and whatever of it was
            # stored already comes back as a duplicate.
            return self._failed(err)
        if updates:
            last = max(u["update_id"] for u in updates)
            # Never backwards, even if an update below the offset is served again.
            self._offset = max(self._offset or 0, last + 1)
        self._backoff.reset()
        self.last_error = None
        return 0.0

    async def _store(self, updates: list[dict[str, Any]]) -> None:
        """Store the batch's lead-making updates; returns only once all are committed."""
        received_at = self._clock()
        items: list[NewInboxItem] = []
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
            items.append(inbox_item(outcome.event, update))
        # Concurrent stores share one commit of the inbox writer (group commit).
        results = await asyncio.gather(
            *(self._writer.store(item) for item in items), return_exceptions=True
        )
        created = duplicate = 0
        failure: BaseException | None = None
        for result in results:
            if isinstance(result, BaseException):
                failure = failure or result
            elif result.created:
                created += 1
                self._count("accepted")
            else:
                duplicate += 1
                self._count("duplicate")
        self.updates_stored += created
        if created or duplicate:
            self.last_event_at = self._clock()
        if failure is not None:
            raise failure
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

    def _failed(self, err: Exception) -> float:
        """Record and log a failure; returns how long to wait before trying again."""
        level = logging.WARNING
        if isinstance(err, StorageUnavailable):
            # Telegram answered; it is our database that failed.
            self.last_error = f"storage unavailable: {err}"
            delay = self._backoff.next_delay()
        elif isinstance(err, ChannelUnavailable):
            self.connected = False
            self.last_error = str(err)
            # Flood control names its wait; asking earlier only earns another 429.
            delay = err.retry_after if err.retry_after is not None else self._backoff.next_delay()
        elif isinstance(err, PollingConflict):
            # Passes by itself when the other instance stops (a rolling deploy).
            self.connected = False
            self.last_error = str(err)
            delay = self._backoff.next_delay()
        else:
            # A refused token (or a bug): only a change of settings or code helps, so ask
            # rarely, but keep asking rather than stop the service.
            self.connected = False
            self.last_error = str(err) if isinstance(err, ChannelError) else type(err).__name__
            delay = self._backoff.cap
            level = logging.ERROR
        log.log(
            level,
            "telegram_polling_failed bot=%s error=%s retry_in=%g reason=%s",
            self.bot.name,
            type(err).__name__,
            delay,
            # Our own messages name no person and no token; a database's might quote data.
            str(err) if isinstance(err, ChannelError) else "-",
        )
        return delay


def inbox_item(event: InboundEvent, update: dict[str, Any]) -> NewInboxItem:
    """The inbox row of an accepted update: the same shape the webhook stores."""
    return NewInboxItem(
        channel=event.channel,
        source=event.source,
        external_id=event.external_id,
        received_at=event.received_at,
        payload={"update": update},
        headers={},  # no HTTP request of Telegram's to keep headers from
        event=event.to_json(),
    )


@asynccontextmanager
async def running_pollers(services: Services) -> AsyncIterator[dict[str, TelegramPoller]]:
    """Poll every `mode = "polling"` bot until the block ends; yields the pollers by bot name.

    Exit this before the inbox writer stops, so no store is cut short.
    """
    counter = services.metrics.intake_requests

    def count(outcome: str) -> None:
        counter.labels(CHANNEL, outcome).inc()

    pollers = {
        bot.name: TelegramPoller(bot, services.writer, count, utcnow)
        for bot in services.settings.telegram_bots
        if bot.mode == POLLING_MODE
    }
    for poller in pollers.values():
        poller.start()
    try:
        yield pollers
    finally:
        for poller in pollers.values():
            await poller.stop()
