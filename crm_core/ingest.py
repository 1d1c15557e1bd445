"""IngestLead: turn inbox rows into exactly one lead each, with consent and audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_core.model import AuditEntry, ConsentRecord, Lead, NewLead
from crm_core.storage.ports import UnitOfWork
from crm_core.webhooks import EventType, lead_event

SYSTEM_ACTOR = "system"


@dataclass(frozen=True, slots=True)
class ConsentDraft:
    """Consent as submitted with the request, before the lead id is known."""

    given: bool
    text_version: str | None
    raw_value: str | None


@dataclass(frozen=True, slots=True)
class IngestLead:
    """Command: create the lead for an inbox row (idempotent on the inbox id)."""

    lead: NewLead
    consent: ConsentDraft | None


async def ingest_leads(
    uow: UnitOfWork, commands: Sequence[IngestLead], now: datetime
) -> list[tuple[Lead, bool]]:
    """Create each lead once (in a few statements for the whole batch).

    A repeated command returns the existing lead and records nothing new.
    """
    results = await uow.leads.add_many([c.lead for c in commands], now)
    consents: list[ConsentRecord] = []
    audit: list[AuditEntry] = []
    for command, (lead, created) in zip(commands, results, strict=True):
        if not created:
            continue
        if command.consent is not None:
            consents.append(_consent_record(lead, command.consent))
        audit.append(_created_entry(lead, now))
        uow.webhooks.record(lead_event(EventType.LEAD_CREATED, lead, now))
    await uow.consents.add_many(consents)
    await uow.audit.add_many(audit)
    return results


async def ingest_lead(uow: UnitOfWork, command: IngestLead, now: datetime) -> tuple[Lead, bool]:
    """Create one lead once; returns (lead, created)."""
    [result] = await ingest_leads(uow, [command], now)
    return result


def _consent_record(lead: Lead, consent: ConsentDraft) -> ConsentRecord:
    return ConsentRecord(
        lead_id=lead.id,
        given=consent.given,
        text_version=consent.text_version,
        raw_value=consent.raw_value,
        source=f"{lead.data.channel}:{lead.data.source}",
        recorded_at=lead.data.received_at,
    )


def _created_entry(lead: Lead, now: datetime) -> AuditEntry:
    return AuditEntry(
        actor=SYSTEM_ACTOR,
        entity="lead",
        entity_id=lead.id,
        action="created",
        at=now,
        after={
            "status": lead.status.value,
            "channel": lead.data.channel,
            "source": lead.data.source,
            "inbox_id": lead.data.inbox_id,
        },
    )
