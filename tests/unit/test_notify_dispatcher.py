"""The outbox dispatcher against an in-memory outbox and fake notifiers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_core.notifications import (
    NewNotification,
    NotificationChannel,
    NotificationKind,
    OutboxMessage,
)
from intake.notify.backoff import MAX_ATTEMPTS, retry_delay
from intake.notify.dispatcher import Dispatcher, Notifier
from intake.notify.errors import DeliveryFailed

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PAYLOAD = {"lead_id": 7, "name": "Анна Иванова", "phone": "+79161234567"}


@dataclass
class Row:
    """One stored outbox row."""

    message: OutboxMessage
    status: str = "pending"
    leased_until: datetime | None = None
    finished_at: datetime | None = None


class FakeOutbox:
    """An in-memory OutboxPort with the same leasing rules a SQL one has."""

    def __init__(self) -> None:
        self.rows: dict[int, Row] = {}
        self.dedupe_keys: set[str] = set()
        self.open_transactions = 0
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeOutbox]:
        self.open_transactions += 1
        self.transactions += 1
        try:
            yield self
        finally:
            self.open_transactions -= 1

    async def enqueue(self, items: Sequence[NewNotification], now: datetime) -> list[int]:
        ids = []
        for item in items:
            if item.dedupe_key in self.dedupe_keys:
                continue
            self.dedupe_keys.add(item.dedupe_key)
            new_id = len(self.rows) + 1
            self.rows[new_id] = Row(
                OutboxMessage(
                    new_id,
                    item.manager_id,
                    item.channel,
                    item.kind,
                    item.address,
                    item.payload,
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
            ids.append(new_id)
        return ids

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[OutboxMessage]:
        due = [
            row
            for row in self.rows.values()
            if row.status == "pending"
            and row.message.next_attempt_at <= now
            and (row.leased_until is None or row.leased_until <= now)
        ][:limit]
        for row in due:
            row.leased_until = lease_until
        return [row.message for row in due]

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        row = self.rows[message_id]
        row.status, row.finished_at, row.leased_until = "sent", now, None

    async def mark_retry(
        self, message_id: int, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        row = self.rows[message_id]
        row.message = replace(
            row.message, attempts=attempts, next_attempt_at=next_attempt_at, last_error=error
        )
        row.leased_until = None

    async def mark_failed(self, message_id: int, now: datetime, error: str) -> None:
        row = self.rows[message_id]
        row.message = replace(row.message, last_error=error)
        row.status, row.finished_at, row.leased_until = "failed", now, None


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class FakeNotifier:
    """Records what it sends; fails with the queued errors first."""

    outbox: FakeOutbox
    errors: list[BaseException] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    in_transaction: list[bool] = field(default_factory=list)

    async def send(self, message: OutboxMessage) -> None:
        self.in_transaction.append(self.outbox.open_transactions > 0)
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message.id)


def notification(
    n: int = 1, channel: NotificationChannel = NotificationChannel.TELEGRAM
) -> NewNotification:
    return NewNotification(
        manager_id=1,
        channel=channel,
        kind=NotificationKind.LEAD_ASSIGNED,
        address="123456",
        payload=dict(PAYLOAD),
        dedupe_key=f"lead-7-{channel}-{n}",
    )


def make_dispatcher(
    outbox: FakeOutbox,
    notifiers: dict[NotificationChannel, Notifier],
    clock: Clock,
    **kwargs: Any,
) -> Dispatcher:
    return Dispatcher(outbox.transaction, notifiers, clock, **kwargs)


@pytest.fixture
def outbox() -> FakeOutbox:
    return FakeOutbox()


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_due_message_is_sent_once_and_marked_sent(outbox: FakeOutbox, clock: Clock) -> None:
    [message_id] = await outbox.enqueue([notification()], clock())
    telegram = FakeNotifier(outbox)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0
    assert telegram.sent == [message_id]
    assert outbox.rows[message_id].status == "sent"
    assert outbox.rows[message_id].finished_at == T0


async def test_sending_happens_outside_any_transaction(outbox: FakeOutbox, clock: Clock) -> None:
    await outbox.enqueue([notification(n) for n in range(3)], clock())
    telegram = FakeNotifier(outbox)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    await dispatcher.run_once()
    assert telegram.in_transaction == [False, False, False]
    assert outbox.transactions == 2  # one to claim, one to record


async def test_temporary_failure_is_retried_with_backoff(outbox: FakeOutbox, clock: Clock) -> None:
    [message_id] = await outbox.enqueue([notification()], clock())
    telegram = FakeNotifier(outbox, errors=[DeliveryFailed("telegram: 502", permanent=False)])
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    await dispatcher.run_once()
    row = outbox.rows[message_id]
    assert row.status == "pending"
    assert row.message.attempts == 1
    assert row.message.next_attempt_at == T0 + retry_delay(1) == T0 + timedelta(seconds=5)
    assert row.message.last_error == "telegram: 502"
    clock.advance(timedelta(seconds=4))
    assert await dispatcher.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await dispatcher.run_once() == 1
    assert telegram.sent == [message_id]
    assert outbox.rows[message_id].status == "sent"


async def test_backoff_grows_with_each_failed_attempt(outbox: FakeOutbox, clock: Clock) -> None:
    [message_id] = await outbox.enqueue([notification()], clock())
    errors: list[BaseException] = [DeliveryFailed("down", permanent=False) for _ in range(3)]
    telegram = FakeNotifier(outbox, errors=errors)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    delays = []
    for _ in range(3):
        before = clock()
        await dispatcher.run_once()
        due = outbox.rows[message_id].message.next_attempt_at
        delays.append(due - before)
        clock.now = due
    assert delays == [retry_delay(1), retry_delay(2), retry_delay(3)]
    assert await dispatcher.run_once() == 1
    assert outbox.rows[message_id].status == "sent"


async def test_server_requested_wait_outlasts_the_backoff(
    outbox: FakeOutbox, clock: Clock
) -> None:
    [message_id] = await outbox.enqueue([notification()], clock())
    flood = DeliveryFailed("telegram: flood control", permanent=False, retry_after=30)
    telegram = FakeNotifier(outbox, errors=[flood])
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    await dispatcher.run_once()
    assert outbox.rows[message_id].message.next_attempt_at == T0 + timedelta(seconds=30)


async def test_permanent_failure_is_marked_failed(outbox: FakeOutbox, clock: Clock) -> None:
    [message_id] = await outbox.enqueue([notification()], clock())
    blocked = DeliveryFailed("telegram: bot was blocked by the user", permanent=True)
    telegram = FakeNotifier(outbox, errors=[blocked])
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    await dispatcher.run_once()
    row = outbox.rows[message_id]
    assert (row.status, row.message.last_error) == (
        "failed",
        "telegram: bot was blocked by the user",
    )
    clock.advance(timedelta(days=1))
    assert await dispatcher.run_once() == 0
    assert telegram.sent == []


async def test_channel_without_notifier_is_marked_failed_with_a_clear_error(
    outbox: FakeOutbox, clock: Clock
) -> None:
    [email_id, telegram_id] = await outbox.enqueue(
        [notification(channel=NotificationChannel.EMAIL), notification()], clock()
    )
    telegram = FakeNotifier(outbox)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    assert await dispatcher.run_once() == 2
    assert outbox.rows[email_id].status == "failed"
    assert outbox.rows[email_id].message.last_error == "no notifier configured for channel email"
    assert telegram.sent == [telegram_id]


async def test_gives_up_after_max_attempts(outbox: FakeOutbox, clock: Clock) -> None:
    [message_id] = await outbox.enqueue([notification()], clock())
    row = outbox.rows[message_id]
    row.message = replace(row.message, attempts=MAX_ATTEMPTS - 2)
    errors: list[BaseException] = [DeliveryFailed("smtp down", permanent=False) for _ in range(2)]
    telegram = FakeNotifier(outbox, errors=errors)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    await dispatcher.run_once()
    assert outbox.rows[message_id].status == "pending"
    assert outbox.rows[message_id].message.attempts == MAX_ATTEMPTS - 1
    clock.advance(timedelta(hours=1))
    await dispatcher.run_once()
    row = outbox.rows[message_id]
    assert row.status == "failed"
    assert row.message.last_error == f"smtp down (gave up after {MAX_ATTEMPTS} attempts)"


async def test_unexpected_error_is_retried_and_logged_without_personal_data(
    outbox: FakeOutbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    [message_id] = await outbox.enqueue([notification()], clock())
    leaky = ValueError(f"cannot send to {PAYLOAD['name']} {PAYLOAD['phone']}")
    telegram = FakeNotifier(outbox, errors=[leaky])
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    with caplog.at_level(logging.DEBUG, logger="intake.notify"):
        await dispatcher.run_once()
    row = outbox.rows[message_id]
    assert row.status == "pending"
    assert row.message.attempts == 1
    assert row.message.last_error == "telegram: unexpected ValueError"
    assert "notify_unexpected_error" in caplog.text
    assert "test_notify_dispatcher.py:" in caplog.text  # where it was raised
    for secret in ("Анна", "Иванова", "79161234567"):
        assert secret not in caplog.text


async def test_batch_sends_concurrently_within_the_limit_each_message_once(
    outbox: FakeOutbox, clock: Clock
) -> None:
    ids = await outbox.enqueue([notification(n) for n in range(10)], clock())
    in_flight = 0
    peak = 0
    sent: list[int] = []
    release = asyncio.Event()

    class Slow:
        async def send(self, message: OutboxMessage) -> None:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            if peak == 3:
                release.set()
            await release.wait()
            sent.append(message.id)
            in_flight -= 1

    dispatcher = make_dispatcher(
        outbox, {NotificationChannel.TELEGRAM: Slow()}, clock, batch=10, concurrency=3
    )
    assert await dispatcher.run_once() == 10
    assert peak == 3
    assert sorted(sent) == ids
    assert {row.status for row in outbox.rows.values()} == {"sent"}


async def test_batch_size_limits_one_run(outbox: FakeOutbox, clock: Clock) -> None:
    await outbox.enqueue([notification(n) for n in range(5)], clock())
    telegram = FakeNotifier(outbox)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock, batch=2)
    assert [await dispatcher.run_once() for _ in range(4)] == [2, 2, 1, 0]
    assert len(telegram.sent) == 5


class Hanging:
    """A notifier whose server never answers."""

    def __init__(self) -> None:
        self.started: list[int] = []

    async def send(self, message: OutboxMessage) -> None:
        self.started.append(message.id)
        await asyncio.Event().wait()


async def test_send_cannot_outlive_the_lease(outbox: FakeOutbox, clock: Clock) -> None:
    [first, second] = await outbox.enqueue([notification(1), notification(2)], clock())
    hanging = Hanging()
    dispatcher = make_dispatcher(
        outbox,
        {NotificationChannel.TELEGRAM: hanging},
        clock,
        lease=timedelta(seconds=0.2),
        concurrency=1,
    )
    async with asyncio.timeout(5):
        assert await dispatcher.run_once() == 2
    timed_out, not_tried = outbox.rows[first].message, outbox.rows[second].message
    assert hanging.started == [first]
    assert (timed_out.attempts, timed_out.last_error) == (
        1,
        "telegram: no answer within the lease",
    )
    assert timed_out.next_attempt_at == T0 + retry_delay(1)
    # Its turn never came before the lease ran short: handed back, not counted as an attempt.
    assert (not_tried.attempts, not_tried.next_attempt_at) == (0, T0)
    assert outbox.rows[second].status == "pending"


async def test_run_waits_for_wake_and_stops_on_stop(outbox: FakeOutbox, clock: Clock) -> None:
    telegram = FakeNotifier(outbox)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, wake, idle_poll=60))
    await wait_until(lambda: outbox.transactions >= 1)  # first (empty) look done, now idle
    [message_id] = await outbox.enqueue([notification()], clock())
    wake.set()
    await wait_until(lambda: telegram.sent == [message_id])
    stop.set()
    async with asyncio.timeout(5):
        await task


async def test_run_polls_without_a_wake(outbox: FakeOutbox, clock: Clock) -> None:
    telegram = FakeNotifier(outbox)
    dispatcher = make_dispatcher(outbox, {NotificationChannel.TELEGRAM: telegram}, clock)
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, wake, idle_poll=0.01))
    [message_id] = await outbox.enqueue([notification()], clock())
    await wait_until(lambda: telegram.sent == [message_id])
    stop.set()
    async with asyncio.timeout(5):
        await task


async def test_run_survives_an_unavailable_outbox(
    outbox: FakeOutbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    failures = [ConnectionRefusedError("database is down")]

    @asynccontextmanager
    async def flaky() -> AsyncIterator[FakeOutbox]:
        if failures:
            raise failures.pop()
        async with outbox.transaction() as port:
            yield port

    [message_id] = await outbox.enqueue([notification()], clock())
    telegram = FakeNotifier(outbox)
    dispatcher = Dispatcher(flaky, {NotificationChannel.TELEGRAM: telegram}, clock)
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, wake, idle_poll=0.01))
    await wait_until(lambda: telegram.sent == [message_id])
    stop.set()
    async with asyncio.timeout(5):
        await task
    assert "notify_batch_failed error=ConnectionRefusedError" in caplog.text


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.005)
