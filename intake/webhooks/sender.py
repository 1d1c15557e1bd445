"""Delivers queued webhooks: claim under a lease, POST signed, record the outcome.

Each turn looks for subscriptions with deliveries due and claims, per subscription, as many
as it has free slots (`concurrency`), so a slow receiver holds back only its own deliveries.
A claim takes only the earliest pending delivery of each entity, so a later event of a lead
waits while an earlier one is pending. A claimed delivery is leased for longer than a try
lasts; a process killed mid-try leaves it to be tried again once the lease runs out, with the
same `webhook-id` (receivers dedupe on it). Failures are retried with a doubling delay and
jitter until `max_age_hours` after it was queued, then dead-lettered; a 410 Gone disables the
subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp

from config.webhooks_settings import WebhookSettings
from crm_core.storage import Storage
from crm_core.webhooks import Attempt, Delivery
from intake.metrics import Metrics
from intake.replies.dispatcher import backoff
from intake.webhooks.signing import headers
from intake.webhooks.targets import private_host, resolver

log = logging.getLogger(__name__)

ANSWER_BYTES = 1024
GONE = 410
GONE_REASON = "получатель ответил 410 Gone"


class WebhookSender:
    """Sends due deliveries of every active subscription, each subscription in its own lane."""

    def __init__(
        self,
        storage: Storage,
        settings: WebhookSettings,
        clock: Callable[[], datetime],
        metrics: Metrics,
        wake: asyncio.Event | None = None,
    ) -> None:
        """`wake`, set by whoever committed deliveries in this process, ends a poll's wait."""
        self._storage = storage
        self._settings = settings
        self._clock = clock
        self._metrics = metrics
        self._in_flight: Counter[int] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self.wake = wake or asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, looking every poll or when a try ends."""
        connector = aiohttp.TCPConnector(
            limit=0, resolver=resolver(allow_private=self._settings.allow_private_targets)
        )
        async with aiohttp.ClientSession(connector=connector) as http:
            self._http = http
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
            self._start(subscription.url, secret, claimed)
            started += len(claimed)
        return started

    def _reserve(self, subscription_id: int) -> int:
        """Take the subscription's free slots (given back by the caller if not all used)."""
        free = max(0, self._settings.concurrency - self._in_flight[subscription_id])
        self._in_flight[subscription_id] += free
        return free

    def _lease(self) -> timedelta:
        return timedelta(seconds=self._settings.lease_seconds)

    def _start(self, url: str, secret: str, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            task = asyncio.create_task(
                self._deliver(url, secret, delivery), name=f"webhook-{delivery.id}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, secret: str, delivery: Delivery) -> None:
        """Try once, record the outcome and, in the same transaction, claim the
        subscription's next due deliveries (an entity's next event is due right now)."""
        subscription_id = delivery.subscription_id
        try:
            attempt = await self._post(url, secret, delivery)
        finally:
            self._in_flight[subscription_id] -= 1
        free = self._reserve(subscription_id)
        follow: list[Delivery] = []
        try:
            follow = await self._record(delivery, attempt, free)
        except Exception:
            log.exception("webhook_record_failed delivery_id=%d", delivery.id)
        finally:
            self._in_flight[subscription_id] -= free - len(follow)
        self._start(url, secret, follow)

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

    async def _record(self, delivery: Delivery, attempt: Attempt, claim: int) -> list[Delivery]:
        now = self._clock()
        self._metrics.webhook_latency.observe(attempt.latency_ms / 1000)
        status = attempt.response_status
        async with self._storage.transaction() as uow:
            if status is not None and 200 <= status < 300:
                await uow.webhooks.mark_delivered(delivery.id, attempt, now)
                result = "delivered"
            elif status == GONE:
                await uow.webhooks.mark_dead(delivery.id, attempt, now)
                await uow.webhooks.disable(delivery.subscription_id, GONE_REASON, now)
                result = "gone"
            else:
                delay = backoff(
                    delivery.attempts,
                    timedelta(seconds=self._settings.base_delay_seconds),
                    timedelta(seconds=self._settings.max_delay_seconds),
                )
                give_up = delivery.queued_at + timedelta(hours=self._settings.max_age_hours)
                if now + delay > give_up:
                    await uow.webhooks.mark_dead(delivery.id, attempt, now)
                    result = "dead"
                else:
                    await uow.webhooks.mark_retry(delivery.id, attempt, now, now + delay)
                    result = "retry"
            follow = await uow.webhooks.claim_due(
                delivery.subscription_id, now, claim, now + self._lease()
            )
        self._metrics.webhook_deliveries.labels(result).inc()
        log.info(
            "webhook_%s delivery_id=%d subscription_id=%d attempts=%d status=%s latency_ms=%d",
            result,
            delivery.id,
            delivery.subscription_id,
            delivery.attempts,
            status,
            attempt.latency_ms,
        )
        return follow


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
