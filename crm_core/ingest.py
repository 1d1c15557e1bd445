"""IngestLead: turn one inbox row into exactly one lead, with its consent and audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_core.model import AuditEntry, ConsentRecord, Lead, NewLead
from crm_core.storage.ports import UnitOfWork

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


async def ingest_lead(uow: UnitOfWork, command: IngestLead, now: datetime) -> tuple[Lead, bool]:
    """Create the lead once; a repeated command returns the existing lead and changes nothing."""
    lead, created = await uow.leads.add(command.lead, now)
    if not created:
        return lead, False
    if command.consent is not None:
        await uow.consents.add(
            ConsentRecord(
                lead_id=lead.id,
                given=command.consent.given,
                text_version=command.consent.text_version,
                raw_value=command.consent.raw_value,
                source=f"{lead.data.channel}:{lead.data.source}",
                recorded_at=lead.data.received_at,
            )
        )
    await uow.audit.add(
        AuditEntry(
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
    )
    return lead, True
