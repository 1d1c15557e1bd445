"""lead_updated: a new lead that is taken, junked, reassigned, converted or handed over is
announced in-app to the others whose Входящие showed it, in the change's transaction."""

from __future__ import annotations

from datetime import timedelta

from config import Settings
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.lifecycle import junk_lead, reassign_lead, take_lead
from crm_core.model import Lead, Manager
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.storage import Storage
from intake.notify.sse import event_of
from tests.integration.test_acceptance import context
from tests.integration.test_sales_flow import PIPELINES, T0, new_lead, team

REASONS = {"spam": "Спам"}


async def assigned(storage: Storage, n: int, manager: Manager) -> Lead:
    """A new lead of `manager`."""
    lead = await new_lead(storage, n)
    async with storage.transaction() as uow:
        await uow.leads.set_assignee(lead.id, manager.id, None, T0)
        found = await uow.leads.get(lead.id)
    assert found is not None
    return found


async def told(storage: Storage, manager: Manager) -> list[tuple[int, str, int | None]]:
    """The lead_updated events of a manager: (lead id, status, assignee id)."""
    async with storage.reader() as uow:
        rows = await uow.outbox.for_manager(manager.id, 0, 100)
    return [
        (m.payload["lead_id"], m.payload["status"], m.payload["assignee_id"])
        for m in rows
        if m.kind is NotificationKind.LEAD_UPDATED
    ]


async def test_a_junked_lead_is_announced_to_the_head_only(storage: Storage) -> None:
    staff = await team(storage)
    lead = await assigned(storage, 1, staff["ivanova"])
    for _ in range(2):  # the second junk changes nothing and tells nobody
        async with storage.transaction() as uow:
            await junk_lead(uow, lead.id, staff["ivanova"], "spam", REASONS, T0)
    assert await told(storage, staff["head"]) == [(lead.id, "junk", staff["ivanova"].id)]
    assert await told(storage, staff["ivanova"]) == []
    assert await told(storage, staff["petrov"]) == []


async def test_a_lead_the_head_takes_leaves_its_managers_list(storage: Storage) -> None:
    staff = await team(storage)
    lead = await assigned(storage, 1, staff["ivanova"])
    async with storage.transaction() as uow:
        await take_lead(uow, lead.id, staff["head"], T0)
    assert await told(storage, staff["ivanova"]) == [(lead.id, "in_work", staff["head"].id)]
    assert await told(storage, staff["head"]) == []


async def test_a_reassigned_new_lead_tells_both_managers_and_the_head(storage: Storage) -> None:
    staff = await team(storage)
    lead = await assigned(storage, 1, staff["ivanova"])
    async with storage.transaction() as uow:
        await reassign_lead(uow, lead.id, staff["ivanova"], staff["petrov"], T0)
    event = (lead.id, "new", staff["petrov"].id)
    assert await told(storage, staff["head"]) == [event]
    assert await told(storage, staff["petrov"]) == [event]
    assert await told(storage, staff["ivanova"]) == []


async def test_a_lead_in_work_was_in_nobodys_triage(storage: Storage) -> None:
    staff = await team(storage)
    lead = await assigned(storage, 1, staff["ivanova"])
    async with storage.transaction() as uow:
        await take_lead(uow, lead.id, staff["ivanova"], T0)
    async with storage.transaction() as uow:
        await reassign_lead(uow, lead.id, staff["ivanova"], staff["petrov"], T0)
        await convert_lead(uow, lead.id, staff["petrov"], ConvertRequest(), PIPELINES, "RU", T0)
    # Only the take (of a new lead) was announced.
    assert await told(storage, staff["head"]) == [(lead.id, "in_work", staff["ivanova"].id)]
    assert await told(storage, staff["petrov"]) == []


async def test_a_converted_new_lead_is_announced(storage: Storage) -> None:
    staff = await team(storage)
    lead = await assigned(storage, 1, staff["petrov"])
    async with storage.transaction() as uow:
        await convert_lead(uow, lead.id, staff["petrov"], ConvertRequest(), PIPELINES, "RU", T0)
    assert await told(storage, staff["head"]) == [(lead.id, "converted", staff["petrov"].id)]


async def test_the_events_are_in_app_only_and_carry_no_personal_data(storage: Storage) -> None:
    staff = await team(storage)
    lead = await assigned(storage, 1, staff["ivanova"])
    async with storage.transaction() as uow:
        await junk_lead(uow, lead.id, staff["ivanova"], "spam", REASONS, T0)
    async with storage.transaction() as uow:
        claimed = await uow.outbox.claim_due(T0 + timedelta(hours=1), 100, T0 + timedelta(hours=2))
        live = await uow.outbox.live_since(0, 100)
    assert claimed == []  # the dispatcher never sends them (stored as sent, like every SSE row)
    [message] = live
    assert message.channel is NotificationChannel.SSE
    assert set(message.payload) == {"lead_id", "status", "assignee_id"}
    event = event_of(message)
    assert event.kind == "lead_updated"
    assert event.data["lead_id"] == lead.id and event.data["status"] == "junk"
    assert event.data["title"] == f"Заявка №{lead.id} изменилась"


async def test_a_handed_over_lead_leaves_the_previous_managers_list(
    storage: Storage, settings: Settings
) -> None:
    staff = await team(storage)
    sales = context(settings, staff)
    lead = await new_lead(storage, 1)
    async with storage.transaction() as uow:
        first = await sales.route(uow, lead, T0)
        routed = await uow.leads.get(lead.id)
    assert routed is not None and first.manager_id is not None
    async with storage.transaction() as uow:
        second = await sales.hand_over(uow, routed, T0 + timedelta(minutes=16))
    previous = next(m for m in staff.values() if m.id == first.manager_id)
    following = next(m for m in staff.values() if m.id == second.manager_id)
    assert previous != following
    event = (lead.id, "new", following.id)
    assert await told(storage, previous) == [event]
    # The head saw the lead arrive (routed to the first manager), then move on.
    assert await told(storage, staff["head"]) == [(lead.id, "new", previous.id), event]
    assert await told(storage, following) == []  # the hand-over notification says it already
