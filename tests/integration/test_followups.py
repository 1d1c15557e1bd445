"""A second request from a person with an open lead or deal is logged on it as an activity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channels.model import InboundEvent, PersonDetails
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.model import LeadFilter
from crm_core.sales import ActivityKind, RecordKind
from crm_core.storage import Storage
from intake.processing import Route, make_batch_handler
from intake.worker import InboxWorker
from tests.integration.test_sales_flow import PIPELINES, team
from tests.integration.test_worker import add

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def message(external_id: str, text: str, channel: str = "telegram") -> dict[str, Any]:
    return InboundEvent(
        channel=channel,
        source="sales",
        external_id=external_id,
        received_at=T0,
        person=PersonDetails(
            name="Иван Петров", phone="+79161234567", messenger_ids={"telegram_id": "4242"}
        ),
        comment=text,
    ).to_json()


async def drain(storage: Storage) -> None:
    handler = make_batch_handler(lambda _c, _s: Route("main", "main"), "RU")
    worker = InboxWorker(storage, handler, batch=10, poll_seconds=0.05, max_attempts=3)
    while await worker.drain_once():
        pass


async def test_messages_of_a_person_in_work_land_on_their_open_lead_then_deal(
    storage: Storage,
) -> None:
    staff = await team(storage)
    await add(storage, "m1", message("m1", "Здравствуйте, нужен расчёт"))
    await drain(storage)
    await add(storage, "m2", message("m2", "Забыл добавить: доставка в Казань"))
    await drain(storage)
    async with storage.reader() as uow:
        first, second = sorted(
            await uow.leads.list(LeadFilter(), 10, None), key=lambda lead: lead.id
        )
        on_lead = await uow.sales.activities_of(RecordKind.LEAD, first.id)
    assert second.match is not None and second.match.duplicate_of_id == first.id
    assert [a.kind for a in on_lead] == [ActivityKind.MESSAGE]
    assert on_lead[0].text is not None and "доставка в Казань" in on_lead[0].text

    async with storage.transaction() as uow:
        done = await convert_lead(
            uow, first.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
    await add(storage, "m3", message("m3", "Когда привезёте?"))
    await drain(storage)
    async with storage.reader() as uow:
        on_deal = await uow.sales.activities_of(RecordKind.DEAL, done.deal_id or 0)
    assert [a.kind for a in on_deal] == [ActivityKind.MESSAGE]
    assert "Когда привезёте?" in (on_deal[0].text or "")


async def test_a_first_request_logs_nothing(storage: Storage) -> None:
    await add(storage, "x1", message("x1", "Привет", channel="vk"))
    await drain(storage)
    async with storage.reader() as uow:
        [lead] = await uow.leads.list(LeadFilter(), 10, None)
        assert await uow.sales.activities_of(RecordKind.LEAD, lead.id) == []
