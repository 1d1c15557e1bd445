"""MatchLead: run the duplicate detector on a new lead and record its decision."""

from __future__ import annotations

from datetime import datetime

from crm_core.ingest import SYSTEM_ACTOR
from crm_core.model import AuditEntry, LeadMatch
from crm_core.storage.ports import UnitOfWork
from dedupe.decision import Verdict
from dedupe.detector import Detector
from dedupe.keys import Entity
from dedupe.profile import Profile


async def match_lead(
    uow: UnitOfWork, lead_id: int, profile: Profile, detector: Detector, now: datetime
) -> LeadMatch:
    """Link the lead to a known contact (auto), propose candidates (review), or neither."""
    decision = await detector.detect(profile, uow.identity)
    linked = decision.verdict is Verdict.AUTO and decision.matched_entity is Entity.CONTACT
    contact_id = decision.contact_id if linked else None
    match = LeadMatch(
        decision=decision.verdict.value,
        score=decision.score,
        contact_id=contact_id,
        company_id=decision.company_id,
        is_repeat=linked,
        explanation=decision.explanation(),
    )
    owner = await uow.identity.contact_owner(contact_id) if contact_id is not None else None
    await uow.leads.record_match(lead_id, match, owner, now)
    await uow.audit.add_many(
        [
            AuditEntry(
                actor=SYSTEM_ACTOR,
                entity="lead",
                entity_id=lead_id,
                action="matched",
                at=now,
                after={
                    "decision": match.decision,
                    "contact_id": match.contact_id,
                    "company_id": match.company_id,
                    "score": round(match.score, 4),
                },
            )
        ]
    )
    return match
