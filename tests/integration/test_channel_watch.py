"""Heads of sales are alerted once when a channel fails for too long, and once when it is back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crm_core.model import Manager
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.routing import Team
from crm_core.storage import Storage
from intake.channel_polling import ChannelPoller
from intake.channel_watch import ChannelWatch
from intake.notify.texts import render
from tests.integration.test_sales_flow import team

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@dataclass
class Channel:
    """A channel's health as the watch reads it."""

    last_error: str | None = None
    failing_since: datetime | None = None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def sent(storage: Storage, manager: Manager) -> list[tuple[NotificationKind, str]]:
    async with storage.reader() as uow:
        rows = await uow.outbox.for_manager(manager.id, 0, 50)
    return [(m.kind, m.payload["channel"]) for m in rows]


async def test_heads_are_alerted_once_per_failure_and_when_it_ends(storage: Storage) -> None:
    staff = await team(storage)
    crew = Team({m.id: m for m in staff.values()}, {}, channels=frozenset(NotificationChannel))
    imap, vk = Channel(), Channel()
    clock = Clock()
    woken: list[bool] = []
    watch = ChannelWatch(
        {"email:sales": imap, "vk:1": vk},
        storage,
        lambda: crew,
        timedelta(minutes=15),
        clock,
        on_alert=lambda: woken.append(True),
    )
    imap.last_error, imap.failing_since = "imap: login refused", T0
    clock.now = T0 + timedelta(minutes=14)
    assert await watch.check_once() == 0  # a short failure passes by itself

    clock.now = T0 + timedelta(minutes=15)
    assert await watch.check_once() == 1  # the head, in-app only (no chat or e-mail)
    assert await watch.check_once() == 0
    assert await sent(storage, staff["head"]) == [
        (NotificationKind.CHANNEL_FAILING, "email:sales")
    ]
    assert await sent(storage, staff["ivanova"]) == []  # managers are not bothered
    async with storage.reader() as uow:
        [alert] = await uow.outbox.for_manager(staff["head"].id, 0, 50)
    text = render(alert.kind, alert.payload)
    assert text.subject == "Канал приёма заявок не работает"
    assert "imap: login refused" in text.text and "email:sales" in text.text

    imap.last_error, imap.failing_since = None, None
    assert await watch.check_once() == 1
    assert [k for k, _ in await sent(storage, staff["head"])][-1] is (
        NotificationKind.CHANNEL_RECOVERED
    )
    assert woken == [True, True]


class Flaky(ChannelPoller):
    """A poller whose platform fails or answers as told."""

    async def poll_once(self) -> float:
        return 0.0

    async def _close_client(self) -> None:
        return None


async def test_a_poller_knows_since_when_it_has_been_failing() -> None:
    clock = Clock()

    def count(_outcome: str) -> None:
        return None

    poller = Flaky("flaky", "x", writer=None, metrics=count, clock=clock)  # type: ignore[arg-type]
    assert poller.failing_since is None
    poller._failed(ConnectionError("down"))
    clock.now = T0 + timedelta(minutes=5)
    poller._failed(ConnectionError("still down"))
    assert poller.failing_since == T0 and poller.last_error == "ConnectionError"
    poller._succeeded()
    assert poller.failing_since is None and poller.last_error is None
