"""Drains the outgoing client messages: claim due rows under a lease, send, record outcomes.

A message is stored (queued) in the transaction of the manager's request, so a process killed
before sending loses nothing: the row stays queued, or its lease runs out and another
dispatcher claims it. Rows are claimed in one short transaction (on PostgreSQL with SKIP
LOCKED, so two instances take disjoint rows), sent with no transaction open, and marked sent
only with the platform's message id, in another. Sends end before the lease does, so no other
dispatcher can claim a row still being sent.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from channels.sending import Failed, OutgoingText, Retry, Sender, SendResult, Sent
from crm_core.replies_model import OutgoingMessage, OutgoingMessagePort
from intake.notify.dispatcher import wait_any
from intake.replies.files import load_files

log = logging.getLogger(__name__)

RepliesFactory = Callable[[], AbstractAsyncContextManager[OutgoingMessagePort]]
# Part of the lease kept free for recording the outcomes before another worker may claim.
LEASE_MARGIN = 0.2
# Most platform failures (a 5xx, a dropped connection) pass within a second, and a manager
# waits for "sent": the first retry comes after half a second, then the wait doubles. With
# 20 % of calls failing, one message in five needs a second try, so the first retry's delay
# is what the 95th percentile of delivery time is made of (bench/replies.py).
BASE_DELAY = timedelta(seconds=0.5)
MAX_DELAY = timedelta(minutes=15)
# 0.5 s doubling to 15 min: the 17th try comes about 1 h 30 min after the first. A client
# answered later than that is better told by phone; the manager sees the failure.
MAX_ATTEMPTS = 17
# Each delay is spread over ±25 %, so messages that failed together do not all come back
# in the same second.
JITTER = 0.25


@dataclass(frozen=True, slots=True)
class _NotTried:
    """The lease ran short before the message's turn: hand it back without an attempt."""


_Outcome = SendResult | _NotTried


def backoff(
    attempts: int,
    base: timedelta = BASE_DELAY,
    cap: timedelta = MAX_DELAY,
    rng: random.Random | None = None,
) -> timedelta:
    """The wait after `attempts` failed tries: doubling from `base`, capped, with jitter."""
    exponent = min(max(attempts, 1) - 1, 30)
    delay = min(base * (1 << exponent), cap)
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return delay * spread


class ReplyDispatcher:
    """Sends due outgoing messages through the sender of their channel, with retries."""

    def __init__(
        self,
        replies_factory: RepliesFactory,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        *,
        batch: int = 20,
        lease: timedelta = timedelta(seconds=60),
        concurrency: int = 8,
        max_attempts: int = MAX_ATTEMPTS,
        base_delay: timedelta = BASE_DELAY,
        rng: random.Random | None = None,
    ) -> None:
        """`replies_factory()` opens a transaction and yields the outgoing messages in it."""
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self._replies = replies_factory
        self._senders = dict(senders)
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._rng = rng or random.Random()
        # When the retries this dispatcher scheduled come due (monotonic seconds): it wakes
        # for the soonest instead of waiting out its idle poll.
        self._retries_due: list[float] = []

    async def run_once(self) -> int:
        """Claim one batch of due messages, send them and record the outcomes; returns count."""
        now = self._clock()
        deadline = time.monotonic() + self._lease.total_seconds() * (1 - LEASE_MARGIN)
        async with self._replies() as replies:
            claimed = await replies.claim_due(now, self._batch, now + self._lease)
        if not claimed:
            return 0
        limit = asyncio.Semaphore(self._concurrency)

        async def deliver(message: OutgoingMessage) -> _Outcome:
            async with limit:
                return await self._deliver(message, deadline)

        outcomes = await asyncio.gather(*(deliver(message) for message in claimed))
        done = self._clock()
        async with self._replies() as replies:
            for message, outcome in zip(claimed, outcomes, strict=True):
                await self._record(replies, message, outcome, done)
        return len(claimed)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, idle_poll: float = 1.0) -> None:
        """Drain until `stop` is set; sleep up to `idle_poll` s between batches unless woken."""
        while not stop.is_set():
            wake.clear()  # before the batch, so a wake-up during it is not lost
            try:
                handled = await self.run_once()
            except Exception as err:
                log.error("replies_batch_failed error=%s", type(err).__name__)
                handled = 0
            if handled >= self._batch:
                continue  # probably more due right now
            await wait_any(stop, wake, self._idle_wait(idle_poll))

    def _idle_wait(self, idle_poll: float) -> float:
        """Seconds to wait for a wake-up: the idle poll, or less when a retry comes due."""
        now = time.monotonic()
        while self._retries_due and self._retries_due[0] <= now:
            heapq.heappop(self._retries_due)
        if not self._retries_due:
            return idle_poll
        return min(idle_poll, self._retries_due[0] - now)

    async def _deliver(self, message: OutgoingMessage, deadline: float) -> _Outcome:
        sender = self._senders.get(message.channel)
        if sender is None:
            return Failed(f"{message.channel}: this service cannot send through the channel")
        budget = deadline - time.monotonic()
        if budget <= 0:
            return _NotTried()
        files = await load_files(self._replies, message)
        if files is None:
            return Failed(f"{message.channel}: the message's file is missing from storage")
        text = OutgoingText(
            message.account,
            message.address,
            message.text,
            message.idempotency_key,
            message.context,
            files,
        )
        try:
            async with asyncio.timeout(budget):
                return await sender.send(text)
        except TimeoutError:
            return Retry(f"{message.channel}: no answer within the lease")
        except Exception as err:
            # A sender should translate everything; str(err) may quote the text, so the type only.
            log.error(
                "replies_unexpected_error message_id=%d channel=%s error=%s",
                message.id,
                message.channel,
                type(err).__name__,
            )
            return Retry(f"{message.channel}: unexpected {type(err).__name__}")

    async def _record(
        self,
        replies: OutgoingMessagePort,
        message: OutgoingMessage,
        outcome: _Outcome,
        now: datetime,
    ) -> None:
        if isinstance(outcome, Sent):
            await replies.mark_sent(message.id, outcome.platform_message_id, now)
            log.info(
                "reply_sent message_id=%d channel=%s attempts=%d",
                message.id,
                message.channel,
                message.attempts + 1,
            )
            return
        if isinstance(outcome, _NotTried):
            error = message.last_error or "not tried: the batch ran out of time"
            await replies.mark_retry(message.id, message.attempts, now, error, now)
            return
        attempts = message.attempts + 1
        if isinstance(outcome, Failed) or attempts >= self._max_attempts:
            error = outcome.reason
            if isinstance(outcome, Retry):
                error = f"{error} (gave up after {attempts} attempts)"
            await replies.mark_failed(message.id, attempts, error, now)
            log.warning(
                "reply_failed message_id=%d channel=%s attempts=%d error=%r",
                message.id,
                message.channel,
                attempts,
                error,
            )
            return
        delay = backoff(attempts, self._base_delay, rng=self._rng)
        if outcome.retry_after is not None:
            delay = max(delay, timedelta(seconds=outcome.retry_after))
        await replies.mark_retry(message.id, attempts, now + delay, outcome.reason, now)
        heapq.heappush(self._retries_due, time.monotonic() + delay.total_seconds())
        log.warning(
            "reply_retry message_id=%d channel=%s attempts=%d delay_s=%.1f error=%r",
            message.id,
            message.channel,
            attempts,
            delay.total_seconds(),
            outcome.reason,
        )
