"""What the channels that fetch their own events share: the poll loop, backoff, health state,
failure handling and the group-committed store of a batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from channels.errors import ChannelError, ChannelUnavailable
from channels.model import InboundEvent
from crm_core.model import InboxReceipt, NewInboxItem
from crm_core.storage import StorageUnavailable
from intake.background import BackgroundLoop

if TYPE_CHECKING:
    from intake.bootstrap import Services

log = logging.getLogger(__name__)

BACKOFF_MIN_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0


class InboxStore(Protocol):
    """Where accepted events go: the inbox writer (returns once the item is committed)."""

    async def store(self, item: NewInboxItem) -> InboxReceipt:
        """Persist the item idempotently; raise StorageUnavailable when that is impossible."""


CountOutcome = Callable[[str], None]
Clock = Callable[[], datetime]
K = TypeVar("K")
P = TypeVar("P", bound="ChannelPoller")


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


def outcome_counter(services: Services, channel: str) -> CountOutcome:
    """How a channel's pollers count what became of each event (the intake counter)."""
    counter = services.metrics.intake_requests

    def count(outcome: str) -> None:
        counter.labels(channel, outcome).inc()

    return count


def fetched_item(event: InboundEvent, update: dict[str, Any]) -> NewInboxItem:
    """The inbox row of a fetched event: the webhook's shape, without HTTP headers."""
    return NewInboxItem(
        channel=event.channel,
        source=event.source,
        external_id=event.external_id,
        received_at=event.received_at,
        payload={"update": update},
        headers={},
        event=event.to_json(),
    )


@asynccontextmanager
async def running(pollers: Mapping[K, P]) -> AsyncIterator[Mapping[K, P]]:
    """Start the pollers; stop them all when the block ends."""
    for poller in pollers.values():
        poller.start()
    try:
        yield pollers
    finally:
        for poller in pollers.values():
            await poller.stop()


# How often a poller group looks whether the settings were reloaded (a head's change).
FOLLOW_SECONDS = 0.2
S = TypeVar("S")


@asynccontextmanager
async def following_settings(
    services: Services,
    wanted: Callable[[Services], Mapping[str, S]],
    make: Callable[[S], ChannelPoller],
    *,
    every: float = FOLLOW_SECONDS,
) -> AsyncIterator[Mapping[str, ChannelPoller]]:
    """Run a poller for each source `wanted(services)` names, kept in step with the settings
    as they are reloaded (`services.settings_version`): a source switched to polling gets a
    poller, one switched away loses it, a changed one is retuned or restarted; without a
    restart of the service. Yields the live mapping of pollers by source name."""
    live: dict[str, ChannelPoller] = {}
    current: dict[str, S] = {}
    lock = asyncio.Lock()

    async def reconcile() -> None:
        async with lock:
            await _reconcile()

    async def _reconcile() -> None:
        want = dict(wanted(services))
        for name, poller in list(live.items()):
            new = want.get(name)
            if new == current[name]:
                continue
            if new is not None and poller.retune(new):
                current[name] = new
                continue
            del live[name], current[name]
            await poller.stop()
        for name, value in want.items():
            if name not in live:
                poller = make(value)
                poller.start()
                live[name], current[name] = poller, value

    async def follow(seen: int) -> None:
        while True:
            await asyncio.sleep(every)
            if services.settings_version == seen:
                continue
            seen = services.settings_version
            try:
                await reconcile()
            except Exception:  # a bad source must not end the following for the others
                log.exception("channel_pollers_reconcile_failed")

    # The version read before the first reconcile: a change while it runs is not missed.
    seen = services.settings_version
    await reconcile()
    task = asyncio.create_task(follow(seen), name="channel-pollers-follow")
    services.follow_settings.append(reconcile)
    try:
        yield live
    finally:
        services.follow_settings.remove(reconcile)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for poller in list(live.values()):
            await poller.stop()


class PrefixedPollers(Mapping[str, "ChannelPoller"]):
    """Several groups' live mappings seen as one, each name as "<prefix>:<name>"."""

    def __init__(self) -> None:
        self._groups: list[tuple[str, Mapping[str, ChannelPoller]]] = []

    def add(self, prefix: str, pollers: Mapping[str, ChannelPoller]) -> None:
        """Show another group's pollers (the mapping is read live)."""
        self._groups.append((prefix, pollers))

    def _items(self) -> dict[str, ChannelPoller]:
        return {
            f"{prefix}:{name}": poller
            for prefix, pollers in self._groups
            for name, poller in list(pollers.items())
        }

    def __getitem__(self, key: str) -> ChannelPoller:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())


