"""A manager's work at a glance, as the managers' bot shows it: open leads, tasks due today or
overdue, a client with their open leads and deals, and the morning digest.

Every listing follows `crm_core.access`: leads by `listing_scope` (a head sees the team's), a
client by the Клиенты search's rule, each lead and deal of a client by `may_see`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from crm_core.access import listing_scope, may_see
from crm_core.client_search import search_clients
from crm_core.holders import deal_holders, lead_holders
from crm_core.model import Contact, Lead, LeadFilter, LeadStatus, Manager
from crm_core.sales import Deal, DealStatus, RecordKind, Task
from crm_core.storage.ports import UnitOfWork

OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.IN_WORK})
# Tasks read before the today/overdue cut: more than this open is a planning problem.
TASK_SCAN = 500
# A client's leads read to find the open ones and their deals (as the contact card does).
CLIENT_LEADS = 50
# Open deals read for the digest's "no next activity" check.
DEAL_SCAN = 500
T = TypeVar("T")
DIGEST_AT = time(9, 0)
# A digest not sent by then (the service was down) is skipped for the day: stale news.
DIGEST_UNTIL = time(12, 0)


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """The first items of a listing and how many there are in all."""

    items: list[T]
    total: int

    @property
    def more(self) -> int:
        """How many were left out."""
        return max(self.total - len(self.items), 0)


@dataclass(frozen=True, slots=True)
class DueTask:
    """A task due today or overdue, with its record's title."""

    task: Task
    record_title: str | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class ClientOverview:
    """A contact found by a search, with the open leads and open deals the actor may see."""

    contact: Contact
    leads: list[Lead]
    deals: list[Deal]


@dataclass(frozen=True, slots=True)
class MorningDigest:
    """What a manager should see first in the morning."""

    overdue_tasks: Listing[DueTask]
    untaken_leads: Listing[Lead]
    idle_deals: Listing[Deal]

    @property
    def empty(self) -> bool:
        """Nothing to report."""
        return not (self.overdue_tasks.total or self.untaken_leads.total or self.idle_deals.total)


async def open_leads(uow: UnitOfWork, actor: Manager, limit: int) -> Listing[Lead]:
    """Leads new or in work the actor lists (their own; a head: the team's and unassigned
    ones), urgent first, then newest."""
    scope = listing_scope(actor)
    leads, total = await uow.leads.open_listing(scope.login if scope else None, limit)
    return Listing(list(leads), total)


async def due_tasks(
    uow: UnitOfWork, actor: Manager, now: datetime, limit: int
) -> Listing[DueTask]:
    """The actor's own open tasks that are overdue or due before their local midnight, by
    due time."""
    zone = ZoneInfo(actor.timezone)
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), zone)
    due = [
        DueTask(task, title, task.due_at < now)
        for task, title in await uow.sales.open_tasks(actor.id, TASK_SCAN)
        if task.due_at < tomorrow
    ]
    return Listing(due[:limit], len(due))


async def find_clients(
    uow: UnitOfWork, actor: Manager, text: str, region: str, limit: int
) -> list[ClientOverview]:
    """Contacts matching a phone, e-mail or name (the Клиенты search and its access rule),
    each with their open leads and open deals the actor may see."""
    found = await search_clients(uow, actor, text, region, limit)
    overviews = []
    for contact in found.contacts:
        leads = await uow.leads.list(LeadFilter(contact_id=contact.id), CLIENT_LEADS, None)
        deal_ids = dict.fromkeys(lead.deal_id for lead in leads if lead.deal_id)
        newest = await uow.sales.open_deal(contact.id, None)
        if newest is not None:
            deal_ids[newest.id] = None
        deals = []
        for deal_id in deal_ids:
            deal = await uow.sales.get_deal(deal_id)
            if deal and deal.status is DealStatus.OPEN and may_see(actor, deal_holders(deal)):
                deals.append(deal)
        visible = [
            lead
            for lead in leads
            if lead.status in OPEN_STATUSES and may_see(actor, lead_holders(lead))
        ]
        overviews.append(ClientOverview(contact, visible, deals))
    return overviews


async def morning_digest(
    uow: UnitOfWork, actor: Manager, now: datetime, limit: int
) -> MorningDigest:
    """Overdue tasks (the actor's own), leads not taken yet and open deals with no task
    planned (the actor's; a head: the team's)."""
    due = await due_tasks(uow, actor, now, TASK_SCAN)
    overdue = [t for t in due.items if t.overdue]
    scope = listing_scope(actor)
    untaken, total = await uow.leads.triage(scope.login if scope else None, limit)
    deals = await uow.sales.list_deals(
        owner_id=scope.id if scope else None,
        pipeline=None,
        status=DealStatus.OPEN.value,
        limit=DEAL_SCAN,
        before_id=None,
    )
    planned = {
        t.entity_id
        for t in await uow.sales.open_tasks_of_many(RecordKind.DEAL, [d.id for d in deals])
    }
    idle = [d for d in deals if d.id not in planned]
    return MorningDigest(
        Listing(overdue[:limit], len(overdue)),
        Listing(list(untaken), total),
        Listing(idle[:limit], len(idle)),
    )


def digest_day(now: datetime, timezone: str) -> date | None:
    """The manager's local day whose digest is due at `now` (from 09:00 until noon), else
    None."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() if DIGEST_AT <= local.time() < DIGEST_UNTIL else None
