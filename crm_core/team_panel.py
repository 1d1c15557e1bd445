"""The head's team panel: each active manager's open leads, overdue tasks, time to take,
open deals and whether they are on duty now (as routing decides it)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from crm_core.model import Manager
from crm_core.schedule import Availability

if TYPE_CHECKING:  # the storage ports import this module's value types
    from crm_core.routing import Team
    from crm_core.storage.ports import UnitOfWork

# Time to take is the median over each manager's newest taken leads created in this window,
# at most TAKE_SAMPLE of them: the panel's work stays bounded however many leads there are.
TAKE_WINDOW = timedelta(days=30)
TAKE_SAMPLE = 100


@dataclass(frozen=True, slots=True)
class LeadCounts:
    """A manager's open leads: new (not taken yet) and in work."""

    new: int = 0
    in_work: int = 0

    @property
    def open(self) -> int:
        """New and in work together."""
        return self.new + self.in_work


@dataclass(frozen=True, slots=True)
class DealTotal:
    """One owner's open deals in one currency."""

    owner_id: int
    currency: str
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TeamRow:
    """One manager's line of the panel."""

    manager: Manager
    leads: LeadCounts
    overdue_tasks: int
    median_take_seconds: float | None
    open_deals: int
    deal_amounts: tuple[tuple[str, Decimal], ...]
    on_duty: bool
    absent: bool


@dataclass(frozen=True, slots=True)
class TeamPanel:
    """The panel: a row per active manager, and the new leads nobody holds yet."""

    rows: tuple[TeamRow, ...]
    unassigned_new: int
    since: datetime


def availability_of(team: Team, manager: Manager) -> Availability:
    """When a manager is on duty, as the router reads it (configured hours and absences;
    round the clock for a manager it has none for)."""
    return team.availability.get(manager.id, Availability.always(manager.timezone))


def median_wait(seconds: list[float]) -> float | None:
    """The median of some waits (a clock skew's negative wait counts as none); None without
    any."""
    return statistics.median(max(s, 0.0) for s in seconds) if seconds else None


async def team_panel(uow: UnitOfWork, team: Team, now: datetime) -> TeamPanel:
    """The whole team's panel in five queries (managers, then four over the team at once)."""
    since = now - TAKE_WINDOW
    managers = [m for m in await uow.managers.list() if m.active]
    leads = await uow.team.open_leads()
    overdue = await uow.team.overdue_tasks(now)
    waits = await uow.team.recent_waits([m.id for m in managers], since, TAKE_SAMPLE)
    deals: dict[int, list[DealTotal]] = {}
    for total in await uow.team.open_deals():
        deals.setdefault(total.owner_id, []).append(total)
    rows = []
    for m in sorted(managers, key=lambda m: (not m.is_head, m.name)):
        mine = sorted(deals.get(m.id, []), key=lambda d: (d.currency != "RUB", d.currency))
        availability = availability_of(team, m)
        rows.append(
            TeamRow(
                manager=m,
                leads=leads.get(m.id, LeadCounts()),
                overdue_tasks=overdue.get(m.id, 0),
                median_take_seconds=median_wait(waits.get(m.id, [])),
                open_deals=sum(d.count for d in mine),
                deal_amounts=tuple((d.currency, d.amount) for d in mine),
                on_duty=availability.is_on_duty(now),
                absent=availability.is_absent(now),
            )
        )
    return TeamPanel(tuple(rows), leads.get(None, LeadCounts()).new, since)
