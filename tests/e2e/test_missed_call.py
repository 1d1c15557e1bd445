"""A missed call from a new number, posted by the PBX over HTTP, becomes an urgent lead with a
call-back task and a notification for its manager within one worker cycle."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from crm_core.model import LeadFilter
from crm_core.sales import RecordKind
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_telephony_hooks import (
    pbx_any_db_service,
    post,
    zadarma_body,
    zadarma_headers,
)

__all__ = ["pbx_any_db_service"]  # the fixture, used by name
HOOK = "/hooks/telephony/zadarma"


async def call_leads(running: Running, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Poll the leads API until a call lead shows up."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [lead for lead in await running.leads() if lead["channel"] == "call"]
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, "no lead for the call"
        await asyncio.sleep(0.02)


async def test_a_missed_call_from_a_new_number_is_an_urgent_lead_to_call_back(
    pbx_any_db_service: Running,
) -> None:
    running = pbx_any_db_service
    for name in ("notify_end_no_answer.form", "notify_end_no_answer.form"):
        answer = await post(running, HOOK, zadarma_body(name), zadarma_headers(name))
        assert answer.status == 200

    [lead] = await call_leads(running)
    assert lead["phone"] == "+79263334455" and "urgent" in lead["flags"]
    assert lead["comment"].startswith("Пропущенный звонок, с номера +79263334455")
    assert lead["assignee"] is not None
    async with running.services.storage.reader() as uow:
        [stored] = await uow.leads.list(LeadFilter(), 10, None)
        [task] = await uow.sales.tasks_of(RecordKind.LEAD, lead["id"])
        told = await uow.outbox.for_manager(stored.assignee_id or 0, 0, 10)
    assert task.assignee_id == stored.assignee_id
    assert task.due_at <= utcnow() + timedelta(minutes=15)
    assert [m.payload["lead_id"] for m in told] == [lead["id"]]


async def calls(running: Running, login: str, query: str = "") -> tuple[int, dict[str, Any]]:
    async with running.client.get(f"/api/v1/calls?{query}", headers=running.auth(login)) as r:
        return r.status, await r.json()


async def test_the_call_log_shows_each_manager_their_calls(pbx_any_db_service: Running) -> None:
    running = pbx_any_db_service
    name = "notify_end_no_answer.form"
    assert (await post(running, HOOK, zadarma_body(name), zadarma_headers(name))).status == 200
    [lead] = await call_leads(running)

    status, log = await calls(running, "head")
    assert status == 200
    [call] = log["items"]
    assert (call["provider"], call["direction"], call["outcome"]) == ("zadarma", "in", "missed")
    assert call["caller"] == "79263334455" and call["lead_id"] == lead["id"]
    assert call["logged_on"] == {"entity": "lead", "id": lead["id"]}
    assert (await calls(running, lead["assignee"]))[1]["items"] == [call]
    others = [m for m in running.tokens if m not in ("head", lead["assignee"])]
    assert (await calls(running, others[0]))[1]["items"] == []
    assert (await calls(running, "head", "outcome=answered"))[1]["items"] == []
    status, error = await calls(running, "head", "outcome=lost")
    assert status == 422 and error["field"] == "outcome"

    async with running.client.get(
        f"/api/v1/calls/{call['id']}", headers=running.auth("head")
    ) as response:
        detail = await response.json()
    assert [e["key"] for e in detail["events"]] == ["NOTIFY_END"]
    async with running.client.get(
        f"/api/v1/calls/{call['id']}", headers=running.auth(others[0])
    ) as response:
        assert response.status == 404
