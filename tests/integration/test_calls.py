"""Calls through the real worker: one call record per provider call, and at its end a lead
or an activity by the call rules (missed calls first)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from channels.model import InboundEvent, PersonDetails
from channels.telephony.model import CallDirection, CallEvent, CallOutcome, CallStage
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.inbound import CallRules, InboundSetup, LineInfo, Route, SalesHooks
from crm_core.model import Lead, LeadFilter, LeadFlag, Manager, NewInboxItem
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.routing import Team, assign_answered_call, route_lead
from crm_core.sales import ActivityKind, RecordKind
from crm_core.storage import Storage, UnitOfWork
from dedupe.detector import Detector
from intake.processing import InboundBatchHandler
from intake.worker import InboxWorker
from tests.integration.test_sales_flow import PIPELINES, team

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LINE = "74951234567"
CALLER = "74957770011"


def call_events(
    call_id: str,
    *,
    provider: str = "zadarma",
    answered_by: str | None = None,
    caller: str = CALLER,
    direction: CallDirection = CallDirection.INBOUND,
) -> list[CallEvent]:
    """A whole call as a provider reports it: ringing, maybe an answer, the hang-up."""
    base: dict[str, Any] = {"provider": provider, "call_id": call_id, "direction": direction}
    if direction is CallDirection.OUTBOUND:
        base.update(caller="101", callee=caller)
    else:
        base.update(caller=caller, line=LINE)
    events = [CallEvent(event_key="NOTIFY_START", stage=CallStage.APPEARED, at=T0, **base)]
    if answered_by:
        events.append(
            CallEvent(
                event_key="NOTIFY_ANSWER",
                stage=CallStage.ANSWERED,
                at=T0 + timedelta(seconds=10),
                extension=answered_by,
                **base,
            )
        )
    events.append(
        CallEvent(
            event_key="NOTIFY_END",
            stage=CallStage.ENDED,
            at=T0 + timedelta(seconds=95),
            outcome=CallOutcome.ANSWERED if answered_by else CallOutcome.MISSED,
            duration_seconds=95,
            **base,
        )
    )
    return events


async def deliver(storage: Storage, events: Sequence[CallEvent]) -> None:
    async with storage.transaction() as uow:
        rows = []
        for event in events:
            inbound = event.to_inbound(T0)
            rows.append(
                NewInboxItem(
                    "call", inbound.source, inbound.external_id, T0, {}, {}, inbound.to_json()
                )
            )
        await uow.inbox.add_batch(rows)


class World:
    """A team, the call rules and the worker the service would build."""

    def __init__(self, storage: Storage, staff: dict[str, Manager]) -> None:
        self.storage = storage
        self.staff = staff
        self.team = Team(
            {m.id: m for m in staff.values()}, {}, channels=frozenset(NotificationChannel)
        )
        detector = Detector()
        rules = CallRules(
            missed_callback_minutes=15,
            line=lambda n: (
                LineInfo("yandex-direct", {"utm_source": "yandex"}) if n == LINE else None
            ),
            extension_manager=lambda ext: staff["ivanova"].id if ext == "101" else None,
        )
        handler = InboundBatchHandler(
            InboundSetup(
                lambda _c, _s: Route(None, "main"),
                "RU",
                detector,
                SalesHooks(
                    route=self.route,
                    assign_answered=self.answered,
                    notify_message=self.notify,
                    notify_ringing=self.ring,
                ),
                rules,
            )
        )
        self.worker = InboxWorker(
            storage,
            handler,
            batch=10,
            poll_seconds=0.05,
            max_attempts=3,
            clock=lambda: T0 + timedelta(minutes=2),
        )

    async def route(self, uow: UnitOfWork, lead: Lead, now: datetime) -> object:
        return await route_lead(uow, lead, None, self.team, now)

    async def answered(
        self, uow: UnitOfWork, lead: Lead, manager_id: int, now: datetime
    ) -> object:
        return await assign_answered_call(uow, lead, manager_id, None, self.team, now)

    async def notify(
        self, uow: UnitOfWork, chat: Any, msg: Any, activity: int, now: datetime
    ) -> None:
        from crm_core.conversation import message_notifications

        await uow.outbox.enqueue(message_notifications(self.team, chat, msg, activity), now)

    async def ring(self, uow: UnitOfWork, chat: Any, summary: Any, now: datetime) -> None:
        from crm_core.conversation import ringing_notifications

        await uow.outbox.enqueue(ringing_notifications(self.team, chat, summary), now)

    async def drain(self) -> None:
        while await self.worker.drain_once():
            pass

    async def leads(self) -> list[Lead]:
        async with self.storage.reader() as uow:
            return sorted(await uow.leads.list(LeadFilter(), 50, None), key=lambda x: x.id)


async def world(storage: Storage) -> World:
    return World(storage, await team(storage))


async def test_a_missed_call_from_a_new_number_is_an_urgent_lead_with_a_call_back(
    storage: Storage,
) -> None:
    w = await world(storage)
    await deliver(storage, call_events("c1"))
    await w.drain()
    [lead] = await w.leads()
    assert (lead.data.channel, lead.data.source) == ("call", "yandex-direct")
    assert lead.data.utm == {"utm_source": "yandex"}
    assert lead.data.contact.phone == "+74957770011"
    assert LeadFlag.URGENT in lead.data.flags
    assert lead.data.comment is not None and lead.data.comment.startswith("Пропущенный звонок")
    async with storage.reader() as uow:
        [task] = await uow.sales.tasks_of(RecordKind.LEAD, lead.id)
        call = await uow.calls.get("zadarma", "c1")
    assert task.title.startswith("Перезвонить") and task.task_type == "call"
    assert task.due_at == T0 + timedelta(seconds=95, minutes=15)
    assert task.assignee_id == lead.assignee_id
    assert call is not None and call.lead_id == lead.id and call.completed_at is not None
    assert call.summary is not None and call.summary.outcome is not None
    assert call.summary.outcome.value == "missed"


async def test_repeated_and_shuffled_events_make_one_call_and_one_lead(storage: Storage) -> None:
    w = await world(storage)
    events = call_events("c2", answered_by="101")
    shuffled = [*events, *events]
    random.Random(7).shuffle(shuffled)
    for event in shuffled:  # one at a time, each its own worker cycle
        await deliver(storage, [event])
        await w.drain()
    assert len(await w.leads()) == 1
    async with storage.reader() as uow:
        assert await uow.calls.count() == 1
        call = await uow.calls.get("zadarma", "c2")
    assert call is not None and len(call.facts) == 3
    assert call.summary is not None and call.summary.extension == "101"


async def test_an_answered_call_goes_to_the_manager_who_answered(storage: Storage) -> None:
    w = await world(storage)
    await deliver(storage, call_events("c3", answered_by="101"))
    await w.drain()
    [lead] = await w.leads()
    assert lead.assignee_id == w.staff["ivanova"].id
    assert LeadFlag.URGENT not in lead.data.flags
    async with storage.reader() as uow:
        [assignment] = await uow.sales.assignments_of(lead.id)
        assert await uow.sales.tasks_of(RecordKind.LEAD, lead.id) == []
    assert assignment.kind == "answered_call" and assignment.accept_by is None


async def test_a_call_from_a_client_in_work_is_logged_on_their_deal(storage: Storage) -> None:
    w = await world(storage)
    await deliver(storage, call_events("first", answered_by="101"))
    await w.drain()
    [lead] = await w.leads()
    async with storage.transaction() as uow:
        done = await convert_lead(
            uow, lead.id, w.staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
    # The client calls again from the same number written differently, and nobody answers.
    await deliver(storage, call_events("second", caller="8 (495) 777-00-11"))
    await w.drain()
    assert [x.id for x in await w.leads()] == [lead.id]
    deal_id = done.deal_id or 0
    async with storage.transaction() as uow:
        [activity] = await uow.sales.activities_of(RecordKind.DEAL, deal_id)
        tasks = await uow.sales.tasks_of(RecordKind.DEAL, deal_id)
        queued = await uow.outbox.claim_due(T0 + timedelta(days=1), 20, T0 + timedelta(days=1))
    assert activity.kind is ActivityKind.CALL and activity.text is not None
    assert activity.text.startswith("Пропущенный звонок, с номера +74957770011")
    [task] = [t for t in tasks if t.title.startswith("Перезвонить")]
    assert task.assignee_id == w.staff["ivanova"].id
    told = [m for m in queued if m.kind is NotificationKind.CLIENT_CALLED]
    assert {m.manager_id for m in told} == {w.staff["ivanova"].id}
    assert told[0].payload["deal_id"] == deal_id


async def test_outgoing_calls_are_never_leads(storage: Storage) -> None:
    w = await world(storage)
    await deliver(storage, call_events("out1", direction=CallDirection.OUTBOUND))
    await w.drain()
    assert await w.leads() == []
    async with storage.reader() as uow:
        call = await uow.calls.get("zadarma", "out1")
    assert call is not None and call.completed_at is not None and call.lead_id is None


async def test_an_outgoing_call_to_a_person_in_work_is_logged_on_their_lead(
    storage: Storage,
) -> None:
    w = await world(storage)
    person = InboundEvent(
        channel="webform",
        source="site",
        external_id="f1",
        received_at=T0,
        person=PersonDetails(name="Клиент", phone="+7 495 777-00-11"),
    ).to_json()
    async with storage.transaction() as uow:
        await uow.inbox.add_batch([NewInboxItem("webform", "site", "f1", T0, {}, {}, person)])
    await w.drain()
    await deliver(
        storage, call_events("out2", direction=CallDirection.OUTBOUND, answered_by="101")
    )
    await w.drain()
    [lead] = await w.leads()
    async with storage.reader() as uow:
        [activity] = await uow.sales.activities_of(RecordKind.LEAD, lead.id)
    assert activity.text is not None and activity.text.startswith("Исходящий звонок, разговор")


async def test_a_mango_call_ends_at_its_summary_not_at_a_legs_hang_up(storage: Storage) -> None:
    w = await world(storage)
    events = call_events("entry", provider="mango")
    await deliver(storage, events)
    await w.drain()
    assert await w.leads() == []  # only a leg hung up so far
    summary = CallEvent(
        provider="mango",
        call_id="entry",
        event_key="summary",
        stage=CallStage.SUMMARY,
        at=T0 + timedelta(seconds=96),
        direction=CallDirection.INBOUND,
        caller=CALLER,
        line=LINE,
        outcome=CallOutcome.MISSED,
    )
    await deliver(storage, [summary])
    await w.drain()
    [lead] = await w.leads()
    assert LeadFlag.URGENT in lead.data.flags


async def test_the_owner_sees_who_is_calling_while_the_phone_rings(storage: Storage) -> None:
    w = await world(storage)
    await deliver(storage, call_events("first", answered_by="101"))
    await w.drain()
    [lead] = await w.leads()
    ringing, *rest = call_events("again")
    await deliver(storage, [ringing])
    await w.drain()
    await deliver(storage, [ringing, *rest])  # the PBX repeats itself, then the call ends
    await w.drain()
    async with storage.reader() as uow:
        feed = await uow.outbox.for_manager(w.staff["ivanova"].id, 0, 50)
    cards = [m for m in feed if m.kind is NotificationKind.INCOMING_CALL]
    assert len(cards) == 1 and cards[0].channel is NotificationChannel.SSE
    assert cards[0].payload["lead_id"] == lead.id
    assert cards[0].payload["phone"] == CALLER
    # Unknown callers ring nobody's card: they become leads when the call ends.
    await deliver(storage, call_events("stranger", caller="74990001122")[:1])
    await w.drain()
    async with storage.reader() as uow:
        feed = await uow.outbox.for_manager(w.staff["ivanova"].id, 0, 50)
    assert len([m for m in feed if m.kind is NotificationKind.INCOMING_CALL]) == 1