class ChannelPoller(ABC):
    """One source polled in a loop; failures are recorded, logged and retried, never raised.

    State for health checks: `connected` (the platform answered the last call),
    `last_event_at` (when an event last went into the inbox), `last_error` (the problem
    polling has now, None once a poll succeeds), `failing_since` (when the current run of
    failures began), `updates_stored` (new inbox rows) and `backlog` (events waiting).
    Logs read `<log_prefix>_failed <log_id> ...` and name no person, token or key.
    """

    def __init__(
        self,
        log_prefix: str,
        log_id: str,
        writer: InboxStore,
        metrics: CountOutcome,
        clock: Clock,
        *,
        backoff_min: float = BACKOFF_MIN_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
    ) -> None:
        self._log_prefix = log_prefix
        self._log_id = log_id
        self._writer = writer
        self._count = metrics
        self._clock = clock
        self._backoff = Backoff(backoff_min, backoff_max)
        self._loop = BackgroundLoop(f"{log_prefix}-{log_id}", self.run)
        self.connected = False
        self.last_event_at: datetime | None = None
        # Since when the channel has been failing without a success in between (alerts).
        self.failing_since: datetime | None = None
        self._last_error: str | None = None
        self.updates_stored = 0
        # Events known to be waiting: at the platform (a webhook's pending updates, messages
        # still to fetch) or in memory until the inbox takes them.
        self.backlog = 0

    @property
    def last_error(self) -> str | None:
        """The problem the channel has now; None once it works again."""
        return self._last_error

    @last_error.setter
    def last_error(self, value: str | None) -> None:
        if value is None:
            self.failing_since = None
        elif self.failing_since is None:
            self.failing_since = self._clock()
        self._last_error = value

    @abstractmethod
    async def poll_once(self) -> float:
        """One call to the platform and the storing of what it sent; returns the wait after."""

    @abstractmethod
    async def _close_client(self) -> None:
        """Release the platform client."""

    def _transient(self, err: Exception) -> bool:
        """Failures that pass by themselves (retried with backoff, not at the slow cap)."""
        return isinstance(err, ChannelUnavailable)

    def retune(self, settings: Any) -> bool:
        """Take changed settings of the source without a restart, if this poller can (the
        same account, another auto-reply text); False: stop it and start a new one."""
        return False

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
        """Close the platform client (`run` does so when it ends)."""
        self.connected = False
        await self._close_client()

    async def run(self) -> None:
        """Poll until cancelled."""
        log.info("%s_started %s", self._log_prefix, self._log_id)
        try:
            while True:
                try:
                    delay = await self.poll_once()
                except Exception as err:  # a bug in one batch must not end polling for good
                    log.exception("%s_crashed %s", self._log_prefix, self._log_id)
                    delay = self._failed(err)
                if delay:
                    await asyncio.sleep(delay)
        finally:
            await self.close()
            log.info("%s_stopped %s", self._log_prefix, self._log_id)

    def _answered(self) -> None:
        """The platform answered: note a recovery."""
        if not self.connected and self.last_error is not None:
            log.info("%s_recovered %s", self._log_prefix, self._log_id)
        self.connected = True

    def _succeeded(self) -> float:
        """A poll stored everything it got: no wait, and the backoff starts over."""
        self._backoff.reset()
        self.last_error = None
        return 0.0

    async def _store_items(self, items: Sequence[NewInboxItem]) -> tuple[int, int]:
        """Store a batch; returns (created, duplicate) only once every item is committed."""
        fresh = await self._store_each(items)
        return sum(fresh), len(fresh) - sum(fresh)

    async def _store_each(self, items: Sequence[NewInboxItem]) -> list[bool]:
        """Store a batch; returns, in order, whether each item was new, once all are committed."""
        # Concurrent stores share one commit of the inbox writer (group commit).
        results = await asyncio.gather(
            *(self._writer.store(item) for item in items), return_exceptions=True
        )
        fresh: list[bool] = []
        failure: BaseException | None = None
        for result in results:
            if isinstance(result, BaseException):
                failure = failure or result
                continue
            fresh.append(result.created)
            self._count("accepted" if result.created else "duplicate")
        self.updates_stored += sum(fresh)
        if fresh:
            self.last_event_at = self._clock()
        if failure is not None:
            raise failure
        return fresh

    def _failed(self, err: Exception) -> float:
        """Record and log a failure; returns how long to wait before trying again."""
        level = logging.WARNING
        if isinstance(err, StorageUnavailable):
            # The platform answered; it is our database that failed.
            self.last_error = f"storage unavailable: {err}"
            delay = self._backoff.next_delay()
        elif self._transient(err):
            self.connected = False
            self.last_error = str(err)
            retry_after = err.retry_after if isinstance(err, ChannelUnavailable) else None
            # Flood control names its wait; asking earlier only earns another refusal.
            delay = retry_after if retry_after is not None else self._backoff.next_delay()
        else:
            # A refused token (or a bug): only a change of settings or code helps, so ask
            # rarely, but keep asking rather than stop the service.
            self.connected = False
            self.last_error = str(err) if isinstance(err, ChannelError) else type(err).__name__
            delay = self._backoff.cap
            level = logging.ERROR
        log.log(
            level,
            "%s_failed %s error=%s retry_in=%g reason=%s",
            self._log_prefix,
            self._log_id,
            type(err).__name__,
            delay,
            # Our own messages name no person and no token; a database's might quote data.
            str(err) if isinstance(err, ChannelError) else "-",
        )
        return delay
