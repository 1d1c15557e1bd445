"""The team panel's queries on both databases, from data made by the domain."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from crm_core.routing import Team
from crm_core.schedule import Absence, Availability, WorkingHours
from crm_core.storage import Storage
from crm_core.team_panel import LeadCounts, team_panel
from tests.integration.test_reports import MINUTE, T0, convert, lead_at, take, team

NOW = T0 + timedelta(days=3)


async def test_counts_and_median_time_to_take_per_manager(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, petrov = staff["ivanova"], staff["petrov"]
    for n, wait in enumerate((10, 60, 20)):  # median 20 minutes
        await take(storage, await lead_at(storage, n, T0), ivanova, T0 + wait * MINUTE)
    for n, wait in enumerate((5, 15), start=10):
        await take(storage, await lead_at(storage, n, T0), petrov, T0 + wait * MINUTE)
    # Taken long ago and slowly: outside the 30 days, so it does not count.
    old = T0 - timedelta(days=40)
    await take(storage, await lead_at(storage, 20, old), petrov, old + timedelta(days=2))
    await convert(storage, await lead_at(storage, 21, T0, amount="150 000,50"), petrov, T0)
    await lead_at(storage, 22, T0)  # nobody's yet

    leave = Absence(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    availability = {petrov.id: Availability(WorkingHours.always("Europe/Moscow"), (leave,))}
    managers = {m.id: m for m in staff.values()}
    async with storage.reader() as uow:
        panel = await team_panel(uow, Team(managers, availability), NOW)
    rows = {r.manager.login: r for r in panel.rows}
    assert [r.manager.login for r in panel.rows] == ["head", "ivanova", "petrov"]
    assert rows["ivanova"].leads == LeadCounts(new=0, in_work=3)
    assert rows["petrov"].leads == LeadCounts(new=0, in_work=3)
    assert rows["ivanova"].median_take_seconds == 20 * 60
    # 5, 15 and the converted lead's 0 (taken as it was converted): 5 minutes.
    assert rows["petrov"].median_take_seconds == 5 * 60
    assert rows["head"].median_take_seconds is None
    assert rows["petrov"].open_deals == 1
    assert rows["petrov"].deal_amounts == (("RUB", Decimal("150000.50")),)
    assert rows["ivanova"].open_deals == 0 and rows["ivanova"].deal_amounts == ()
    assert rows["ivanova"].on_duty and not rows["ivanova"].absent
    assert not rows["petrov"].on_duty and rows["petrov"].absent
    assert panel.unassigned_new == 1


async def test_time_to_take_reads_only_each_managers_newest_takes(storage: Storage) -> None:
    staff = await team(storage)
    ivanova = staff["ivanova"]
    for n, wait in enumerate((1, 2, 30, 40)):
        created = T0 + n * MINUTE
        await take(storage, await lead_at(storage, n, created), ivanova, created + wait * MINUTE)
    async with storage.reader() as uow:
        waits = await uow.team.recent_waits([ivanova.id, staff["head"].id], T0, 2)
    assert sorted(waits[ivanova.id]) == [30 * 60, 40 * 60]  # the two created last
    assert staff["head"].id not in waits
