"""Bad input never harms another request: poisoned forms get 400, their neighbours 202."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.model import InboundEvent, PersonDetails
from crm_core.model import InboxItem, NewInboxItem
from crm_core.notifications import NotificationKind
from tests.e2e.conftest import Running

FORM = "/api/v1/forms/site"
JSON = {"Content-Type": "application/json"}


def legitimate(n: int) -> bytes:
    """An ordinary submission of client number n."""
    body = {"name": f"Клиент {n}", "phone": f"+7 916 {n:03d}-00-00", "comment": "Перезвоните"}
    return json.dumps(body).encode()


# (a raw JSON body, the field its 400 must name)
POISONED: list[tuple[bytes, str]] = [
    (b'{"name": "\\ud800", "phone": "+7 900 100-00-01"}', "name"),
    (b'{"name": "ok", "phone": "+7 900 100-00-02", "comment": "a\\udfffb"}', "comment"),
    (b'{"name": "A\\u0000B", "phone": "+7 900 100-00-03"}', "name"),
    (b'{"name": "x", "email": "a\\u0000@b.ru", "phone": "+7 900 100-00-04"}', "email"),
    (b'{"name": "x", "phone": "+7 900 100-00-05", "amount": ' + b"9" * 5000 + b"}", "body"),
    (
        b'{"name": "x", "phone": "+7 900 100-00-06", "n": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "body",
    ),
    (
        json.dumps({"f": [""] * 8000, "phone": "+7 900 100-00-07"}).encode(),
        "f",
    ),
    (b'{"name": "x", "phone": "+7 900 100-00-08", "\\ud83d": "key"}', "\ufffd"),
    (b'{"name": "x", "phone": "+7 900 100-00-09", "c": "' + b"y" * 20_000 + b'"}', "c"),
    (b'{"name": ["\\u0000"], "phone": "+7 900 100-00-10"}', "name"),
]


async def post(running: Running, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST a raw JSON form body; (status, JSON answer)."""
    async with running.client.post(FORM, data=body, headers=JSON) as response:
        return response.status, await response.json()


async def test_poisoned_forms_among_legitimate_ones_fail_alone(any_db_service: Running) -> None:
    bodies = [legitimate(n) for n in range(100)]
    answers = await asyncio.gather(
        *(post(any_db_service, b) for b in bodies),
        *(post(any_db_service, b) for b, _ in POISONED),
    )
    good, bad = answers[:100], answers[100:]
    assert [status for status, _ in good] == [202] * 100
    assert [status for status, _ in bad] == [400] * len(POISONED)
    assert [answer["field"] for _, answer in bad] == [field for _, field in POISONED]
    leads = await any_db_service.wait_for_leads(100)
    assert len(leads) == 100
    assert {lead["name"] for lead in leads} == {f"Клиент {n}" for n in range(100)}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("name=A%00B&phone=%2B79001000011", "name"),
        ("name=ok&phone=%2B79001000012&comment=%ED%A0%80", "body"),
    ],
)
async def test_urlencoded_nul_and_broken_utf8_are_400(
    service: Running, raw: str, field: str
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with service.client.post(FORM, data=raw, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["field"] == field
    assert await service.leads() == []


async def test_a_row_the_worker_cannot_store_is_parked_and_heads_are_told(
    any_db_service: Running,
) -> None:
    """A row that got into the inbox some other way (an older version, a bulk insert)."""
    running = any_db_service
    event = InboundEvent(
        channel="webform",
        source="site",
        external_id="site:nul",
        received_at=datetime.now(UTC),
        person=PersonDetails(name="Ан\x00на", phone="+7 916 555-00-00"),
    ).to_json()
    item = NewInboxItem("webform", "site", "site:nul", datetime.now(UTC), {}, {}, event)
    receipt = await running.services.writer.store(item)
    if running.services.storage.dialect == "sqlite":
        await running.wait_for_leads(1)  # SQLite stores the NUL; the guard keeps new ones out
        return
    storage = running.services.storage
    deadline = asyncio.get_running_loop().time() + 10
    while (row := await _row(running, receipt.intake_id)).status != "failed":
        assert asyncio.get_running_loop().time() < deadline, row
        await asyncio.sleep(0.02)
    head = running.services.sales.manager_id("head")
    async with storage.reader() as uow:
        told = await uow.outbox.for_manager(head or 0, 0, 50)
    parked = [m for m in told if m.kind is NotificationKind.INTAKE_PARKED]
    assert parked and parked[0].payload["intake_id"] == receipt.intake_id
    assert parked[0].payload["reason"] == "StorageRejected"
    async with running.client.get("/readyz") as response:
        assert response.status == 503
        assert (await response.json())["checks"]["inbox"]["state"] == "failed_rows"
    async with storage.transaction() as uow:  # what `leadintake inbox dismiss` does
        assert await uow.inbox.dismiss([receipt.intake_id], datetime.now(UTC)) == 1
    async with running.client.get("/readyz") as response:
        assert (await response.json())["checks"]["inbox"]["state"] == "ok"


async def _row(running: Running, intake_id: int) -> InboxItem:
    async with running.services.storage.reader() as uow:
        row = await uow.inbox.get(intake_id)
    assert row is not None
    return row
