"""A lead not taken within the queue's acceptance timeout passes to the next manager."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from config import Settings
from crm_core.assignment import Queue, QueueMember, WaitForDuty
from crm_core.lifecycle import take_lead
from crm_core.model import Manager
from crm_core.notifications import NotificationKind
from crm_core.routing import Team
from crm_core.schedule import Availability, WorkingHours
from crm_core.storage import Storage
from intake.acceptance import AcceptanceWatch
from intake.sales_context import SalesContext
from tests.integration.test_sales_flow import new_lead, team

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def context(settings: Settings, staff: dict[str, Manager]) -> SalesContext:
    """The main queue (Ivanova, Petrov) with a 15-minute acceptance timeout."""
    sales = SalesContext.from_settings(settings)
    sales.team = Team({m.id: m for m in staff.values()}, {})
    sales.queues = {
        "main": Queue(
            "main",
            "Входящие",
            (
                QueueMember(staff["ivanova"].id, "Иванова"),
                QueueMember(staff["petrov"].id, "Петров"),
            ),
            WaitForDuty(),
            timedelta(minutes=15),
        )
    }
    return sales


async def test_unaccepted_lead_is_handed_over_once_then_stays(
    storage: Storage, settings: Settings
) -> None:
    staff = await team(storage)
    sales = context(settings, staff)
    lead = await new_lead(storage, 1)
    async with storage.transaction() as uow:
        first = await sales.route(uow, lead, T0)
    clock = [T0 + timedelta(minutes=14)]
    watch = AcceptanceWatch(storage, sales, lambda: clock[0])

    assert await watch.run_once() == 0
    clock[0] = T0 + timedelta(minutes=16)
    assert await watch.run_once() == 1
    assert await watch.run_once() == 0
    async with storage.reader() as uow:
        moved = await uow.leads.get(lead.id)
        history = await uow.sales.assignments_of(lead.id)
    assert first.manager_id is not None and moved is not None
    assert moved.assignee_id not in (None, first.manager_id)
    assert moved.accept_by == clock[0] + timedelta(minutes=15)
    assert history[-1].kind == "hand_over" and "не взял заявку" in history[-1].reason

    clock[0] = T0 + timedelta(minutes=40)
    assert await watch.run_once() == 1
    async with storage.transaction() as uow:
        stays = await uow.leads.get(lead.id)
        last = (await uow.sales.assignments_of(lead.id))[-1]
        notes = await uow.outbox.live_since(0, 100)
    assert stays is not None and stays.assignee_id == moved.assignee_id
    assert stays.accept_by is None and "остаётся у своего менеджера" in last.reason
    kinds = {(n.manager_id, n.kind) for n in notes}
    assert (moved.assignee_id, NotificationKind.LEAD_HANDED_OVER) in kinds


async def test_a_taken_lead_is_never_handed_over(storage: Storage, settings: Settings) -> None:
    staff = await team(storage)
    sales = context(settings, staff)
    lead = await new_lead(storage, 2)
    async with storage.transaction() as uow:
        first = await sales.route(uow, lead, T0)
    assignee = next(m for m in staff.values() if m.id == first.manager_id)
    async with storage.transaction() as uow:
        await take_lead(uow, lead.id, assignee, T0 + timedelta(minutes=5))
    watch = AcceptanceWatch(storage, sales, lambda: T0 + timedelta(hours=1))
    assert await watch.run_once() == 0


async def test_a_waiting_lead_is_routed_when_someone_comes_on_duty(
    storage: Storage, settings: Settings
) -> None:
    staff = await team(storage)
    sales = context(settings, staff)
    nine_to_six = Availability(WorkingHours.parse({"mon-fri": "09:00-18:00"}, "Europe/Moscow"))
    queue = sales.queues["main"]
    sales.queues["main"] = replace(
        queue, members=tuple(replace(m, availability=nine_to_six) for m in queue.members)
    )
    night = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: nobody on duty
    lead = await new_lead(storage, 3)
    async with storage.transaction() as uow:
        waiting = await sales.route(uow, lead, night)
    morning = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    assert waiting.manager_id is None and waiting.wait_until == morning

    early = morning - timedelta(minutes=1)
    assert await AcceptanceWatch(storage, sales, lambda: early).run_once() == 0
    assert await AcceptanceWatch(storage, sales, lambda: morning).run_once() == 1
    async with storage.reader() as uow:
        routed = await uow.leads.get(lead.id)
        last = (await uow.sales.assignments_of(lead.id))[-1]
    assert routed is not None and routed.assignee_id in (staff["ivanova"].id, staff["petrov"].id)
    assert last.kind == "round_robin" and routed.accept_by == morning + timedelta(minutes=15)
