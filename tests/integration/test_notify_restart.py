"""The outbox on a real database outlives a restart while Telegram and SMTP are down, then
delivers each notification exactly once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from aiosmtpd.controller import Controller

from crm_core.notifications import (
    NewNotification,
    NotificationChannel,
    NotificationKind,
    OutboxPort,
)
from crm_core.storage import Storage
from intake.notify.dispatcher import Dispatcher, Notifier
from intake.notify.telegram import TelegramNotifier
from tests.integration.test_notifiers import (
    TOKEN,
    BotApiStandIn,
    Mailbox,
    bot_api,
    email_notifier,
    free_port,
)
from tests.integration.test_outbox_store import add_manager, reopenable, stats

__all__ = ["bot_api", "reopenable"]  # fixtures shared with the notifier tests
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def dispatcher_for(
    storage: Storage, notifiers: dict[NotificationChannel, Notifier], clock: list[datetime]
) -> Dispatcher:
    """A dispatcher over the storage's real outbox, on a hand-moved clock."""

    @asynccontextmanager
    async def outbox() -> AsyncIterator[OutboxPort]:
        async with storage.transaction() as uow:
            yield uow.outbox

    return Dispatcher(outbox, notifiers, lambda: clock[0])


async def test_outbox_survives_restart_with_peers_down_then_delivers_once(
    reopenable: Callable[[], Storage],
    bot_api: tuple[BotApiStandIn, str],
) -> None:
    stand_in, api_base = bot_api
    stand_in.mode = "bad_gateway"
    smtp_port = free_port()  # nothing listens there yet: the SMTP server is down
    clock = [T0]
    before = reopenable()
    await before.open()
    try:
        await before.migrate()
        manager = await add_manager(before)
        payload = {"lead_id": 7, "name": "Иван Петров", "phone": "+79161234567"}
        async with before.transaction() as uow:
            await uow.outbox.enqueue(
                [
                    NewNotification(
                        manager,
                        channel,
                        NotificationKind.LEAD_ASSIGNED,
                        address,
                        payload,
                        f"lead:7:{channel.value}",
                    )
                    for channel, address in (
                        (NotificationChannel.TELEGRAM, "1001"),
                        (NotificationChannel.EMAIL, "ivanova@example.ru"),
                    )
                ],
                T0,
            )
        bot = TelegramNotifier(TOKEN, api_base, timeout=5)
        try:
            notifiers: dict[NotificationChannel, Notifier] = {
                NotificationChannel.TELEGRAM: bot,
                NotificationChannel.EMAIL: email_notifier(smtp_port, timeout=2),
            }
            assert await dispatcher_for(before, notifiers, clock).run_once() == 2
        finally:
            await bot.close()
        assert await stats(before) == {"pending": 2, "sent": 0, "failed": 0}
    finally:
        await before.close()  # the "crash": nothing in memory survives

    stand_in.mode = "ok"
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    after = reopenable()
    await after.open()
    bot = TelegramNotifier(TOKEN, api_base, timeout=5)
    try:
        notifiers = {
            NotificationChannel.TELEGRAM: bot,
            NotificationChannel.EMAIL: email_notifier(smtp_port),
        }
        dispatcher = dispatcher_for(after, notifiers, clock)
        assert await dispatcher.run_once() == 0  # not due yet: the retry waits its backoff
        clock[0] = T0 + timedelta(minutes=1)
        assert await dispatcher.run_once() == 2
        clock[0] = T0 + timedelta(hours=1)
        assert await dispatcher.run_once() == 0
        assert await stats(after) == {"pending": 0, "sent": 2, "failed": 0}
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            controller.stop()
        await after.close()

    delivered = [call for call in stand_in.calls if "Иван Петров" in call["text"]]
    assert len(stand_in.calls) == 2 and len(delivered) == 2  # one failed try, one delivery
    assert len(mailbox.letters) == 1
    assert mailbox.letters[0][0] == ["ivanova@example.ru"]
