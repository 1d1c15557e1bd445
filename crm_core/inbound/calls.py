"""handle_call: call events folded into one call record each; a known client's manager is
told while the phone rings, and the call's end is handed to the call rules (call_end)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from crm_core.calls import CallDirection, CallSummary, assemble
from crm_core.conversation import conversation_of_person
from crm_core.inbound.call_end import complete_call
from crm_core.inbound.model import CallReport, Handled
from crm_core.inbound.setup import InboundSetup
from crm_core.storage.ports import UnitOfWork
from dedupe.phones import normalize_phone
from dedupe.profile import RawIdentity, build_profile


async def handle_call(
    uow: UnitOfWork, calls: Sequence[CallReport], now: datetime, setup: InboundSetup
) -> list[Handled]:
    """Fold each event into its call, in order; one outcome each."""
    return [await _fold(uow, report, now, setup) for report in calls]


async def _fold(
    uow: UnitOfWork, report: CallReport, now: datetime, setup: InboundSetup
) -> Handled:
    """Add the event to its call; at the call's end, make its lead or activity (once)."""
    fact = report.fact
    stored = await uow.calls.lock_or_create(fact.provider, fact.call_id, now)
    updated = stored.with_fact(fact)
    if updated is None:  # the provider sent this event before
        return Handled(stored.lead_id, False)
    summary = assemble(updated.facts, summary_final=report.summary_final)
    updated = replace(updated, summary=summary)
    result = Handled(updated.lead_id, False)
    if summary.finished and updated.completed_at is None:
        updated, result = await complete_call(uow, report, updated, summary, now, setup)
    elif not stored.facts and summary.direction is CallDirection.INBOUND:
        rang = await _ringing(uow, summary, now, setup)
        result = replace(result, notified=rang)
    await uow.calls.save(updated, now)
    return result


async def _ringing(
    uow: UnitOfWork, summary: CallSummary, now: datetime, setup: InboundSetup
) -> bool:
    """A known client is calling: their manager sees who it is while the phone rings.
    True when somebody was told."""
    ring = setup.hooks.notify_ringing
    if ring is None or not summary.customer_number:
        return False
    phone = normalize_phone(summary.customer_number, setup.region)
    if not phone.valid or phone.e164 is None:
        return False
    identity = RawIdentity(name=None, phones=(phone.e164,))
    profile = build_profile(identity, setup.region, stored=True)
    conversation = await conversation_of_person(
        uow, await setup.detector.detect(profile, uow.identity)
    )
    if conversation is None:
        return False
    await ring(uow, conversation, summary, now)
    return True
