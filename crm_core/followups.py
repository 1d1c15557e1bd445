"""A new request from a person already in work is logged on their open lead or deal."""

from __future__ import annotations

from datetime import datetime

from crm_core.model import Lead
from crm_core.sales import KIND_BY_CHANNEL, ActivityKind, NewActivity, RecordKind
from crm_core.storage.ports import UnitOfWork


async def log_follow_up(uow: UnitOfWork, lead: Lead, now: datetime) -> int | None:
    """Log the lead's message on the person's open lead, else on the client's open deal.

    Returns the activity id, or None when the person has nothing open. The manager then
    sees the whole conversation where they work, not only as separate leads.
    """
    target: tuple[RecordKind, int] | None = None
    open_lead = lead.match.duplicate_of_id if lead.match else None
    if open_lead is not None:
        target = (RecordKind.LEAD, open_lead)
    elif lead.contact_id is not None or lead.company_id is not None:
        deal = await uow.sales.open_deal(lead.contact_id, lead.company_id)
        if deal is not None:
            target = (RecordKind.DEAL, deal.id)
    if target is None:
        return None
    data = lead.data
    text = data.comment or f"Новое обращение: заявка №{lead.id}"
    return await uow.sales.add_activity(
        NewActivity(
            entity=target[0],
            entity_id=target[1],
            kind=KIND_BY_CHANNEL.get(data.channel, ActivityKind.NOTE),
            text=f"{text} (заявка №{lead.id}, {data.channel})",
            at=data.received_at,
            actor=f"lead:{lead.id}",
            manager_id=None,
        ),
        now,
    )
