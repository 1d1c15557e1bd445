"""The duplicate detector: keys → candidates through the index → scores → decision."""

from __future__ import annotations

from dedupe.decision import CompanyMatch, Decision, ScoredCandidate, Thresholds, decide
from dedupe.keys import (
    REJECTIONS_KEY,
    RETRIEVAL_CAPS,
    TOTAL_KEY,
    Entity,
    kind_of,
    lookup_keys,
    rejection_keys,
)
from dedupe.ports import IdentityIndex
from dedupe.profile import Profile
from dedupe.scoring import KeyStats, compare, compare_company


class Detector:
    """Finds the known person (and company) behind a lead; the same code in service and eval."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self._thresholds = thresholds or Thresholds()

    async def detect(self, lead: Profile, index: IdentityIndex) -> Decision:
        """Decide for one lead against everything the index holds."""
        keys = lookup_keys(lead)
        # Counts, the record total, the rejections flag and the candidates in one round trip.
        caps = {k: RETRIEVAL_CAPS[kind_of(k)] for k in keys}
        caps.update({TOTAL_KEY: 0, REJECTIONS_KEY: 0})
        counts, rows = await index.lookup(caps)
        contact_ids = {i for _, entity, i in rows if entity is Entity.CONTACT}
        company_ids = {i for _, entity, i in rows if entity is Entity.COMPANY}
        contact_stats = KeyStats(
            {k: n for (k, entity), n in counts.items() if entity is Entity.CONTACT},
            counts.get((TOTAL_KEY, Entity.CONTACT), 0),
        )
        contacts = await index.contacts(contact_ids) if contact_ids else {}
        any_rejections = counts.get((REJECTIONS_KEY, Entity.CONTACT), 0) > 0
        rejected = (
            await index.rejected(contact_ids, rejection_keys(lead))
            if contact_ids and any_rejections
            else set()
        )
        scored = [
            ScoredCandidate(
                Entity.CONTACT, c.id, compare(lead, c.profile, contact_stats), c.company_id
            )
            for c in contacts.values()
            if c.id not in rejected
        ]
        scored += await self._open_leads(lead, index, rows, counts, contact_stats.contacts_total)
        company = await self._company(lead, index, company_ids, counts)
        return decide(scored, company, self._thresholds)

    async def _open_leads(
        self,
        lead: Profile,
        index: IdentityIndex,
        rows: list[tuple[str, Entity, int]],
        counts: dict[tuple[str, Entity], int],
        contacts_total: int,
    ) -> list[ScoredCandidate]:
        lead_ids = {i for _, entity, i in rows if entity is Entity.LEAD}
        if not lead_ids:
            return []
        stats = KeyStats(
            {k: n for (k, entity), n in counts.items() if entity is Entity.LEAD}, contacts_total
        )
        profiles = await index.open_leads(lead_ids)
        return [
            ScoredCandidate(Entity.LEAD, lead_id, compare(lead, profile, stats))
            for lead_id, profile in profiles.items()
        ]

    async def _company(
        self,
        lead: Profile,
        index: IdentityIndex,
        company_ids: set[int],
        counts: dict[tuple[str, Entity], int],
    ) -> CompanyMatch | None:
        if not company_ids:
            return None
        stats = KeyStats(
            {k: n for (k, entity), n in counts.items() if entity is Entity.COMPANY}, 0
        )
        profiles = await index.companies(company_ids)
        matches = [
            CompanyMatch(company_id, compare_company(lead, profile, stats))
            for company_id, profile in profiles.items()
        ]
        ranked = sorted(matches, key=lambda m: (-m.total, m.company_id))
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0].total - ranked[1].total < self._thresholds.margin:
            return None
        return ranked[0]
