"""Qualification, conversion, deal stages and routing on both databases."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_core.assignment import Queue, QueueMember, WaitForDuty
from crm_core.contacts import add_contacts, prepare_contact
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.deals import decide_lost, move_deal
from crm_core.errors import NotFound, RuleError
from crm_core.ingest import IngestLead, ingest_leads
from crm_core.lifecycle import junk_lead, take_lead
from crm_core.model import (
    Lead,
    LeadContactDetails,
    LeadFlag,
    LeadMatch,
    LeadStatus,
    Manager,
    NewInboxItem,
    NewLead,
    NewManager,
    Role,
)
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.pipelines import (
    Pipeline,
    Stage,
    StageKind,
    StageOrder,
    StageRuleViolation,
    StageTask,
)
from crm_core.routing import Team, route_lead
from crm_core.sales import DealStatus, RecordKind
from crm_core.storage import Storage
from dedupe.profile import RawIdentity

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
REASONS = {"spam": "Спам", "no_answer": "Не дозвонились"}
PIPELINES = {
    "main": Pipeline(
        key="main",
        name="Продажи",
        stage_order=StageOrder.FREE,
        stages=(
            Stage("opening", "Первичный контакт"),
            Stage("invoice", "Счёт", required_fields=("amount",)),
            Stage(
                "payment",
                "Оплата",
                tasks_on_enter=(StageTask("Проверить оплату", timedelta(days=3)),),
            ),
            Stage("won", "Успешно", StageKind.WON),
            Stage("lost", "Провалена", StageKind.LOST),
        ),
        lost_requires_approval=True,
        lost_reasons=("Дорого", "Другое"),
    )
}


async def team(storage: Storage) -> dict[str, Manager]:
    async with storage.transaction() as uow:
        people = [
            NewManager(
                "ivanova",
                "Анна Иванова",
                Role.MANAGER,
                "ivanova@example.ru",
                "1001",
                "Europe/Moscow",
                True,
            ),
            NewManager("petrov", "Пётр Петров", Role.MANAGER, None, None, "Europe/Moscow", True),
            NewManager("head", "Ольга Руководитель", Role.HEAD, None, None, "Europe/Moscow", True),
        ]
        return {m.login: await uow.managers.upsert(m, T0) for m in people}


async def new_lead(
    storage: Storage,
    n: int,
    *,
    company: str | None = "ООО Ромашка",
    amount: str = "150 000",
    flags: tuple[LeadFlag, ...] = (),
) -> Lead:
    lead = NewLead(
        inbox_id=0,
        channel="webform",
        source="site",
        contact=LeadContactDetails(name="Иван Петров", phone=f"+7916123450{n}", company=company),
        comment="Нужен расчёт",
        utm={},
        page_url=None,
        referrer=None,
        fields={"amount": amount, "product": "Монтаж"},
        meta={},
        flags=flags,
        queue="main",
        pipeline="main",
        received_at=T0,
    )
    async with storage.transaction() as uow:
        [receipt] = await uow.inbox.add_batch(
            [NewInboxItem("webform", "site", f"x{n}", T0, {}, {}, {})]
        )
        [(stored, _)] = await ingest_leads(
            uow, [IngestLead(_with_inbox(lead, receipt.intake_id), None)], T0
        )
    return stored


def _with_inbox(lead: NewLead, inbox_id: int) -> NewLead:
    return replace(lead, inbox_id=inbox_id)


async def test_take_then_junk_needs_a_known_reason(storage: Storage) -> None:
    staff = await team(storage)
    lead = await new_lead(storage, 1)
    async with storage.transaction() as uow:
        taken = await take_lead(uow, lead.id, staff["ivanova"], T0)
    assert taken.status is LeadStatus.IN_WORK and taken.assignee == "ivanova"
    assert taken.taken_at == T0

    with pytest.raises(RuleError) as refused:
        async with storage.transaction() as uow:
            await junk_lead(uow, lead.id, staff["ivanova"], "boring", REASONS, T0)
    assert refused.value.field == "reason" and "spam" in refused.value.message

    with pytest.raises(NotFound):
        async with storage.transaction() as uow:
            await junk_lead(uow, lead.id, staff["petrov"], "spam", REASONS, T0)

    async with storage.transaction() as uow:
        junk = await junk_lead(uow, lead.id, staff["ivanova"], "spam", REASONS, T0)
        audit = await uow.audit.for_entity("lead", lead.id)
    assert junk.status is LeadStatus.JUNK and junk.junk_reason == "spam"
    moves = [(a.action, a.before, a.after) for a in audit if a.action in ("take", "junk")]
    assert moves[0][1]["status"] == "new" and moves[0][2]["status"] == "in_work"
    assert moves[1][1]["status"] == "in_work" and moves[1][2]["junk_reason"] == "spam"


async def test_conversion_creates_contact_company_deal_once(storage: Storage) -> None:
    staff = await team(storage)
    lead = await new_lead(storage, 2)
    async with storage.transaction() as uow:
        first = await convert_lead(
            uow, lead.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
    async with storage.transaction() as uow:
        again = await convert_lead(
            uow, lead.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
        deal = await uow.sales.get_deal(first.deal_id or 0)
        tasks = await uow.sales.tasks_of(RecordKind.DEAL, first.deal_id or 0)
        contact = await uow.identity.get_contact(first.contact_id)
        stored = await uow.leads.get(lead.id)

    assert first.created == ("contact", "company", "deal")
    assert (again.contact_id, again.company_id, again.deal_id, again.created) == (
        first.contact_id,
        first.company_id,
        first.deal_id,
        (),
    )
    assert deal is not None and deal.stage == "opening" and deal.status is DealStatus.OPEN
    assert deal.amount == Decimal("150000.00") and deal.products == ["Монтаж"]
    assert deal.contact_id == first.contact_id and deal.company_id == first.company_id
    assert [t.title for t in tasks] == ["Связаться с клиентом"]
    assert contact is not None and contact.company_id == first.company_id
    assert contact.phones == ("+79161234502",)
    assert stored is not None and stored.status is LeadStatus.CONVERTED
    assert stored.deal_id == first.deal_id


async def test_conversion_reuses_the_matched_contact(storage: Storage) -> None:
    staff = await team(storage)
    lead = await new_lead(storage, 3, company=None)
    async with storage.transaction() as uow:
        [known] = await add_contacts(
            uow, [prepare_contact(RawIdentity(name="Иван Петров"), "RU")], T0
        )
        await uow.leads.record_match(
            lead.id, LeadMatch("auto", 9.0, known, None, True, {}), None, T0
        )
        result = await convert_lead(
            uow, lead.id, staff["head"], ConvertRequest(create_deal=False), PIPELINES, "RU", T0
        )
        contact = await uow.identity.get_contact(known)
    assert result.contact_id == known and result.created == () and result.deal_id is None
    assert contact is not None and "+79161234503" in contact.phones
    assert contact.owner_id == staff["head"].id  # the client's manager from now on


async def test_failed_conversion_leaves_nothing(storage: Storage) -> None:
    staff = await team(storage)
    lead = await new_lead(storage, 4)
    broken = {"main": PIPELINES["main"]}
    with pytest.raises(RuleError):
        async with storage.transaction() as uow:
            # The deal step fails after contact and company were written in this transaction.
            await convert_lead(
                uow, lead.id, staff["head"], ConvertRequest(pipeline="nope"), broken, "RU", T0
            )
    with pytest.raises(ZeroDivisionError):
        async with storage.transaction() as uow:
            await convert_lead(uow, lead.id, staff["head"], ConvertRequest(), broken, "RU", T0)
            raise ZeroDivisionError
    async with storage.reader() as uow:
        stored = await uow.leads.get(lead.id)
        deals = await uow.sales.list_deals(
            owner_id=None, pipeline=None, status=None, limit=10, before_id=None
        )
        contacts = await uow.identity.contacts_total()
    assert stored is not None and stored.status is LeadStatus.NEW
    assert deals == [] and contacts == 0


async def test_concurrent_conversions_give_one_of_each(storage: Storage) -> None:
    staff = await team(storage)
    lead = await new_lead(storage, 5)

    async def convert() -> tuple[int, int | None, int | None]:
        async with storage.transaction() as uow:
            done = await convert_lead(
                uow, lead.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
            )
        return done.contact_id, done.company_id, done.deal_id

    results = await asyncio.gather(convert(), convert())
    assert results[0] == results[1]
    async with storage.reader() as uow:
        deals = await uow.sales.list_deals(
            owner_id=None, pipeline=None, status=None, limit=10, before_id=None
        )
        contacts = await uow.identity.contacts_total()
    assert len(deals) == 1 and contacts == 1
    async with storage.reader() as uow:
        open_main = await uow.sales.list_deals(
            owner_id=staff["head"].id, pipeline="main", status="open", limit=10, before_id=None
        )
        won = await uow.sales.list_deals(
            owner_id=None, pipeline=None, status="won", limit=10, before_id=None
        )
        older = await uow.sales.list_deals(
            owner_id=None, pipeline=None, status=None, limit=10, before_id=deals[0].id
        )
    assert [d.id for d in open_main] == [deals[0].id] and won == [] and older == []


async def test_deal_moves_follow_stage_rules_and_lost_needs_a_head(storage: Storage) -> None:
    staff = await team(storage)
    lead = await new_lead(storage, 6, amount="")
    async with storage.transaction() as uow:
        await take_lead(uow, lead.id, staff["ivanova"], T0)
        done = await convert_lead(
            uow, lead.id, staff["ivanova"], ConvertRequest(), PIPELINES, "RU", T0
        )
    deal_id = done.deal_id or 0
    with pytest.raises(StageRuleViolation) as refused:
        async with storage.transaction() as uow:
            await move_deal(uow, deal_id, "invoice", staff["ivanova"], None, PIPELINES, T0)
    assert refused.value.rule == "required_fields" and refused.value.needed == ("amount",)

    later = T0 + timedelta(hours=2)
    async with storage.transaction() as uow:
        deal, _ = await move_deal(
            uow, deal_id, "payment", staff["ivanova"], None, PIPELINES, later
        )
        tasks = await uow.sales.tasks_of(RecordKind.DEAL, deal_id)
        history = await uow.sales.stage_history(deal_id)
    assert deal.stage == "payment" and deal.stage_entered_at == later
    assert "Проверить оплату" in [t.title for t in tasks]
    assert [(v.stage, v.left_at) for v in history] == [("opening", later), ("payment", None)]

    async with storage.transaction() as uow:
        deal, plan = await move_deal(
            uow, deal_id, "lost", staff["ivanova"], "Дорого", PIPELINES, later
        )
    assert plan.outcome.value == "awaiting_approval" and deal.status is DealStatus.OPEN
    assert deal.pending_lost is not None and deal.pending_lost["reason"] == "Дорого"

    with pytest.raises(StageRuleViolation):
        async with storage.transaction() as uow:
            await decide_lost(uow, deal_id, staff["ivanova"], True, PIPELINES, later)
    async with storage.transaction() as uow:
        lost = await decide_lost(uow, deal_id, staff["head"], True, PIPELINES, later)
    assert lost.status is DealStatus.LOST and lost.lost_reason == "Дорого"
    assert lost.closed_at == later


async def test_routing_prefers_the_clients_manager_then_round_robin(storage: Storage) -> None:
    staff = await team(storage)
    queue = Queue(
        "main",
        "Входящие",
        (
            QueueMember(staff["ivanova"].id, "Иванова", weight=1),
            QueueMember(staff["petrov"].id, "Петров", weight=1),
        ),
        WaitForDuty(),
        timedelta(minutes=15),
    )
    crew = Team({m.id: m for m in staff.values()}, {}, "http://crm.local")
    async with storage.transaction() as uow:
        [client] = await add_contacts(
            uow,
            [prepare_contact(RawIdentity(name="Клиент"), "RU", owner_id=staff["petrov"].id)],
            T0,
        )
    owned = await new_lead(storage, 7)
    async with storage.transaction() as uow:
        await uow.leads.record_match(
            owned.id, LeadMatch("auto", 9.0, client, None, True, {}), None, T0
        )
        lead = await uow.leads.get(owned.id)
        assert lead is not None
        decision = await route_lead(uow, lead, queue, crew, T0)
    assert decision.manager_id == staff["petrov"].id and decision.kind == "owner"
    assert f"контакта №{client}" in decision.reason
    assert decision.accept_by == T0 + timedelta(minutes=15)

    given = []
    for n in range(8, 12):
        fresh = await new_lead(storage, n)
        async with storage.transaction() as uow:
            given.append((await route_lead(uow, fresh, queue, crew, T0)).manager_id)
    assert sorted(given) == sorted([staff["ivanova"].id, staff["petrov"].id] * 2)

    async with storage.transaction() as uow:
        claimed = await uow.outbox.claim_due(T0, 100, T0 + timedelta(minutes=1))
        live = await uow.outbox.live_since(0, 100)
        history = await uow.sales.assignments_of(owned.id)
    assert {m.channel for m in claimed} == {
        NotificationChannel.TELEGRAM,
        NotificationChannel.EMAIL,
    }
    # The in-app stream reads its rows (they never wait to be claimed): each manager's
    # assignment, and each new lead announced to the head's Входящие.
    assigned = [m for m in live if m.kind is not NotificationKind.LEAD_UPDATED]
    announced = [m for m in live if m.kind is NotificationKind.LEAD_UPDATED]
    assert len(assigned) == 5
    assert len(announced) == 5 and {m.manager_id for m in announced} == {staff["head"].id}
    assert {m.payload["lead_id"] for m in announced} == {m.payload["lead_id"] for m in assigned}
    channels = {(m.manager_id, m.channel) for m in [*claimed, *live]}
    assert (staff["ivanova"].id, NotificationChannel.TELEGRAM) in channels
    assert (staff["ivanova"].id, NotificationChannel.EMAIL) in channels
    assert (staff["petrov"].id, NotificationChannel.SSE) in channels
    assert (staff["petrov"].id, NotificationChannel.EMAIL) not in channels
    assert history[0].reason == decision.reason
