"""Drains the notification outbox: claim due messages, send them, record each outcome.

Delivery is at least once. Messages are claimed (leased) in one short transaction, sent with
no transaction open, and their outcomes recorded in another. A crash or a lost database
between sending and recording lets the lease run out and the message go again, so a manager
may rarely get a notification twice; never none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from crm_core.notifications import NotificationChannel, OutboxMessage, OutboxPort
from intake.notify.backoff import MAX_ATTEMPTS, retry_delay
from intake.notify.errors import DeliveryFailed

log = logging.getLogger(__name__)

OutboxFactory = Callable[[], AbstractAsyncContextManager[OutboxPort]]
# Part of the lease kept free for recording the outcomes before another worker may claim.
LEASE_MARGIN = 0.2


class Notifier(Protocol):
    """Delivers one outbox message through one channel, or raises DeliveryFailed."""

    async def send(self, message: OutboxMessage) -> None:
        """Deliver the message; raise DeliveryFailed(permanent=...) when it did not go."""
        ...


@dataclass(frozen=True, slots=True)
class _Sent:
    pass


@dataclass(frozen=True, slots=True)
class _Failed:
    error: str
    permanent: bool
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class _NotTried:
    """The lease ran short before the message's turn: hand it back without an attempt."""


_Outcome = _Sent | _Failed | _NotTried


class Dispatcher:
    """Sends due outbox messages through the notifier of their channel, with retries."""

    def __init__(
        self,
        outbox_factory: OutboxFactory,
        notifiers: Mapping[NotificationChannel, Notifier],
        clock: Callable[[], datetime],
        batch: int = 50,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = 8,
    ) -> None:
        """`outbox_factory()` opens a transaction and yields the outbox inside it."""
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self._outbox = outbox_factory
        self._notifiers = dict(notifiers)
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._concurrency = concurrency

    async def run_once(self) -> int:
        """Claim one batch of due messages, send them and record the outcomes; returns count."""
        now = self._clock()
        # Sends must end before the lease does, or another worker could claim and resend.
        deadline = time.monotonic() + self._lease.total_seconds() * (1 - LEASE_MARGIN)
        async with self._outbox() as outbox:
            claimed = await outbox.claim_due(now, self._batch, now + self._lease)
            # Each claimed message is sent by exactly one task, even if listed twice.
            unique = list({message.id: message for message in claimed}.values())
            # In-process notifiers (the in-app stream) answer at once: they are delivered and
            # recorded in the claim's transaction, one write transaction instead of two. Should
            # that commit fail, the event is published again later under the same id.
            messages = []
            for message in unique:
                if getattr(self._notifiers.get(message.channel), "instant", False):
                    outcome = await self._deliver(message, deadline)
                    await self._record(outbox, message, outcome, now)
                else:
                    messages.append(message)
        if not messages:
            return len(unique)
        limit = asyncio.Semaphore(self._concurrency)

        async def deliver(message: OutboxMessage) -> _Outcome:
            async with limit:
                return await self._deliver(message, deadline)

        outcomes = await asyncio.gather(*(deliver(message) for message in messages))
        done = self._clock()
        async with self._outbox() as outbox:
            for message, outcome in zip(messages, outcomes, strict=True):
                await self._record(outbox, message, outcome, done)
        return len(unique)

    async def run(
        self,
        stop: asyncio.Event,
        wake: asyncio.Event,
        idle_poll: float = 1.0,
        coalesce: float = 0.0,
    ) -> None:
        """Drain until `stop` is set; sleep up to `idle_poll` s between batches unless woken.

        After a wake-up, `coalesce` seconds let more messages gather: each batch costs two
        write transactions, which on SQLite compete with the intake for the one write lock.
        """
        while not stop.is_set():
            wake.clear()  # before the batch, so a wake-up during it is not lost
            try:
                handled = await self.run_once()
            except Exception as err:
                log.error(
                    "notify_batch_failed error=%s where=%s", type(err).__name__, _origin(err)
                )
                handled = 0
            if handled >= self._batch:
                continue  # probably more due right now
            await wait_any(stop, wake, idle_poll)
            if coalesce and not stop.is_set():
                await wait_any(stop, asyncio.Event(), coalesce)

    async def _deliver(self, message: OutboxMessage, deadline: float) -> _Outcome:
        notifier = self._notifiers.get(message.channel)
        if notifier is None:
            return _Failed(f"no notifier configured for channel {message.channel!s}", True)
        budget = deadline - time.monotonic()
        if budget <= 0:
            return _NotTried()
        try:
            async with asyncio.timeout(budget):
                await notifier.send(message)
        except DeliveryFailed as err:
            return _Failed(err.message, err.permanent, err.retry_after)
        except TimeoutError:
            return _Failed(f"{message.channel!s}: no answer within the lease", False)
        except Exception as err:
            # str(err) may quote the payload: log and store only the type and where it arose.
            where = _origin(err)
            log.error(
                "notify_unexpected_error outbox_id=%d channel=%s error=%s where=%s",
                message.id,
                message.channel,
                type(err).__name__,
                where,
            )
            return _Failed(f"{message.channel!s}: unexpected {type(err).__name__}", False)
        return _Sent()

    async def _record(
        self, outbox: OutboxPort, message: OutboxMessage, outcome: _Outcome, now: datetime
    ) -> None:
        if isinstance(outcome, _Sent):
            await outbox.mark_sent(message.id, now)
            log.debug(
                "notify_sent outbox_id=%d channel=%s kind=%s attempts=%d",
                message.id,
                message.channel,
                message.kind,
                message.attempts + 1,
            )
            return
        if isinstance(outcome, _NotTried):
            # Not an attempt: keep the count and the last real error, due again right away.
            error = message.last_error or "not tried: the batch ran out of time"
            await outbox.mark_retry(message.id, message.attempts, now, error)
            return
        attempts = message.attempts + 1
        if outcome.permanent or attempts >= MAX_ATTEMPTS:
            error = outcome.error
            if not outcome.permanent:
                error = f"{error} (gave up after {attempts} attempts)"
            await outbox.mark_failed(message.id, now, error)
            log.warning(
                "notify_failed outbox_id=%d channel=%s kind=%s attempts=%d error=%r",
                message.id,
                message.channel,
                message.kind,
                attempts,
                error,
            )
            return
        delay = retry_delay(attempts)
        if outcome.retry_after is not None:
            delay = max(delay, timedelta(seconds=outcome.retry_after))
        await outbox.mark_retry(message.id, attempts, now + delay, outcome.error)
        log.warning(
            "notify_retry outbox_id=%d channel=%s kind=%s attempts=%d delay_s=%d error=%r",
            message.id,
            message.channel,
            message.kind,
            attempts,
            delay.total_seconds(),
            outcome.error,
        )


async def wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    """Return when either event is set or after `seconds`."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)


def _origin(err: BaseException) -> str:
    """file:line where an exception was raised (no message: it may hold personal data)."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno}"
