"""Входящие's query: the most urgent new leads first, however many there are, and the total."""

from __future__ import annotations

from datetime import timedelta

from crm_core.model import LeadFlag, LeadStatus
from crm_core.storage import Storage
from tests.integration.test_sales_flow import T0, new_lead, team


async def test_urgent_then_nearest_deadline_then_oldest_within_the_limit(
    storage: Storage,
) -> None:
    staff = await team(storage)
    ivanova, petrov = staff["ivanova"], staff["petrov"]
    later = await new_lead(storage, 1)
    sooner = await new_lead(storage, 2)
    no_deadline = await new_lead(storage, 3)
    theirs = await new_lead(storage, 4)
    # The newest lead is the urgent one: a listing by id would cut it off first.
    urgent = await new_lead(storage, 5, flags=(LeadFlag.URGENT,))
    taken = await new_lead(storage, 6)
    async with storage.transaction() as uow:
        await uow.leads.set_assignee(later.id, ivanova.id, T0 + timedelta(hours=2), T0)
        await uow.leads.set_assignee(sooner.id, ivanova.id, T0 + timedelta(hours=1), T0)
        await uow.leads.set_assignee(no_deadline.id, ivanova.id, None, T0)
        await uow.leads.set_assignee(theirs.id, petrov.id, T0, T0)
        await uow.leads.set_assignee(urgent.id, ivanova.id, T0 + timedelta(hours=3), T0)
        await uow.leads.set_assignee(taken.id, ivanova.id, T0, T0)
        await uow.leads.set_status(taken.id, LeadStatus.IN_WORK, T0, taken=True)
    async with storage.reader() as uow:
        mine, my_total = await uow.leads.triage("ivanova", 3)
        everyone, total = await uow.leads.triage(None, 10)
    assert [lead.id for lead in mine] == [urgent.id, sooner.id, later.id]
    assert my_total == 4  # her four new leads, not the taken one nor Petrov's
    assert [lead.id for lead in everyone] == [
        urgent.id, theirs.id, sooner.id, later.id, no_deadline.id,
    ]  # fmt: skip
    assert total == 5
