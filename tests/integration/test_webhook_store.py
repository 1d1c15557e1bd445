"""The webhook deliveries table on both databases: rows written at commit, claims in entity
order, leases that outlive a killed sender, replays keeping the webhook-id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_core.storage import Storage
from crm_core.webhooks import (
    Attempt,
    DeliveryStatus,
    EventType,
    NewSubscription,
    WebhookEvent,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
FAILED = Attempt(500, "no", 12)


def event(key: str, n: int, type_: EventType = EventType.LEAD_TAKEN) -> WebhookEvent:
    return WebhookEvent(type_, key, NOW, {"n": n}, queue="main")


async def subscribed(storage: Storage, *types: EventType, queue: str | None = None) -> int:
    async with storage.transaction() as uow:
        found = await uow.webhooks.add_subscription(
            NewSubscription("http://127.0.0.1:9/", types, "whsec_x", queue=queue), "head", NOW
        )
    return found.id


async def test_deliveries_are_written_at_commit_for_matching_subscriptions(
    storage: Storage,
) -> None:
    taken = await subscribed(storage, EventType.LEAD_TAKEN)
    other_queue = await subscribed(storage, EventType.LEAD_TAKEN, queue="vip")
    created_only = await subscribed(storage, EventType.LEAD_CREATED)
    async with storage.transaction() as uow:
        uow.webhooks.record(event("lead:1", 1))
        uow.webhooks.record(event("lead:1", 2, EventType.LEAD_CREATED))
    async with storage.reader() as uow:
        [for_taken] = await uow.webhooks.deliveries(taken, None, 10)
        assert await uow.webhooks.deliveries(other_queue, None, 10) == []
        [for_created] = await uow.webhooks.deliveries(created_only, None, 10)
    assert for_taken.event_type == "lead.taken" and for_taken.status is DeliveryStatus.PENDING
    assert for_created.event_type == "lead.created"
    assert for_taken.message_id != for_created.message_id
    assert '"data":{"n":1}' in for_taken.body


async def test_an_entity_waits_for_its_earlier_event_others_do_not(storage: Storage) -> None:
    sub = await subscribed(storage, EventType.LEAD_TAKEN)
    async with storage.transaction() as uow:
        for key, n in (("lead:1", 1), ("lead:1", 2), ("lead:2", 3)):
            uow.webhooks.record(event(key, n))
    async with storage.transaction() as uow:
        first = await uow.webhooks.claim_due(sub, NOW, 10, NOW + LEASE)
    assert [d.entity_key for d in first] == ["lead:1", "lead:2"]
    assert '"n":1' in first[0].body
    # lead:1's first event failed and waits for its retry: its second one still waits too.
    async with storage.transaction() as uow:
        await uow.webhooks.mark_retry(first[0].id, FAILED, NOW, NOW + timedelta(minutes=1))
        assert await uow.webhooks.claim_due(sub, NOW, 10, NOW + LEASE) == []
        await uow.webhooks.mark_dead(first[0].id, FAILED, NOW)
        [second] = await uow.webhooks.claim_due(sub, NOW, 10, NOW + LEASE)
    assert '"n":2' in second.body


async def test_a_killed_senders_lease_runs_out_and_the_retry_keeps_the_webhook_id(
    storage: Storage,
) -> None:
    sub = await subscribed(storage, EventType.LEAD_TAKEN)
    async with storage.transaction() as uow:
        uow.webhooks.record(event("lead:1", 1))
    async with storage.transaction() as uow:
        [claimed] = await uow.webhooks.claim_due(sub, NOW, 10, NOW + LEASE)
    # The sender dies holding it: nobody else takes it while the lease lasts...
    async with storage.transaction() as uow:
        assert await uow.webhooks.claim_due(sub, NOW + LEASE / 2, 10, NOW + LEASE * 2) == []
        assert await uow.webhooks.due_subscriptions(NOW + LEASE / 2) == []
    # ...and once it ran out, the next sender tries it again under the same id.
    later = NOW + LEASE + timedelta(seconds=1)
    async with storage.transaction() as uow:
        assert await uow.webhooks.due_subscriptions(later) == [sub]
        [again] = await uow.webhooks.claim_due(sub, later, 10, later + LEASE)
    assert again.id == claimed.id and again.message_id == claimed.message_id
    assert again.attempts == 2


async def test_replay_queues_delivered_and_dead_ones_again(storage: Storage) -> None:
    sub = await subscribed(storage, EventType.LEAD_TAKEN)
    async with storage.transaction() as uow:
        uow.webhooks.record(event("lead:1", 1))
        uow.webhooks.record(event("lead:2", 2))
    async with storage.transaction() as uow:
        one, two = await uow.webhooks.claim_due(sub, NOW, 10, NOW + LEASE)
        await uow.webhooks.mark_dead(one.id, FAILED, NOW)
        await uow.webhooks.mark_delivered(two.id, Attempt(200, "ok", 5), NOW)
        assert await uow.webhooks.counts() == {"pending": 0, "delivered": 1, "dead": 1}
        assert await uow.webhooks.replay(sub, None, NOW) == 1  # every dead letter
        assert await uow.webhooks.replay(sub, [two.id], NOW) == 1
        assert await uow.webhooks.replay(sub, [two.id], NOW) == 0  # already pending
        again = await uow.webhooks.claim_due(sub, NOW, 10, NOW + LEASE)
    assert [(d.id, d.message_id, d.attempts) for d in again] == [
        (one.id, one.message_id, 1),
        (two.id, two.message_id, 1),
    ]


async def test_a_disabled_subscription_gets_no_rows_and_keeps_its_pending_ones(
    storage: Storage,
) -> None:
    sub = await subscribed(storage, EventType.LEAD_TAKEN)
    async with storage.transaction() as uow:
        uow.webhooks.record(event("lead:1", 1))
    async with storage.transaction() as uow:
        await uow.webhooks.disable(sub, "gone", NOW)
        uow.webhooks.record(event("lead:1", 2))
    async with storage.transaction() as uow:
        assert await uow.webhooks.due_subscriptions(NOW) == []
        assert await uow.webhooks.claim_due(sub, NOW, 10, NOW + LEASE) == []
        assert len(await uow.webhooks.deliveries(sub, None, 10)) == 1
