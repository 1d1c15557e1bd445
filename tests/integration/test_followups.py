"""A message from a person in work lands on their open lead or deal, not as a new lead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channels.model import EventKind, InboundEvent, PersonDetails
from crm_core.conversation import Conversation, IncomingMessage, message_notifications
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.deals import move_deal
from crm_core.inbound import InboundSetup, Route, SalesHooks
from crm_core.model import InboxItem, LeadFilter, NewInboxItem
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.routing import Team
from crm_core.sales import ActivityKind, RecordKind
from crm_core.storage import Storage, UnitOfWork
from intake.notify.texts import render
from intake.processing import InboundBatchHandler
from intake.worker import InboxWorker
from tests.integration.test_sales_flow import PIPELINES, team

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
T1 = datetime(2030, 1, 1, tzinfo=UTC)


def message(
    external_id: str,
    text: str,
    channel: str = "telegram",
    *,
    phone: str | None = "+79161234567",
    telegram_id: str = "4242",
    email: str | None = None,
    meta: dict[str, str] | None = None,
) -> dict[str, Any]:
    return InboundEvent(
        channel=channel,
        source="sales",
        external_id=external_id,
        received_at=T0,
        person=PersonDetails(
            name="Иван Петров",
            phone=phone,
            email=email,
            messenger_ids={"telegram_id": telegram_id} if channel == "telegram" else {},
        ),
        comment=text,
        meta=meta or {},
        kind=EventKind.REQUEST
        if channel == "webform" or (meta or {}).get("event_type") == "lead_forms_new"
        else EventKind.MESSAGE,
    ).to_json()


async def add(storage: Storage, *events: dict[str, Any]) -> None:
    async with storage.transaction() as uow:
        await uow.inbox.add_batch(
            [
                NewInboxItem(e["channel"], e["source"], e["external_id"], T0, {}, {}, e)
                for e in events
            ]
        )


async def drain(storage: Storage) -> None:
    handler = InboundBatchHandler(InboundSetup(lambda _c, _s: Route("main", "main"), "RU"))
    worker = InboxWorker(storage, handler, batch=10, poll_seconds=0.05, max_attempts=3)
    while await worker.drain_once():
        pass


async def leads(storage: Storage) -> list[Any]:
    async with storage.reader() as uow:
        return sorted(await uow.leads.list(LeadFilter(), 50, None), key=lambda lead: lead.id)


async def inbox_row(storage: Storage, external_id: str) -> InboxItem:
    async with storage.reader() as uow:
        for n in range(1, 50):
            item = await uow.inbox.get(n)
            if item is not None and item.external_id == external_id:
                return item
    raise AssertionError(f"no inbox row {external_id}")


async def test_messages_of_a_person_in_work_land_on_their_open_lead_then_deal(
    storage: Storage,
) -> None:
    staff = await team(storage)
    await add(storage, message("m1", "Здравствуйте, нужен расчёт"))
    await drain(storage)
    await add(storage, message("m2", "Забыл добавить: доставка в Казань"))
    await drain(storage)
    [first] = await leads(storage)
    async with storage.reader() as uow:
        on_lead = await uow.sales.activities_of(RecordKind.LEAD, first.id)
    assert [a.kind for a in on_lead] == [ActivityKind.MESSAGE]
    assert on_lead[0].text == "Забыл добавить: доставка в Казань"
    second_row = await inbox_row(storage, "m2")
    assert (second_row.status, second_row.lead_id) == ("processed", first.id)

    async with storage.transaction() as uow:
        done = await convert_lead(
            uow, first.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
    await add(storage, message("m3", "Когда привезёте?"))
    await drain(storage)
    assert [lead.id for lead in await leads(storage)] == [first.id]
    async with storage.reader() as uow:
        on_deal = await uow.sales.activities_of(RecordKind.DEAL, done.deal_id or 0)
    assert [(a.kind, a.text) for a in on_deal] == [(ActivityKind.MESSAGE, "Когда привезёте?")]


async def test_a_closed_deal_means_the_next_message_is_a_new_request_then_a_conversation(
    storage: Storage,
) -> None:
    staff = await team(storage)
    await add(storage, message("m1", "Нужен расчёт"))
    await drain(storage)
    [first] = await leads(storage)
    async with storage.transaction() as uow:
        done = await convert_lead(
            uow, first.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
        await move_deal(uow, done.deal_id or 0, "won", staff["head"], None, PIPELINES, T0)
    await add(storage, message("m2", "Хотим заказать ещё"))
    await drain(storage)
    await add(storage, message("m3", "И ещё вопрос по доставке"))
    await drain(storage)
    first, repeat = await leads(storage)
    assert repeat.contact_id == done.contact_id and repeat.match and repeat.match.is_repeat
    async with storage.reader() as uow:
        on_repeat = await uow.sales.activities_of(RecordKind.LEAD, repeat.id)
    assert [a.text for a in on_repeat] == ["И ещё вопрос по доставке"]


async def test_a_shared_phone_fills_the_open_lead_and_finds_it_from_other_channels(
    storage: Storage,
) -> None:
    await add(storage, message("t1", "Сколько стоит?", phone=None))
    await drain(storage)
    await add(storage, message("t2", "", phone="8 (916) 765-43-21"))
    await drain(storage)
    [lead] = await leads(storage)
    assert lead.data.contact.phone == "+79167654321"
    async with storage.reader() as uow:
        [activity] = await uow.sales.activities_of(RecordKind.LEAD, lead.id)
    assert activity.text is not None and "+79167654321" in activity.text

    await add(storage, message("w1", "Перезвоните", channel="webform", phone="+7 916 765 43 21"))
    await drain(storage)
    _, from_site = await leads(storage)
    assert from_site.match is not None and from_site.match.duplicate_of_id == lead.id


async def test_messages_written_before_the_worker_ran_make_one_lead(storage: Storage) -> None:
    await add(
        storage,
        message("b1", "Здравствуйте", phone=None),
        message("b2", "Хочу купить", phone=None),
        message("other", "Я другой человек", phone=None, telegram_id="777"),
        message("b3", "Сколько стоит?", phone=None),
    )
    await drain(storage)
    person, other = await leads(storage)
    assert person.data.comment == "Здравствуйте" and other.data.comment == "Я другой человек"
    async with storage.reader() as uow:
        texts = [a.text for a in await uow.sales.activities_of(RecordKind.LEAD, person.id)]
    assert texts == ["Хочу купить", "Сколько стоит?"]


async def test_a_site_form_from_a_person_in_work_is_still_a_new_request(
    storage: Storage,
) -> None:
    await add(storage, message("m1", "Вопрос в Telegram"))
    await drain(storage)
    await add(storage, message("f1", "Заявка с сайта", channel="webform"))
    await drain(storage)
    first, form = await leads(storage)
    assert form.match is not None and form.match.duplicate_of_id == first.id
    async with storage.reader() as uow:
        [activity] = await uow.sales.activities_of(RecordKind.LEAD, first.id)
    assert activity.text is not None and "Заявка с сайта" in activity.text


async def test_a_form_and_a_message_of_one_person_in_one_batch_make_one_lead(
    storage: Storage,
) -> None:
    """The batch's requests are handled before its messages, so the message finds the lead
    the form just made, as it would have had the worker run between them."""
    await add(
        storage,
        message("m1", "Написал ещё в Telegram"),
        message("f1", "Заявка с сайта", channel="webform"),
    )
    await drain(storage)
    [form] = await leads(storage)
    assert form.data.channel == "webform"
    async with storage.reader() as uow:
        [activity] = await uow.sales.activities_of(RecordKind.LEAD, form.id)
    assert activity.text == "Написал ещё в Telegram"
    assert (await inbox_row(storage, "m1")).lead_id == form.id


async def test_an_email_reply_in_a_thread_lands_on_that_lead_whoever_sends_it(
    storage: Storage,
) -> None:
    await add(
        storage,
        message(
            "<q1@client.ru>", "Прошу КП", channel="email", phone=None, email="buyer@client.ru"
        ),
    )
    await drain(storage)
    reply = message(
        "<r1@client.ru>",
        "Добавлю от себя: нужна рассрочка",
        channel="email",
        phone=None,
        email="director@client.ru",
        meta={
            "in_reply_to": "<ours@leadintake>",
            "references": "<q1@client.ru> <ours@leadintake>",
        },
    )
    unrelated = message(
        "<n1@other.ru>",
        "Новый вопрос",
        channel="email",
        phone=None,
        email="someone@other.ru",
        meta={"in_reply_to": "<unknown@nowhere>"},
    )
    await add(storage, reply, unrelated)
    await drain(storage)
    first, new = await leads(storage)
    assert new.data.contact.email == "someone@other.ru"
    async with storage.reader() as uow:
        [activity] = await uow.sales.activities_of(RecordKind.LEAD, first.id)
    assert (activity.kind, activity.text) == (
        ActivityKind.EMAIL,
        "Добавлю от себя: нужна рассрочка",
    )
    # The colleague's address was not written onto the client's lead: their own request
    # later is a request of its own.
    assert first.data.contact.email == "buyer@client.ru"
    await add(
        storage,
        message(
            "<d2@client.ru>",
            "Отдельный вопрос",
            channel="email",
            phone=None,
            email="director@client.ru",
        ),
    )
    await drain(storage)
    assert len(await leads(storage)) == 3


async def test_a_phone_shared_on_a_deal_is_learned_by_the_clients_contact(
    storage: Storage,
) -> None:
    staff = await team(storage)
    await add(storage, message("t1", "Хочу заказать", phone=None))
    await drain(storage)
    [lead] = await leads(storage)
    async with storage.transaction() as uow:
        done = await convert_lead(
            uow, lead.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
    await add(storage, message("t2", "", phone="+7 916 555-44-33"))
    await drain(storage)
    async with storage.reader() as uow:
        contact = await uow.identity.get_contact(done.contact_id or 0)
    assert contact is not None and "+79165554433" in contact.phones
    # So the client calling or writing a form from that phone is recognised at once.
    await add(
        storage, message("f1", "Звонил, не дозвонился", channel="webform", phone="8 916 555 44 33")
    )
    await drain(storage)
    form = (await leads(storage))[-1]
    assert form.contact_id == done.contact_id and form.match and form.match.is_repeat


async def test_the_owner_is_told_about_the_new_message(storage: Storage) -> None:
    staff = await team(storage)
    crew = Team({m.id: m for m in staff.values()}, {}, channels=frozenset(NotificationChannel))

    async def notify(
        uow: UnitOfWork, chat: Conversation, msg: IncomingMessage, activity: int, now: datetime
    ) -> None:
        await uow.outbox.enqueue(message_notifications(crew, chat, msg, activity), now)

    handler = InboundBatchHandler(
        InboundSetup(
            lambda _c, _s: Route("main", "main"), "RU", hooks=SalesHooks(notify_message=notify)
        )
    )
    worker = InboxWorker(storage, handler, batch=10, poll_seconds=0.05, max_attempts=3)
    await add(storage, message("m1", "Здравствуйте"))
    await worker.drain_once()
    [lead] = await leads(storage)
    async with storage.transaction() as uow:
        await uow.leads.set_assignee(lead.id, staff["ivanova"].id, None, T0)
    await add(storage, message("m2", "Жду ответа"))
    await worker.drain_once()
    async with storage.transaction() as uow:
        queued = await uow.outbox.claim_due(T1, 50, T1)
    told = {m.channel: m for m in queued if m.kind is NotificationKind.NEW_MESSAGE}
    # Анна has an e-mail address and a Telegram chat (in-app rows go out through the live
    # feed, not the dispatcher, so they are not claimed here).
    assert set(told) == {NotificationChannel.TELEGRAM, NotificationChannel.EMAIL}
    assert {m.manager_id for m in told.values()} == {staff["ivanova"].id}
    chat = told[NotificationChannel.TELEGRAM]
    assert chat.payload["lead_id"] == lead.id and chat.payload["message"] == "Жду ответа"
    assert render(NotificationKind.NEW_MESSAGE, chat.payload).subject.startswith(
        f"Новое сообщение по заявке №{lead.id}"
    )
