"""Outbound webhooks end to end: subscriptions over the API, events of real use cases, signed
deliveries to a loopback receiver that fails, times out and answers 410."""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from config import Settings
from crm_core.lifecycle import take_lead
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.webhook_receiver import Receiver, flaky, receiving

FORM_URL = "/api/v1/forms/site"
WEBHOOKS = """
[webhooks]
allow_private_targets = true
timeout_seconds = 0.3
base_delay_seconds = 0.02
max_delay_seconds = 0.2
poll_seconds = 0.02
concurrency = 8
"""
LEAD_EVENTS = ["lead.created", "lead.assigned", "lead.taken", "lead.junked"]


@pytest.fixture
def settings(write_config: Callable[[str], Settings]) -> Settings:
    """The test config with quick webhook retries that may call loopback receivers."""
    return write_config(WEBHOOKS)


async def subscribe(running: Running, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    """POST /api/v1/webhooks as the head; the created subscription with its secret."""
    body = {"url": url, "events": events, **extra}
    async with running.client.post("/api/v1/webhooks", json=body, headers=running.auth()) as r:
        assert r.status == 201, await r.text()
        created: dict[str, Any] = await r.json()
        return created


async def submit(running: Running, n: int) -> int:
    """A website form for client n; its intake id."""
    body = {"name": f"Клиент {n}", "phone": f"+7916100{n:04d}"}
    async with running.client.post(FORM_URL, json=body) as r:
        assert r.status == 202
        intake_id: int = (await r.json())["intake_id"]
        return intake_id


async def get_json(running: Running, path: str, login: str = "head") -> Any:
    async with running.client.get(path, headers=running.auth(login)) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def until(check: Callable[[], Any], timeout: float, what: str) -> None:
    """Poll `check` (sync or async) until truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not within {timeout}s")
        await asyncio.sleep(0.02)


async def test_subscriptions_are_heads_only_and_checked(service: Running) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["lead.created"]}
    async with service.client.post(
        "/api/v1/webhooks", json=body, headers=service.auth("ivanova")
    ) as r:
        assert r.status == 403
    for wrong, field in (
        ({**body, "events": ["lead.created", "lead.exploded"]}, "events[1]"),
        ({**body, "events": []}, "events"),
        ({**body, "url": "ftp://example.ru/x"}, "url"),
        ({**body, "queue": "nowhere"}, "queue"),
        ({**body, "secret": "short"}, "secret"),
    ):
        async with service.client.post(
            "/api/v1/webhooks", json=wrong, headers=service.auth()
        ) as r:
            assert r.status == 422, wrong
            assert (await r.json())["field"] == field
    created = await subscribe(service, body["url"], ["lead.created"], queue="main")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 24
    listed = await get_json(service, "/api/v1/webhooks")
    assert [w["id"] for w in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0]
    changed = {**body, "events": ["deal.won"], "active": False}
    path = f"/api/v1/webhooks/{created['id']}"
    async with service.client.put(path, json=changed, headers=service.auth()) as r:
        assert r.status == 200
        assert (await r.json())["events"] == ["deal.won"]
    assert (await get_json(service, path))["active"] is False
    async with service.client.delete(path, headers=service.auth()) as r:
        assert r.status == 204
    async with service.client.get(path, headers=service.auth()) as r:
        assert r.status == 404


LEADS = 250  # created, assigned, taken and junked: 1,000 events


async def all_deliveries(running: Running, subscription_id: int) -> list[dict[str, Any]]:
    """Every delivery of a subscription, paging 500 at a time."""
    found: list[dict[str, Any]] = []
    path = f"/api/v1/webhooks/{subscription_id}/deliveries?limit=500"
    while True:
        page = await get_json(running, path + (f"&before_id={found[-1]['id']}" if found else ""))
        found += page["items"]
        if len(page["items"]) < 500:
            return found


async def test_1000_events_to_a_flaky_receiver_arrive_once_each_in_order_per_lead(
    any_db_service: Running,
) -> None:
    running = any_db_service
    receiver = Receiver(answer=flaky(fail=0.30, slow=0.05, seed=19), slow_seconds=0.5)
    events = 4 * LEADS
    async with receiving(receiver):
        created = await subscribe(running, receiver.url, LEAD_EVENTS)
        receiver.secret = created["secret"]
        for n in range(LEADS):
            await submit(running, n)
        leads = await running.wait_for_leads(LEADS, timeout=30)
        for lead in leads:  # each assignee takes their lead, then junks it
            owner = running.auth(lead["assignee"])
            for action, body in (("take", {}), ("junk", {"reason": "spam"})):
                path = f"/api/v1/leads/{lead['id']}/{action}"
                async with running.client.post(path, json=body, headers=owner) as r:
                    assert r.status == 200, await r.text()
        await until(lambda: len(receiver.processed) >= events, 90, f"{events} events processed")

        async def all_delivered() -> bool:
            # A try that timed out after the receiver took it is repeated (the receiver
            # dedupes it) and recorded a moment later: the receiver must still be there.
            found = await all_deliveries(running, created["id"])
            return {d["status"] for d in found} == {"delivered"}

        await until(all_delivered, 60, "every delivery recorded as delivered")
        await asyncio.sleep(0.3)  # nothing more than the 1,000 arrives
    assert len(receiver.processed) == events
    assert receiver.bad_signatures == 0
    assert receiver.repeats > 0  # timeouts made the sender repeat, and the dedupe held
    per_lead: dict[int, list[str]] = defaultdict(list)
    for event in receiver.events():
        per_lead[event["data"]["lead_id"]].append(event["type"])
    assert set(per_lead) == {lead["id"] for lead in leads}
    assert all(types == LEAD_EVENTS for types in per_lead.values())

    log = await all_deliveries(running, created["id"])
    assert len(log) == events
    assert {d["webhook_id"] for d in log} == set(receiver.processed)
    assert max(d["attempts"] for d in log) > 1


async def test_a_rolled_back_change_sends_nothing(any_db_service: Running) -> None:
    running = any_db_service
    storage = running.services.storage
    receiver = Receiver()
    async with receiving(receiver):
        receiver.secret = (await subscribe(running, receiver.url, ["lead.taken"]))["secret"]
        lead = await running.wait_for_lead(await submit(running, 1))
        head = next(m for m in running.services.sales.team.managers.values() if m.is_head)

        class Abandoned(Exception):
            pass

        with pytest.raises(Abandoned):
            async with storage.transaction() as uow:
                await take_lead(uow, lead["id"], head, utcnow())
                raise Abandoned
        async with storage.reader() as uow:
            assert (await uow.webhooks.counts())["pending"] == 0
        async with storage.transaction() as uow:
            await take_lead(uow, lead["id"], head, utcnow())
        await until(lambda: len(receiver.processed) == 1, 10, "the committed take delivered")
    [event] = receiver.events()
    assert event["type"] == "lead.taken" and event["data"]["lead_id"] == lead["id"]
    assert event["data"]["assignee"] == "head" and event["data"]["status"] == "in_work"


async def test_410_disables_the_subscription(any_db_service: Running) -> None:
    running = any_db_service
    receiver = Receiver(answer=lambda _m: "gone")
    async with receiving(receiver):
        created = await subscribe(running, receiver.url, ["lead.created"])
        receiver.secret = created["secret"]
        path = f"/api/v1/webhooks/{created['id']}"

        async def disabled() -> bool:
            return (await get_json(running, path))["active"] is False

        await submit(running, 1)
        await until(disabled, 10, "the subscription disabled")
        found = await get_json(running, path)
        assert "410" in found["disabled_reason"]
        await running.wait_for_lead(await submit(running, 2))
        await asyncio.sleep(0.2)
    assert receiver.requests == 1  # the second lead was not sent to a gone receiver
    dead = await get_json(running, f"{path}/dead-letters")
    assert [d["response_status"] for d in dead["items"]] == [410]


async def test_dead_letters_are_listed_and_replayed_with_the_same_id(
    write_config: Callable[[str], Settings], tmp_path: Any
) -> None:
    from tests.conftest import storage_of_kind
    from tests.e2e.conftest import run_service

    settings = write_config(WEBHOOKS.replace("[webhooks]", "[webhooks]\nmax_age_hours = 0.0001"))
    receiver = Receiver(answer=lambda _m: "fail")
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(settings, storage) as running,
        receiving(receiver),
    ):
        created = await subscribe(running, receiver.url, ["lead.created"])
        receiver.secret = created["secret"]
        await submit(running, 1)
        path = f"/api/v1/webhooks/{created['id']}"

        async def dead_letters() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (await get_json(running, f"{path}/dead-letters"))[
                "items"
            ]
            return items

        await until(dead_letters, 10, "a dead letter")
        [dead] = await dead_letters()
        assert dead["response_status"] == 500 and dead["response_body"] == "receiver failed"
        assert dead["attempts"] >= 1
        receiver.answer = lambda _m: "ok"
        async with running.client.post(f"{path}/dead-letters/replay", headers=running.auth()) as r:
            assert (await r.json()) == {"replayed": 1}
        await until(lambda: len(receiver.processed) == 1, 10, "the replayed delivery")
        assert list(receiver.processed) == [dead["webhook_id"]]
        async with running.client.post(
            f"{path}/deliveries/{dead['id']}/replay", headers=running.auth()
        ) as r:
            assert r.status == 200
        await until(lambda: receiver.repeats == 1, 10, "the second replay")
        assert await dead_letters() == []


async def test_metrics_count_deliveries(service: Running) -> None:
    receiver = Receiver()
    async with receiving(receiver):
        receiver.secret = (await subscribe(service, receiver.url, ["lead.created"]))["secret"]
        await submit(service, 1)
        await until(lambda: receiver.processed, 10, "a delivery")
        await asyncio.sleep(0.1)
    async with service.client.get("/metrics") as r:
        text = await r.text()
    assert 'leadintake_webhook_deliveries_total{result="delivered"} 1.0' in text
    assert "leadintake_webhook_delivery_seconds_count 1.0" in text
    assert "leadintake_webhook_dead_letters 0.0" in text


async def test_an_answer_of_any_bytes_is_logged_cut_to_1_kib(any_db_service: Running) -> None:
    running = any_db_service
    receiver = Receiver(answer=lambda _m: "binary")
    async with receiving(receiver):
        created = await subscribe(running, receiver.url, ["lead.created"])
        receiver.secret = created["secret"]
        await submit(running, 1)
        path = f"/api/v1/webhooks/{created['id']}/deliveries"

        async def delivered() -> bool:
            items = (await get_json(running, path))["items"]
            return bool(items) and items[0]["status"] == "delivered"

        await until(delivered, 10, "the delivery recorded")
    [delivery] = (await get_json(running, path))["items"]
    assert delivery["response_status"] == 200
    assert delivery["response_body"].startswith("ok\ufffd")  # the NUL, stored as U+FFFD
    assert len(delivery["response_body"]) <= 1024


async def test_a_slow_receiver_holds_back_only_itself(service: Running) -> None:
    # Answers in 0.1 s, well within the 0.3 s timeout (a try the sender gave up on would still
    # count as in flight here): 20 events take it at least 3 rounds of 8.
    slow = Receiver(answer=lambda _m: "slow", slow_seconds=0.1)
    fast = Receiver()
    async with receiving(slow), receiving(fast):
        slow.secret = (await subscribe(service, slow.url, ["lead.created"]))["secret"]
        fast.secret = (await subscribe(service, fast.url, ["lead.created"]))["secret"]
        for n in range(20):
            await submit(service, n)
        await until(lambda: len(fast.processed) == 20, 10, "every event at the fast receiver")
        slow_done_then = len(slow.requests_answered())
        await until(lambda: len(slow.processed) == 20, 10, "every event at the slow receiver")
    assert slow_done_then < 20
    assert 2 <= slow.most_in_flight <= 8  # `concurrency` per subscription
