"""The inbound use cases on their own (crm_core.inbound), on real storage: requests make
leads, messages join an open conversation or make a lead, calls follow the call rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from crm_core.calls import CallDirection, CallFact, CallOutcome, CallStage
from crm_core.inbound import (
    CALLBACK_TITLE,
    CallReport,
    CallRules,
    Handled,
    InboundSetup,
    Route,
    SalesHooks,
    Sender,
    Submission,
    handle_call,
    handle_message,
    handle_request,
    prepare,
)
from crm_core.model import Lead, LeadFilter, LeadFlag, NewInboxItem
from crm_core.sales import ActivityKind, RecordKind
from crm_core.storage import Storage, UnitOfWork

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PHONE = "+79161234567"
SETUP = InboundSetup(lambda _c, _s: Route("main", "main"), "RU")


async def stored(storage: Storage, channel: str, external_id: str) -> int:
    """An inbox row for the record to point at (the use cases take the row's id)."""
    async with storage.transaction() as uow:
        [receipt] = await uow.inbox.add_batch(
            [NewInboxItem(channel, "sales", external_id, T0, {}, {}, {})]
        )
    return receipt.intake_id


async def submission(
    storage: Storage,
    external_id: str,
    text: str,
    *,
    channel: str = "telegram",
    phone: str | None = PHONE,
    telegram_id: str | None = None,
) -> Submission:
    return Submission(
        inbox_id=await stored(storage, channel, external_id),
        channel=channel,
        source="sales",
        received_at=T0,
        sender=Sender(
            name="Иван Петров",
            phone=phone,
            messenger_ids={"telegram_id": telegram_id} if telegram_id else {},
        ),
        comment=text,
    )


async def leads(storage: Storage) -> list[Lead]:
    async with storage.reader() as uow:
        return sorted(await uow.leads.list(LeadFilter(), 50, None), key=lambda x: x.id)


async def test_requests_make_one_lead_each_once(storage: Storage) -> None:
    batch = [
        prepare(await submission(storage, f"f{n}", "Нужен счёт", channel="webform"), SETUP)
        for n in range(2)
    ]
    async with storage.transaction() as uow:
        first = await handle_request(uow, batch, T0, SETUP)
    async with storage.transaction() as uow:
        again = await handle_request(uow, batch, T0, SETUP)
    assert [h.lead_created for h in first] == [True, True]
    assert [h.lead_id for h in again] == [h.lead_id for h in first]
    assert [h.lead_created for h in again] == [False, False]
    made = await leads(storage)
    assert [lead.data.contact.phone for lead in made] == [PHONE, PHONE]
    assert {(lead.data.queue, lead.data.pipeline) for lead in made} == {("main", "main")}


async def test_a_message_from_a_stranger_makes_a_lead(storage: Storage) -> None:
    message = prepare(await submission(storage, "m1", "Здравствуйте"), SETUP)
    async with storage.transaction() as uow:
        [handled] = await handle_message(uow, [message], T0, SETUP)
    [lead] = await leads(storage)
    assert handled == Handled(lead_id=lead.id, lead_created=True)
    assert lead.data.comment == "Здравствуйте"


async def test_a_message_from_a_person_in_work_joins_their_open_lead(storage: Storage) -> None:
    told: list[int] = []

    async def notify(
        _uow: UnitOfWork, _chat: object, _msg: object, activity: int, *_: object
    ) -> None:
        told.append(activity)

    setup = replace(SETUP, hooks=SalesHooks(notify_message=notify))
    first = prepare(await submission(storage, "m1", "Здравствуйте"), setup)
    async with storage.transaction() as uow:
        [opened] = await handle_message(uow, [first], T0, setup)
    # Later, from another channel, with the phone written another way.
    later = prepare(
        await submission(storage, "m2", "Нужно 20 штук", channel="vk", phone="8 916 123-45-67"),
        setup,
    )
    async with storage.transaction() as uow:
        [joined] = await handle_message(uow, [later], T0 + timedelta(minutes=5), setup)
        activities = await uow.sales.activities_of(RecordKind.LEAD, opened.lead_id or 0)
    assert joined.lead_id == opened.lead_id and not joined.lead_created
    assert joined.activity_id is not None and told == [joined.activity_id]
    [activity] = activities
    assert activity.kind is ActivityKind.MESSAGE and activity.text == "Нужно 20 штук"
    assert len(await leads(storage)) == 1


async def test_messages_of_one_new_person_in_one_batch_make_one_lead(storage: Storage) -> None:
    batch = [
        prepare(await submission(storage, f"m{n}", text, telegram_id="42"), SETUP)
        for n, text in enumerate(["Привет", "Нужен счёт"])
    ]
    stranger = prepare(
        await submission(storage, "other", "Добрый день", phone="+79035550000"), SETUP
    )
    async with storage.transaction() as uow:
        done = await handle_message(uow, [*batch, stranger], T0, SETUP)
    made = await leads(storage)
    assert len(made) == 2
    assert [h.lead_created for h in done] == [True, False, True]
    assert done[1].lead_id == done[0].lead_id and done[1].activity_id is not None


def fact(call_id: str, key: str, stage: CallStage, seconds: int, **fields: object) -> CallFact:
    return CallFact(
        provider="zadarma",
        call_id=call_id,
        event_key=key,
        stage=stage,
        at=T0 + timedelta(seconds=seconds),
        **fields,
    )


async def call(
    storage: Storage,
    call_id: str,
    *,
    answered_by: str | None = None,
    direction: CallDirection = CallDirection.INBOUND,
) -> list[CallReport]:
    """A whole call: ringing, maybe an answer, the hang-up."""
    parties: dict[str, object] = {"direction": direction}
    if direction is CallDirection.OUTBOUND:
        parties.update(caller="101", callee="74957770011")
    else:
        parties.update(caller="74957770011", line="74951234567")
    facts = [fact(call_id, "start", CallStage.APPEARED, 0, **parties)]
    if answered_by:
        facts.append(fact(call_id, "answer", CallStage.ANSWERED, 10, extension=answered_by))
    outcome = CallOutcome.ANSWERED if answered_by else CallOutcome.MISSED
    facts.append(fact(call_id, "end", CallStage.ENDED, 95, outcome=outcome, **parties))
    return [
        CallReport(await stored(storage, "call", f"{call_id}:{f.event_key}"), "call", T0, f)
        for f in facts
    ]


async def test_a_missed_call_is_an_urgent_lead_with_a_call_back_task(storage: Storage) -> None:
    reports = await call(storage, "c1")
    async with storage.transaction() as uow:
        done = await handle_call(uow, reports, T0 + timedelta(minutes=2), SETUP)
    [lead] = await leads(storage)
    assert [h.lead_created for h in done] == [False, True]  # ringing, then the hang-up
    assert LeadFlag.URGENT in lead.data.flags and lead.data.channel == "call"
    async with storage.reader() as uow:
        [task] = await uow.sales.tasks_of(RecordKind.LEAD, lead.id)
    assert task.title == CALLBACK_TITLE
    assert task.due_at == T0 + timedelta(seconds=95, minutes=15)


async def test_an_answered_call_goes_to_the_extensions_manager(storage: Storage) -> None:
    assigned: list[tuple[int, int]] = []

    async def answered(uow: UnitOfWork, lead: Lead, manager_id: int, now: datetime) -> None:
        assigned.append((lead.id, manager_id))

    setup = replace(
        SETUP,
        hooks=SalesHooks(assign_answered=answered),
        call_rules=CallRules(extension_manager=lambda ext: 7 if ext == "101" else None),
    )
    reports = await call(storage, "c2", answered_by="101")
    async with storage.transaction() as uow:
        await handle_call(uow, reports, T0 + timedelta(minutes=2), setup)
    [lead] = await leads(storage)
    assert assigned == [(lead.id, 7)]
    assert LeadFlag.URGENT not in lead.data.flags
    async with storage.reader() as uow:
        assert await uow.sales.tasks_of(RecordKind.LEAD, lead.id) == []


async def test_an_outgoing_call_to_a_stranger_is_never_a_lead(storage: Storage) -> None:
    reports = await call(storage, "out", direction=CallDirection.OUTBOUND)
    async with storage.transaction() as uow:
        done = await handle_call(uow, reports, T0 + timedelta(minutes=2), SETUP)
        kept = await uow.calls.get("zadarma", "out")
    assert await leads(storage) == []
    assert all(h.lead_id is None and not h.lead_created for h in done)
    assert kept is not None and kept.completed_at is not None and kept.lead_id is None


async def test_a_repeated_call_event_changes_nothing(storage: Storage) -> None:
    reports = await call(storage, "c3")
    async with storage.transaction() as uow:
        await handle_call(uow, reports, T0 + timedelta(minutes=2), SETUP)
    async with storage.transaction() as uow:
        [again] = await handle_call(uow, reports[-1:], T0 + timedelta(minutes=3), SETUP)
    [lead] = await leads(storage)
    assert again == Handled(lead_id=lead.id, lead_created=False)
