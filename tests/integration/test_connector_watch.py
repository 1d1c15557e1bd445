"""Heads of sales are alerted once when a CRM connector keeps failing, once when it delivers
again, and not again for the same failure run (no alert storm)."""

from __future__ import annotations

from datetime import timedelta

from crm_core.model import Manager
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.routing import Team
from crm_core.storage import Storage
from crm_core.webhooks import Attempt, EventType, NewConnector, WebhookEvent
from intake.connectors.watch import ConnectorWatch
from intake.notify.texts import render
from tests.integration.test_channel_watch import T0, Clock
from tests.integration.test_sales_flow import team

FAILED = Attempt(503, "QUERY_LIMIT_EXCEEDED", 40, "QUERY_LIMIT_EXCEEDED")
DONE = Attempt(200, "lead 7", 30)
LEASE = timedelta(seconds=30)


async def alerts(storage: Storage, manager: Manager) -> list[NotificationKind]:
    async with storage.reader() as uow:
        rows = await uow.outbox.for_manager(manager.id, 0, 50)
    return [m.kind for m in rows]


async def connector(storage: Storage) -> int:
    new = NewConnector(
        "bitrix24", "http://127.0.0.1:9/rest/1/", "B24", (EventType.LEAD_CREATED,), {}
    )
    async with storage.transaction() as uow:
        return (await uow.webhooks.add_connector(new, "head", T0)).id


async def try_once(storage: Storage, sub: int, clock: Clock, attempt: Attempt) -> None:
    """One try of the first due delivery, ending with `attempt`."""
    clock.now += timedelta(minutes=1)
    async with storage.transaction() as uow:
        [claimed] = await uow.webhooks.claim_due(sub, clock.now, 1, clock.now + LEASE)
        if attempt.error is None:
            await uow.webhooks.mark_delivered(claimed.id, attempt, clock.now)
        else:
            await uow.webhooks.mark_retry(claimed.id, attempt, clock.now, clock.now)


async def test_heads_hear_once_of_a_failing_connector_and_once_of_its_recovery(
    storage: Storage,
) -> None:
    staff = await team(storage)
    crew = Team({m.id: m for m in staff.values()}, {}, channels=frozenset(NotificationChannel))
    clock = Clock()
    sub = await connector(storage)
    woken: list[bool] = []
    watch = ConnectorWatch(
        storage, lambda: crew, clock, failures_to_alert=3, on_alert=lambda: woken.append(True)
    )
    async with storage.transaction() as uow:
        uow.webhooks.record(WebhookEvent(EventType.LEAD_CREATED, "lead:1", T0, {"lead_id": 1}))
    await try_once(storage, sub, clock, FAILED)
    await try_once(storage, sub, clock, FAILED)
    assert await watch.check_once() == 0  # two failed tries: a hiccup, retried anyway

    await try_once(storage, sub, clock, FAILED)
    assert await watch.check_once() == 1  # the head, in-app only
    await try_once(storage, sub, clock, FAILED)
    assert await watch.check_once() == 0  # still the same failure: no storm
    # A restarted service (a new watch) does not repeat it either: same outbox dedupe key.
    again = ConnectorWatch(storage, lambda: crew, clock, failures_to_alert=3)
    assert await again.check_once() == 0
    assert await alerts(storage, staff["head"]) == [NotificationKind.CONNECTOR_FAILING]
    assert await alerts(storage, staff["ivanova"]) == []
    async with storage.reader() as uow:
        [alert] = await uow.outbox.for_manager(staff["head"].id, 0, 50)
    text = render(alert.kind, alert.payload)
    assert text.subject.startswith("Заявки не передаются во внешнюю CRM — Bitrix24")
    assert "QUERY_LIMIT_EXCEEDED" in text.text

    await try_once(storage, sub, clock, DONE)
    assert await watch.check_once() == 1
    assert await watch.check_once() == 0
    assert await alerts(storage, staff["head"]) == [
        NotificationKind.CONNECTOR_FAILING,
        NotificationKind.CONNECTOR_RECOVERED,
    ]
    assert woken == [True, True]


async def test_a_dead_letter_alerts_at_once(storage: Storage) -> None:
    staff = await team(storage)
    crew = Team({m.id: m for m in staff.values()}, {}, channels=frozenset(NotificationChannel))
    clock = Clock()
    sub = await connector(storage)
    watch = ConnectorWatch(storage, lambda: crew, clock, failures_to_alert=10)
    async with storage.transaction() as uow:
        uow.webhooks.record(WebhookEvent(EventType.LEAD_CREATED, "lead:1", T0, {"lead_id": 1}))
    async with storage.transaction() as uow:
        [claimed] = await uow.webhooks.claim_due(sub, clock.now, 1, clock.now + LEASE)
        await uow.webhooks.mark_dead(claimed.id, FAILED, clock.now)
    assert await watch.check_once() == 1
    # Disabled by a head: no "back to work" alert, and nothing while it stays disabled.
    async with storage.transaction() as uow:
        await uow.webhooks.disable(sub, "head", clock.now)
    assert await watch.check_once() == 0
    assert await alerts(storage, staff["head"]) == [NotificationKind.CONNECTOR_FAILING]
