"""Delivers queued webhooks: claim under a lease, POST signed, record the outcome.

Each turn looks for subscriptions with deliveries due and claims, per subscription, as many
as it has free slots (`concurrency`), so a slow receiver holds back only its own deliveries.
A claim takes only the earliest pending delivery of each entity, so a later event of a lead
waits while an earlier one is pending. A claimed delivery is leased for longer than a try
lasts; a process killed mid-try leaves it to be tried again once the lease runs out, with the
same `webhook-id` (receivers dedupe on it). Failures are retried with a doubling delay and
jitter until `max_age_hours` after it was queued, then dead-lettered; a 410 Gone disables the
subscription. Outcomes are recorded by one recorder, all those that ended meanwhile in one
transaction, which also claims their subscriptions' next due deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp

from config.webhooks_settings import WebhookSettings
from crm_core.storage import Storage
from crm_core.storage.ports import WebhookRepository
from crm_core.webhooks import Attempt, Delivery, Subscription
from intake.connectors.dispatch import ConnectorDispatcher
from intake.metrics import Metrics
from intake.replies.dispatcher import backoff
from intake.webhooks.signing import headers
from intake.webhooks.targets import private_host, resolver

log = logging.getLogger(__name__)

ANSWER_BYTES = 1024
GONE = 410
GONE_REASON = "получатель ответил 410 Gone"
# The most outcomes one transaction records.
RECORD_BATCH = 200


class WebhookSender:
    """Sends due deliveries of every active subscription, each subscription in its own lane."""

    def __init__(
        self,
        storage: Storage,
        settings: WebhookSettings,
        clock: Callable[[], datetime],
        metrics: Metrics,
        wake: asyncio.Event | None = None,
        connectors: ConnectorDispatcher | None = None,
    ) -> None:
        """`wake`, set by whoever committed deliveries in this process, ends a poll's wait;
        `connectors` tries the deliveries of CRM connectors (none without it)."""
        self._storage = storage
        self._connectors = connectors
        self._settings = settings
        self._clock = clock
        self._metrics = metrics
        self._in_flight: Counter[int] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        # Tries that ended, waiting to be recorded: one transaction records all that ended
        # meanwhile (on SQLite every commit is a disk flush; one per try capped throughput).
        self._ended: asyncio.Queue[_Ended] = asyncio.Queue()
        self.wake = wake or asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, looking every poll or when a try ends."""
        connector = aiohttp.TCPConnector(
            limit=0, resolver=resolver(allow_private=self._settings.allow_private_targets)
        )
        async with aiohttp.ClientSession(connector=connector) as http:
            self._http = http
            recorder = asyncio.create_task(self._record_ended(), name="webhook-recorder")
            self._tasks.add(recorder)
            try:
                while not stop.is_set():
                    self.wake.clear()  # before the turn: a wake during it means look again
                    try:
                        await self.turn()
                    except Exception:
                        log.exception("webhook_turn_failed")
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._settings.poll_seconds):
                            await _first(stop, self.wake)
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def turn(self) -> int:
        """Claim what is due for every subscription with free slots; returns how many."""
        now = self._clock()
        async with self._storage.reader() as uow:
            due = await uow.webhooks.due_subscriptions(now)
        started = 0
        for subscription_id in due:
            free = self._reserve(subscription_id)
            if not free:
                continue
            claimed: list[Delivery] = []
            try:
                async with self._storage.transaction() as uow:
                    claimed = await uow.webhooks.claim_due(
                        subscription_id, now, free, now + self._lease()
                    )
                    subscription = await uow.webhooks.subscription(subscription_id)
                    secret = await uow.webhooks.secret(subscription_id)
            finally:
                self._in_flight[subscription_id] -= free - len(claimed)
            if subscription is None or secret is None:
                continue  # deleted meanwhile: its leases run out with it
            self._start(_Lane(subscription, secret), claimed)
            started += len(claimed)
        return started

    def _reserve(self, subscription_id: int) -> int:
        """Take the subscription's free slots (given back by the caller if not all used)."""
        free = max(0, self._settings.concurrency - self._in_flight[subscription_id])
        self._in_flight[subscription_id] += free
        return free

    def _lease(self) -> timedelta:
        return timedelta(seconds=self._settings.lease_seconds)

    def _start(self, lane: _Lane, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            task = asyncio.create_task(
                self._deliver(lane, delivery), name=f"webhook-{delivery.id}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, lane: _Lane, delivery: Delivery) -> None:
        """Try once; the recorder stores the outcome (the slot stays taken until then)."""
        try:
            attempt = await self._try(lane, delivery)
        except BaseException:
            self._in_flight[delivery.subscription_id] -= 1
            raise
        self._ended.put_nowait(_Ended(lane, delivery, attempt))

    async def _try(self, lane: _Lane, delivery: Delivery) -> Attempt:
        """POST the event, or, for a CRM connector, make the remote CRM's calls."""
        if lane.subscription.connector is None:
            return await self._post(lane.subscription.url, lane.secret, delivery)
        if self._connectors is None:
            return Attempt(None, None, 0, "connectors are not running in this process")
        assert self._http is not None
        return await self._connectors.attempt(self._http, lane.subscription, delivery)

    async def _record_ended(self) -> None:
        """Record every try that ended in one transaction and, in it, claim the next due
        deliveries of their subscriptions (an entity's next event is due right now)."""
        while True:
            batch = [await self._ended.get()]
            while not self._ended.empty() and len(batch) < RECORD_BATCH:
                batch.append(self._ended.get_nowait())
            lanes = {e.delivery.subscription_id: e for e in batch}
            for ended in batch:
                self._in_flight[ended.delivery.subscription_id] -= 1
            reserved = {sub: self._reserve(sub) for sub in lanes}
            follow: dict[int, list[Delivery]] = {}
            try:
                follow = await self._record(batch, reserved)
            except Exception:
                # Left leased: tried again, same webhook-id, once the leases run out.
                log.exception("webhook_record_failed deliveries=%d", len(batch))
            for sub, free in reserved.items():
                claimed = follow.get(sub, [])
                self._in_flight[sub] -= free - len(claimed)
                self._start(lanes[sub].lane, claimed)

    async def _post(self, url: str, secret: str, delivery: Delivery) -> Attempt:
        assert self._http is not None
        timestamp = int(time.time())
        started = time.monotonic()
        host = urlsplit(url).hostname or ""
        if not self._settings.allow_private_targets and private_host(host):
            # Subscribed while private targets were allowed; an address is never resolved,
            # so the resolver's own check does not see it.
            return Attempt(None, None, 0, "private or loopback address refused")
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                async with self._http.post(
                    url,
                    data=delivery.body.encode(),
                    headers=headers(secret, delivery.message_id, timestamp, delivery.body),
                    allow_redirects=False,
                ) as response:
                    answer = await response.content.read(ANSWER_BYTES)
                    status = response.status
        except TimeoutError:
            return Attempt(None, None, _ms(started), "timeout")
        except (aiohttp.ClientError, OSError) as err:
            return Attempt(None, None, _ms(started), f"{type(err).__name__}: {err}")
        # PostgreSQL stores no NUL in text; the log shows the answer, not its bytes.
        text = answer.decode(errors="replace").replace("\x00", "\ufffd")
        return Attempt(status, text, _ms(started))

    async def _record(
        self, batch: list[_Ended], claims: dict[int, int]
    ) -> dict[int, list[Delivery]]:
        now = self._clock()
        results: list[str] = []
        async with self._storage.transaction() as uow:
            for ended in batch:
                results.append(await self._outcome(uow.webhooks, ended, now))
            follow = {
                sub: await uow.webhooks.claim_due(sub, now, free, now + self._lease())
                for sub, free in claims.items()
            }
        for ended, result in zip(batch, results, strict=True):
            self._metrics.webhook_latency.observe(ended.attempt.latency_ms / 1000)
            self._metrics.webhook_deliveries.labels(result).inc()
            log.info(
                "webhook_%s delivery_id=%d subscription_id=%d attempts=%d status=%s latency_ms=%d",
                result,
                ended.delivery.id,
                ended.delivery.subscription_id,
                ended.delivery.attempts,
                ended.attempt.response_status,
                ended.attempt.latency_ms,
            )
        return follow

    async def _outcome(self, webhooks: WebhookRepository, ended: _Ended, now: datetime) -> str:
        """Store one try's outcome; returns the metric's result label."""
        delivery, attempt = ended.delivery, ended.attempt
        status = attempt.response_status
        if status is not None and 200 <= status < 300:
            await webhooks.mark_delivered(delivery.id, attempt, now)
            return "delivered"
        if status == GONE:
            await webhooks.mark_dead(delivery.id, attempt, now)
            await webhooks.disable(delivery.subscription_id, GONE_REASON, now)
            return "gone"
        delay = backoff(
            delivery.attempts,
            timedelta(seconds=self._settings.base_delay_seconds),
            timedelta(seconds=self._settings.max_delay_seconds),
        )
        if now + delay > delivery.queued_at + timedelta(hours=self._settings.max_age_hours):
            await webhooks.mark_dead(delivery.id, attempt, now)
            return "dead"
        await webhooks.mark_retry(delivery.id, attempt, now, now + delay)
        return "retry"


@dataclass(frozen=True, slots=True)
class _Lane:
    """Where a subscription's deliveries go: its receiver (or remote CRM) and secret."""

    subscription: Subscription
    secret: str


@dataclass(frozen=True, slots=True)
class _Ended:
    """A try that ended, with where it went (the subscription's next ones go there too)."""

    lane: _Lane
    delivery: Delivery
    attempt: Attempt


async def _first(*events: asyncio.Event) -> None:
    """Return when any of the events is set."""
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
