"""handle_request: a new request becomes a lead once, matched to the people we know, logged
on their open lead or deal when they are in work, and assigned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from crm_core.followups import log_follow_up
from crm_core.inbound.model import Handled
from crm_core.inbound.prepare import PreparedLead
from crm_core.inbound.setup import InboundSetup
from crm_core.ingest import ingest_leads
from crm_core.matching import match_lead
from crm_core.model import Lead
from crm_core.storage.ports import UnitOfWork
from dedupe.decision import Decision


async def handle_request(
    uow: UnitOfWork, requests: Sequence[PreparedLead], now: datetime, setup: InboundSetup
) -> list[Handled]:
    """Create the leads of a batch of requests (in a few statements); one outcome each."""
    results = await create_leads(uow, requests, [None] * len(requests), now, setup)
    return [Handled(lead_id=lead.id, lead_created=created) for lead, created in results]


async def create_leads(
    uow: UnitOfWork,
    prepared: Sequence[PreparedLead],
    decisions: Sequence[Decision | None],
    now: datetime,
    setup: InboundSetup,
) -> list[tuple[Lead, bool]]:
    """Ingest the leads in one go, then match, log and assign each one created now.

    `decisions` are the detector's answers already at hand (None: detect at matching).
    """
    results = await ingest_leads(uow, [p.command for p in prepared], now)
    for prep, decision, (lead, created) in zip(prepared, decisions, results, strict=True):
        if not created:
            continue
        match = await match_lead(uow, lead.id, prep.profile, setup.detector, now, decision)
        matched = replace(
            lead, match=match, contact_id=match.contact_id, company_id=match.company_id
        )
        await log_follow_up(uow, matched, now)
        if setup.hooks.route is not None:
            await setup.hooks.route(uow, matched, now)
    return results
