"""The acceptance rule: a lead its manager has not taken in time goes to the next manager of
its queue; a lead that waited for someone to come on duty is routed once someone has."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from crm_core.model import Lead
from crm_core.sales import AssignmentRecord
from crm_core.storage.ports import UnitOfWork

# (uow, lead, now) → the assignment made (routing a waiting lead, handing over a taken one).
AssignStep = Callable[[UnitOfWork, Lead, datetime], Awaitable[AssignmentRecord]]


@dataclass(frozen=True, slots=True)
class AcceptanceSweep:
    """One pass over overdue leads: how many were due, and the assignments made."""

    due: int
    records: tuple[AssignmentRecord, ...]


async def hand_over_overdue(
    uow: UnitOfWork, now: datetime, limit: int, route: AssignStep, hand_over: AssignStep
) -> AcceptanceSweep:
    """Reassign up to `limit` leads whose acceptance deadline has passed."""
    overdue = await uow.sales.overdue_acceptance(now, limit)
    records: list[AssignmentRecord] = []
    for lead_id in overdue:
        lead = await uow.leads.lock(lead_id)
        # Taken or given a new deadline since the listing: nothing to do.
        if lead is None or lead.accept_by is None or lead.accept_by > now:
            continue
        step = route if lead.assignee_id is None else hand_over
        records.append(await step(uow, lead, now))
    return AcceptanceSweep(len(overdue), tuple(records))
