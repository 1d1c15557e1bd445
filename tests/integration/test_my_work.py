"""What the managers' bot lists, on both databases: open leads by the listing rule, tasks due
today or overdue on the manager's clock, the morning digest's contents, and the digest's day
claimed once however many processes ask."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

from crm_core.model import LeadFlag, LeadStatus
from crm_core.my_work import due_tasks, morning_digest, open_leads
from crm_core.sales import NewDeal, NewTask, RecordKind
from crm_core.storage import Storage
from tests.integration.test_sales_flow import T0, new_lead, team


async def test_open_leads_follow_the_listing_rule_urgent_then_newest(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, petrov, head = staff["ivanova"], staff["petrov"], staff["head"]
    old = await new_lead(storage, 1)
    urgent = await new_lead(storage, 2, flags=(LeadFlag.URGENT,))
    in_work = await new_lead(storage, 3)
    junk = await new_lead(storage, 4)
    theirs = await new_lead(storage, 5)
    unassigned = await new_lead(storage, 6)
    async with storage.transaction() as uow:
        for lead in (old, urgent, in_work, junk):
            await uow.leads.set_assignee(lead.id, ivanova.id, None, T0)
        await uow.leads.set_assignee(theirs.id, petrov.id, None, T0)
        await uow.leads.set_status(in_work.id, LeadStatus.IN_WORK, T0, taken=True)
        await uow.leads.set_status(junk.id, LeadStatus.JUNK, T0, junk_reason="spam")
    async with storage.reader() as uow:
        mine = await open_leads(uow, ivanova, 20)
        first_two = await open_leads(uow, ivanova, 2)
        team_view = await open_leads(uow, head, 20)
    assert [lead.id for lead in mine.items] == [urgent.id, in_work.id, old.id]
    assert mine.total == 3 and mine.more == 0
    assert [lead.id for lead in first_two.items] == [urgent.id, in_work.id]
    assert (first_two.total, first_two.more) == (3, 1)
    # A head lists the team's open leads, unassigned ones too; never the junk.
    assert [lead.id for lead in team_view.items] == [
        urgent.id, unassigned.id, theirs.id, in_work.id, old.id,
    ]  # fmt: skip


async def test_due_tasks_are_today_and_overdue_on_the_managers_clock(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, petrov = staff["ivanova"], staff["petrov"]
    lead = await new_lead(storage, 1)
    now = T0  # 10:00 UTC, 13:00 in Moscow
    plan = {
        "overdue": (now - timedelta(days=2), ivanova.id),
        "tonight": (now + timedelta(hours=10), ivanova.id),  # 23:00 Moscow
        "after midnight": (now + timedelta(hours=11, minutes=1), ivanova.id),  # 00:01
        "done": (now - timedelta(hours=1), ivanova.id),
        "petrov's": (now - timedelta(hours=1), petrov.id),
    }
    async with storage.transaction() as uow:
        ids = await uow.sales.add_tasks(
            [
                NewTask(RecordKind.LEAD, lead.id, "call", title, due, who, "test")
                for title, (due, who) in plan.items()
            ],
            T0,
        )
        await uow.sales.set_task_done(ids[3], now)
    async with storage.reader() as uow:
        due = await due_tasks(uow, ivanova, now, 20)
        one = await due_tasks(uow, ivanova, now, 1)
    assert [(d.task.title, d.overdue) for d in due.items] == [
        ("overdue", True),
        ("tonight", False),
    ]
    assert due.items[0].record_title == "Иван Петров"
    assert (one.total, one.more) == (2, 1)


async def test_morning_digest_lists_overdue_untaken_and_idle(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, petrov, head = staff["ivanova"], staff["petrov"], staff["head"]
    untaken = await new_lead(storage, 1)
    taken = await new_lead(storage, 2)
    theirs = await new_lead(storage, 3)
    async with storage.transaction() as uow:
        await uow.leads.set_assignee(untaken.id, ivanova.id, None, T0)
        await uow.leads.set_assignee(taken.id, ivanova.id, None, T0)
        await uow.leads.set_status(taken.id, LeadStatus.IN_WORK, T0, taken=True)
        await uow.leads.set_assignee(theirs.id, petrov.id, None, T0)
        deals = [
            await uow.sales.add_deal(
                NewDeal(
                    title,
                    "main",
                    "opening",
                    Decimal("1000"),
                    "RUB",
                    [],
                    None,
                    {},
                    None,
                    None,
                    None,
                    owner.id,
                ),
                "test",
                T0,
            )
            for title, owner in (("idle", ivanova), ("planned", ivanova), ("petrov", petrov))
        ]
        await uow.sales.add_tasks(
            [
                NewTask(RecordKind.DEAL, deals[1].id, "call", "Позвонить", T0, ivanova.id, "t"),
                NewTask(RecordKind.LEAD, taken.id, "call", "Перезвонить", T0, ivanova.id, "t"),
            ],
            T0,
        )
    now = T0 + timedelta(hours=1)
    async with storage.reader() as uow:
        mine = await morning_digest(uow, ivanova, now, 5)
        heads = await morning_digest(uow, head, now, 5)
        quiet = await morning_digest(uow, petrov, T0 - timedelta(hours=1), 5)
    assert [t.task.title for t in mine.overdue_tasks.items] == ["Позвонить", "Перезвонить"]
    assert [lead.id for lead in mine.untaken_leads.items] == [untaken.id]
    assert [d.title for d in mine.idle_deals.items] == ["idle"]
    assert not mine.empty
    # A head: the team's untaken leads and idle deals (their own tasks: none).
    assert heads.overdue_tasks.total == 0
    assert {lead.id for lead in heads.untaken_leads.items} == {untaken.id, theirs.id}
    assert {d.title for d in heads.idle_deals.items} == {"idle", "petrov"}
    assert quiet.untaken_leads.total == 1 and quiet.idle_deals.total == 1


async def test_the_digest_day_is_claimed_once_by_concurrent_processes(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, petrov = staff["ivanova"], staff["petrov"]
    today = date(2026, 12, 7)

    async def claim(manager_id: int, day: date) -> bool:
        async with storage.transaction() as uow:
            return await uow.bot_links.claim_digest(manager_id, day, T0)

    first = await asyncio.gather(*(claim(ivanova.id, today) for _ in range(4)))
    assert sorted(first) == [False, False, False, True]
    assert await claim(petrov.id, today)  # each manager's own day
    assert not await claim(ivanova.id, today - timedelta(days=1))  # never backwards
    # A send that failed gives the day back: it is claimed again, once.
    async with storage.transaction() as uow:
        await uow.bot_links.release_digest(ivanova.id, today)
    again = await asyncio.gather(*(claim(ivanova.id, today) for _ in range(3)))
    assert sorted(again) == [False, False, True]
    assert await claim(ivanova.id, today + timedelta(days=1))
