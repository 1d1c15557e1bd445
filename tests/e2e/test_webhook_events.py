"""Each event type comes from the use case that makes the change: conversion and deal moves,
a missed call from the PBX, a client's message, a task going overdue; filters by pipeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config import Settings, load_settings
from crm_core.conversation import IncomingMessage, conversation_of_lead, log_message
from crm_core.model import LeadContactDetails
from intake.clock import utcnow
from intake.webhooks.overdue import report_overdue_tasks
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_telephony_hooks import (
    ENV,
    TELEPHONY_CONFIG,
    post,
    zadarma_body,
    zadarma_headers,
)
from tests.e2e.test_webhooks import WEBHOOKS, submit, subscribe, until
from tests.webhook_receiver import Receiver, receiving


@pytest.fixture
def settings(write_config: Callable[[str], Settings]) -> Settings:
    """Quick webhook retries, loopback receivers allowed, overdue tasks looked for often."""
    return write_config(WEBHOOKS + "overdue_poll_seconds = 0.05\n")


async def call(running: Running, method: str, path: str, login: str, body: Any = None) -> Any:
    async with running.client.request(method, path, json=body, headers=running.auth(login)) as r:
        assert r.status in (200, 201), await r.text()
        return await r.json()


async def test_conversion_and_a_won_deal_are_sent_in_order(any_db_service: Running) -> None:
    running = any_db_service
    receiver = Receiver()
    events = ["lead.converted", "deal.stage_changed", "deal.won", "deal.lost"]
    async with receiving(receiver):
        receiver.secret = (await subscribe(running, receiver.url, events))["secret"]
        lead = await running.wait_for_lead(await submit(running, 7))
        owner = lead["assignee"]
        await call(running, "POST", f"/api/v1/leads/{lead['id']}/take", owner)
        converted = await call(running, "POST", f"/api/v1/leads/{lead['id']}/convert", owner, {})
        deal_id = converted["deal_id"]
        await call(running, "POST", f"/api/v1/deals/{deal_id}/stage", owner, {"stage": "won"})
        await until(lambda: len(receiver.processed) == 3, 10, "three events")
    converted_event, changed, won = receiver.events()
    assert converted_event["type"] == "lead.converted"
    assert converted_event["data"]["deal_id"] == deal_id
    assert converted_event["data"]["status"] == "converted"
    assert [changed["type"], won["type"]] == ["deal.stage_changed", "deal.won"]
    assert won["data"]["deal_id"] == deal_id and won["data"]["stage"] == "won"
    assert won["data"]["previous_stage"] == "opening" and won["data"]["status"] == "won"
    assert won["id"] != changed["id"] and won["timestamp"]


async def test_a_queue_filter_passes_only_events_of_that_queue(service: Running) -> None:
    everything, filtered = Receiver(), Receiver()
    events = ["lead.created", "deal.stage_changed"]
    async with receiving(everything), receiving(filtered):
        everything.secret = (await subscribe(service, everything.url, events))["secret"]
        only_main = await subscribe(service, filtered.url, events, queue="main")
        filtered.secret = only_main["secret"]
        lead = await service.wait_for_lead(await submit(service, 8))
        owner = lead["assignee"]
        converted = await call(service, "POST", f"/api/v1/leads/{lead['id']}/convert", owner, {})
        path = f"/api/v1/deals/{converted['deal_id']}/stage"
        await call(service, "POST", path, owner, {"stage": "won"})
        await until(lambda: len(everything.processed) == 2, 10, "both events unfiltered")
        log = await call(service, "GET", f"/api/v1/webhooks/{only_main['id']}/deliveries", "head")
    # A deal carries a pipeline, not a queue: the queue's filter passes the lead's event only.
    assert [d["event_type"] for d in log["items"]] == ["lead.created"]
    assert [e["type"] for e in everything.events()] == events


async def test_an_overdue_task_is_sent_once(service: Running) -> None:
    receiver = Receiver()
    async with receiving(receiver):
        receiver.secret = (await subscribe(service, receiver.url, ["task.overdue"]))["secret"]
        lead = await service.wait_for_lead(await submit(service, 9))
        due = (utcnow() - timedelta(minutes=5)).isoformat()
        body = {"entity": "lead", "entity_id": lead["id"], "title": "Перезвонить", "due_at": due}
        task = await call(service, "POST", "/api/v1/tasks", "head", body)
        await until(lambda: len(receiver.processed) == 1, 10, "task.overdue")
        later = {
            "entity": "lead",
            "entity_id": lead["id"],
            "title": "Потом",
            "due_at": "2099-01-01T00:00:00+00:00",
        }
        await call(service, "POST", "/api/v1/tasks", "head", later)
        # Reported once per due time: the watch finds nothing more to send.
        assert await report_overdue_tasks(service.services.storage, utcnow()) == 0
    [event] = receiver.events()
    assert event["type"] == "task.overdue" and event["data"]["task_id"] == task["id"]
    assert event["data"]["title"] == "Перезвонить"


async def test_a_clients_message_on_an_open_lead_is_sent(any_db_service: Running) -> None:
    running = any_db_service
    storage = running.services.storage
    receiver = Receiver()
    async with receiving(receiver):
        receiver.secret = (await subscribe(running, receiver.url, ["message.received"]))["secret"]
        lead = await running.wait_for_lead(await submit(running, 10))
        message = IncomingMessage(
            "telegram", "bot", "Когда доставка?", utcnow(), LeadContactDetails(), inbox_id=1
        )
        async with storage.transaction() as uow:
            conversation = await conversation_of_lead(uow, lead["id"], "test")
            assert conversation is not None
            activity_id = await log_message(uow, conversation, message, utcnow())
        await until(lambda: receiver.processed, 10, "message.received")
    [event] = receiver.events()
    assert event["type"] == "message.received"
    assert event["data"]["activity_id"] == activity_id
    assert event["data"]["lead_id"] == lead["id"] and event["data"]["text"] == "Когда доставка?"


@pytest.fixture(params=["sqlite", "postgres"])
async def pbx_webhook_service(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Telephony providers and quick webhooks, on each database."""
    path = tmp_path / "leadintake.toml"
    text = TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + TELEPHONY_CONFIG + WEBHOOKS
    path.write_text(text, "utf-8")
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(load_settings(path, environ=ENV), storage) as running,
    ):
        yield running


async def test_a_missed_call_is_sent_after_its_lead(pbx_webhook_service: Running) -> None:
    running = pbx_webhook_service
    receiver = Receiver()
    async with receiving(receiver):
        events = ["lead.created", "lead.assigned", "call.missed"]
        receiver.secret = (await subscribe(running, receiver.url, events))["secret"]
        name = "notify_end_no_answer.form"
        answer = await post(
            running, "/hooks/telephony/zadarma", zadarma_body(name), zadarma_headers(name)
        )
        assert answer.status == 200
        await until(lambda: len(receiver.processed) == 3, 10, "three events")
    created, assigned, missed = receiver.events()
    assert [created["type"], assigned["type"], missed["type"]] == events
    lead_id = created["data"]["lead_id"]
    assert missed["data"]["entity"] == "lead" and missed["data"]["entity_id"] == lead_id
    assert missed["data"]["phone"] == "+79263334455"
