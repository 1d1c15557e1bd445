"""Drains the outgoing client messages: claim due rows under a lease, send, record outcomes.

A message is stored (queued) in the transaction of the manager's request, so a process killed
before sending loses nothing: the row stays queued, or its lease runs out and another
dispatcher claims it. Rows are claimed in short transactions (on PostgreSQL with SKIP LOCKED,
so two instances take disjoint rows), sent with no transaction open, and marked sent only with
the platform's message id. Sends end before the lease does, so no other dispatcher can claim a
row still being sent. Of the messages to one chat only the earliest queued can be claimed, so
a chat receives them in the order they were stored, whichever process sends them.

The running dispatcher (`run`) overlaps claiming, sending and recording: it holds up to
`batch` claimed messages, of which up to `concurrency` are being sent; a send that ends starts
the next held one at once; outcomes are stored in batches as they arrive (one statement for
all those sent), and a claim follows every wake-up (a message stored in this process), every
stored batch of outcomes (a chat's next message may now be due) and every retry coming due,
and at least every idle poll (what other processes stored). A slow send holds back nothing
but its own chat.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from channels.sending import Failed, OutgoingText, Retry, Sender, SendResult, Sent
from crm_core.replies_model import OutgoingMessage, OutgoingMessagePort
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
    """The lease ran short before the message's turn, or the dispatcher is stopping: hand it
    back without an attempt."""


_Outcome = SendResult | _NotTried
# A send that ended: the message, its outcome and when it ended (monotonic seconds; None:
# just now).
_Ended = tuple[OutgoingMessage, _Outcome, float | None]


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
        if concurrency < 1 or batch < 1:
            raise ValueError("the batch and the concurrency must be at least 1")
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
        deadline = self._send_deadline()
        async with self._replies() as replies:
            claimed = await replies.claim_due(now, self._batch, now + self._lease)
        if not claimed:
            return 0
        limit = asyncio.Semaphore(self._concurrency)

        async def deliver(message: OutgoingMessage) -> _Outcome:
            async with limit:
                return await self._deliver(message, deadline)

        outcomes = await asyncio.gather(*(deliver(message) for message in claimed))
        await self._record_all([(m, o, None) for m, o in zip(claimed, outcomes, strict=True)])
        return len(claimed)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, idle_poll: float = 1.0) -> None:
        """Send until `stop` is set, up to `concurrency` messages at a time; `wake` (set when
        a message is stored in this process) claims at once, otherwise every `idle_poll` s
        (what other processes stored) or when a retry comes due.

        Claiming and recording run side by side (on PostgreSQL on two connections), so a
        message stored while outcomes are being written is claimed without waiting for them.
        """
        sends = _Sends(self._deliver, self._concurrency, stop)
        recorded = asyncio.Event()  # outcomes stored: slots freed, a chat's next message due
        finishing = asyncio.Event()
        claimer = asyncio.create_task(self._claim_loop(sends, stop, wake, recorded, idle_poll))
        recorder = asyncio.create_task(self._record_loop(sends, finishing, recorded, idle_poll))
        try:
            await claimer
            # Stopping: hand back what has not started; let the sends under way end (each
            # within its lease) and store them, so none is sent again after the lease.
            sends.hand_back()
            await sends.settle()
            finishing.set()
            await recorder
        finally:
            claimer.cancel()
            recorder.cancel()
            sends.cancel()

    async def _claim_loop(
        self,
        sends: _Sends,
        stop: asyncio.Event,
        wake: asyncio.Event,
        recorded: asyncio.Event,
        idle_poll: float,
    ) -> None:
        """Claim due messages into `sends` whenever woken, until `stop` is set."""
        while not stop.is_set():
            wake.clear()  # before the claim, so a message stored during it is not missed
            recorded.clear()
            # Up to `batch` messages are held (sending or waiting for a slot), so the sends go
            # on at full concurrency while a claim waits for the database.
            want = max(0, self._batch - sends.held)
            if sends.held and want < min(self._batch, self._concurrency) // 2:
                want = 0  # plenty held: claim in fewer, larger transactions
            wait = self._idle_wait(idle_poll)
            if want:
                try:
                    now = self._clock()
                    async with self._replies() as replies:
                        claimed = await replies.claim_due(now, want, now + self._lease)
                except Exception as err:
                    log.error("replies_claim_failed error=%s", type(err).__name__)
                    claimed, wait = [], idle_poll
                sends.add(claimed, self._send_deadline())
                if claimed and len(claimed) == want:
                    continue  # a full claim: probably more due right now
            await _wait_any(wait, stop, wake, recorded)

    async def _record_loop(
        self,
        sends: _Sends,
        finishing: asyncio.Event,
        recorded: asyncio.Event,
        idle_poll: float,
    ) -> None:
        """Store the outcomes of ended sends as they come, until `finishing` and all stored."""
        unrecorded: list[_Ended] = []
        while True:
            sends.progress.clear()
            unrecorded += sends.take_outcomes()
            wait: float | None = None
            if unrecorded:
                try:
                    await self._record_all(unrecorded)
                    unrecorded = []
                    recorded.set()
                except Exception as err:
                    log.error("replies_record_failed error=%s", type(err).__name__)
                    if finishing.is_set():
                        return  # their leases run out and they are sent again: at least once
                    wait = idle_poll
            elif finishing.is_set():
                return
            await _wait_any(wait, finishing, sends.progress)

    async def _record_all(self, outcomes: list[_Ended]) -> None:
        """Store the outcomes of sends in one transaction."""
        now = self._clock()
        async with self._replies() as replies:
            sent = [(m, o) for m, o, _ended in outcomes if isinstance(o, Sent)]
            if sent:
                await replies.mark_sent_many([(m.id, o.platform_message_id) for m, o in sent], now)
                for message, _outcome in sent:
                    log.info(
                        "reply_sent message_id=%d channel=%s attempts=%d",
                        message.id,
                        message.channel,
                        message.attempts + 1,
                    )
            for message, outcome, ended in outcomes:
                if not isinstance(outcome, Sent):
                    await self._record_unsent(replies, message, outcome, now, ended)

    def _send_deadline(self) -> float:
        """The monotonic time by which a send claimed now must end, leaving room to record."""
        return time.monotonic() + self._lease.total_seconds() * (1 - LEASE_MARGIN)

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

    async def _record_unsent(
        self,
        replies: OutgoingMessagePort,
        message: OutgoingMessage,
        outcome: Retry | Failed | _NotTried,
        now: datetime,
        ended: float | None,
    ) -> None:
        """Store a try that did not deliver; a retry is due its backoff after the try ended
        (not after this transaction, which may have waited for the database)."""
        if isinstance(outcome, _NotTried):
            await replies.release(message.id, now)
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
        since_end = timedelta(0)
        if ended is None:
            ended = time.monotonic()
        else:
            since_end = timedelta(seconds=max(0.0, time.monotonic() - ended))
        next_attempt_at = now - since_end + delay
        await replies.mark_retry(message.id, attempts, next_attempt_at, outcome.reason, now)
        heapq.heappush(self._retries_due, ended + delay.total_seconds())
        log.warning(
            "reply_retry message_id=%d channel=%s attempts=%d delay_s=%.1f error=%r",
            message.id,
            message.channel,
            attempts,
            delay.total_seconds(),
            outcome.reason,
        )


class _Sends:
    """The claimed messages of a running dispatcher: up to `concurrency` being sent, the rest
    waiting for a free slot; a send that ends starts the next at once, without a turn."""

    def __init__(
        self,
        deliver: Callable[[OutgoingMessage, float], Coroutine[Any, Any, _Outcome]],
        concurrency: int,
        stop: asyncio.Event,
    ) -> None:
        self._deliver = deliver
        self._concurrency = concurrency
        self._stop = stop  # once set, nothing new starts: what waits is handed back
        self._waiting: deque[tuple[OutgoingMessage, float]] = deque()
        self._sending: dict[asyncio.Task[_Outcome], OutgoingMessage] = {}
        self._outcomes: list[_Ended] = []
        # Set whenever a send ends.
        self.progress = asyncio.Event()

    @property
    def held(self) -> int:
        """Messages claimed and not yet ended (sending or waiting)."""
        return len(self._waiting) + len(self._sending)

    def add(self, messages: list[OutgoingMessage], deadline: float) -> None:
        """Send these (each to end by the monotonic `deadline`) as slots free up."""
        self._waiting.extend((message, deadline) for message in messages)
        self._start()

    def take_outcomes(self) -> list[_Ended]:
        """The sends that ended since the last call, with their outcomes."""
        taken, self._outcomes = self._outcomes, []
        return taken

    def hand_back(self) -> None:
        """End the messages not started as not tried (to be released for any dispatcher)."""
        now = time.monotonic()
        self._outcomes += [(message, _NotTried(), now) for message, _deadline in self._waiting]
        self._waiting.clear()
        self.progress.set()

    async def settle(self) -> None:
        """Wait for the sends under way to end."""
        if self._sending:
            await asyncio.wait(list(self._sending))

    def cancel(self) -> None:
        """Abandon everything (the process is going away; the leases run out)."""
        self._waiting.clear()
        for task in list(self._sending):
            task.cancel()

    def _start(self) -> None:
        while self._waiting and len(self._sending) < self._concurrency and not self._stop.is_set():
            message, deadline = self._waiting.popleft()
            task = asyncio.create_task(self._deliver(message, deadline))
            self._sending[task] = message
            task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[_Outcome]) -> None:
        message = self._sending.pop(task)
        if task.cancelled():
            return
        self._outcomes.append((message, task.result(), time.monotonic()))
        self.progress.set()
        self._start()


async def _wait_any(seconds: float | None, *events: asyncio.Event) -> None:
    """Wait until one of `events` is set, or `seconds` pass (None: no limit)."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(
            waiters,
            timeout=None if seconds is None else max(seconds, 0),
            return_when=asyncio.FIRST_COMPLETED,
        )
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
