"""The duplicate detector: keys → candidates through the index → scores → decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dedupe.decision import CompanyMatch, Decision, ScoredCandidate, Thresholds, Verdict, decide
from dedupe.keys import (
    REJECTIONS_KEY,
    RETRIEVAL_CAPS,
    TOTAL_KEY,
    Entity,
    KeyKind,
    key,
    kind_of,
    lookup_keys,
    rejection_keys,
)
from dedupe.ports import Candidates, IdentityIndex, IndexedContact
from dedupe.profile import Profile
from dedupe.scoring import (
    COMPANY_DOMAIN_WEIGHT,
    COMPANY_PHONE_WEIGHT,
    Evidence,
    KeyStats,
    LeadCompany,
    NumberUse,
    Outcome,
    SharedNumber,
    Strength,
    compare,
    compare_company,
)


class Detector:
    """Finds the known person (and company) behind a lead; the same code in service and eval."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self._thresholds = thresholds or Thresholds()

    async def detect(self, lead: Profile, index: IdentityIndex) -> Decision:
        """Decide for one lead against everything the index holds."""
        keys = lookup_keys(lead)
        # Counts, the record total, the rejections flag, the candidates and their records in
        # one call (one round trip on PostgreSQL).
        caps = {k: RETRIEVAL_CAPS[kind_of(k)] for k in keys}
        caps.update({TOTAL_KEY: 0, REJECTIONS_KEY: 0})
        found = await index.candidates(caps, rejection_keys(lead))
        counts, rows, contacts = found.counts, found.rows, found.contacts
        contact_stats = KeyStats(
            {k: n for (k, entity), n in counts.items() if entity is Entity.CONTACT},
            counts.get((TOTAL_KEY, Entity.CONTACT), 0),
        )
        shared = shared_numbers(lead, rows, contacts, found.companies)
        company = self._company(lead, found.companies, counts, colleague_domains(rows, contacts))
        lead_company = _lead_company(company, self._thresholds)
        scored = [
            ScoredCandidate(
                Entity.CONTACT,
                c.id,
                compare(lead, c.profile, contact_stats, shared, lead_company, c.company_id),
                c.company_id,
            )
            for c in contacts.values()
            if c.id not in found.rejected
        ]
        scored += _open_leads(lead, found, contact_stats.contacts_total, shared)
        decision = decide(scored, company, self._thresholds)
        return _office_company(decision, shared)

    def _company(
        self,
        lead: Profile,
        profiles: dict[int, Profile],
        counts: dict[tuple[str, Entity], int],
        by_colleagues: Mapping[int, str],
    ) -> CompanyMatch | None:
        if not profiles and not by_colleagues:
            return None
        stats = KeyStats(
            {k: n for (k, entity), n in counts.items() if entity is Entity.COMPANY}, 0
        )
        evidence = {
            company_id: compare_company(lead, profile, stats)
            for company_id, profile in profiles.items()
        }
        for company_id, domain in by_colleagues.items():
            found = evidence.get(company_id, ())
            if not any(e.field == "domain" for e in found):
                evidence[company_id] = (*found, _colleague_domain(domain))
        matches = [CompanyMatch(company_id, found) for company_id, found in evidence.items()]
        ranked = sorted(matches, key=lambda m: (-m.total, m.company_id))
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0].total - ranked[1].total < self._thresholds.margin:
            return None
        return ranked[0]


def _open_leads(
    lead: Profile, found: Candidates, contacts_total: int, shared: Mapping[str, SharedNumber]
) -> list[ScoredCandidate]:
    if not found.open_leads:
        return []
    stats = KeyStats(
        {k: n for (k, entity), n in found.counts.items() if entity is Entity.LEAD},
        contacts_total,
    )
    return [
        ScoredCandidate(Entity.LEAD, lead_id, compare(lead, profile, stats, shared))
        for lead_id, profile in found.open_leads.items()
    ]


BASIS = {
    "inn": "по ИНН",
    "domain": "по домену почты",
    "company": "по названию",
    "phone": "по телефону компании",
    "email": "по e-mail компании",
}


def _lead_company(company: CompanyMatch | None, thresholds: Thresholds) -> LeadCompany | None:
    """The company the lead is known to point at, when the evidence is strong enough."""
    if company is None or company.total < thresholds.company:
        return None
    strongest = max(company.evidence, key=lambda e: e.weight)
    return LeadCompany(company.company_id, BASIS.get(strongest.field, "по реквизитам"))


def colleague_domains(
    rows: list[tuple[str, Entity, int]], contacts: Mapping[int, IndexedContact]
) -> dict[int, str]:
    """Companies whose staff write from the lead's corporate mail domain: {company: domain}
    when the contacts found on that domain belong to one company."""
    found: dict[int, str] = {}
    by_domain: dict[str, set[int]] = {}
    for stored, entity, record in rows:
        if entity is Entity.CONTACT and kind_of(stored) is KeyKind.DOMAIN and record in contacts:
            company_id = contacts[record].company_id
            if company_id is not None:
                by_domain.setdefault(stored.partition(":")[2], set()).add(company_id)
    for domain, companies in sorted(by_domain.items()):
        if len(companies) == 1:
            found.setdefault(next(iter(companies)), domain)
    return found


def _colleague_domain(domain: str) -> Evidence:
    return Evidence(
        "domain",
        Outcome.MATCH,
        COMPANY_DOMAIN_WEIGHT,
        Strength.COMPANY,
        f"корпоративный домен почты совпал с адресами сотрудников компании ({domain})",
    )


def shared_numbers(
    lead: Profile,
    rows: list[tuple[str, Entity, int]],
    contacts: Mapping[int, IndexedContact],
    companies: Mapping[int, Profile],
) -> dict[str, SharedNumber]:
    """The lead's phones known to be office lines or family phones, from what the lookup
    already returned: a number on a company record (not an ИП's: that is its owner's own)
    or on 2+ contacts of one company is an office line; on 2+ contacts of one surname, a
    family phone."""
    found: dict[str, SharedNumber] = {}
    for phone in sorted(lead.phones | lead.text_phones):
        stored = key(KeyKind.PHONE, phone)
        holders = sorted(i for k, e, i in rows if k == stored and e is Entity.CONTACT)
        held = [contacts[i] for i in holders if i in contacts]
        company_ids = sorted(i for k, e, i in rows if k == stored and e is Entity.COMPANY)
        firms = [
            i for i in company_ids if i in companies and not companies[i].company.is_individual
        ]
        if firms:
            found[phone] = SharedNumber(
                phone, NumberUse.OFFICE, tuple(holders), firms[0], companies[firms[0]].company.raw
            )
            continue
        by_company: dict[int, list[IndexedContact]] = {}
        by_surname: dict[str, list[IndexedContact]] = {}
        for contact in held:
            if contact.company_id is not None:
                by_company.setdefault(contact.company_id, []).append(contact)
            surname = contact.profile.name.surname_skeleton
            if surname:
                by_surname.setdefault(surname, []).append(contact)
        office = next((c for c in by_company.values() if len(c) >= 2), None)
        if office is not None:
            found[phone] = SharedNumber(
                phone,
                NumberUse.OFFICE,
                tuple(holders),
                office[0].company_id,
                next((c.profile.company.raw for c in office if c.profile.company.raw), None),
            )
        elif any(len(c) >= 2 for c in by_surname.values()):
            found[phone] = SharedNumber(phone, NumberUse.FAMILY, tuple(holders))
        elif (
            is_landline(phone)
            and len(held) == 1
            and not company_ids
            and (firm := _employer(held, companies)) is not None
        ):
            # A city number on an employee's card is the office's switchboard, not theirs.
            found[phone] = SharedNumber(
                phone, NumberUse.OFFICE, tuple(holders), firm.company_id, firm.profile.company.raw
            )
    return found


def is_landline(phone: str) -> bool:
    """A Russian geographic or toll-free number (+7 3xx/4xx/8xx), not a mobile (+7 9xx)."""
    return phone.startswith("+7") and len(phone) == 12 and phone[2] in "348"


def _employer(
    held: list[IndexedContact], companies: Mapping[int, Profile]
) -> IndexedContact | None:
    """The holder that works for a company (not an ИП, whose number is the owner's own)."""
    for contact in held:
        if contact.company_id is None or contact.profile.company.is_individual:
            continue
        firm = companies.get(contact.company_id)
        if firm is None or not firm.company.is_individual:
            return contact
    return None


def _office_company(decision: Decision, shared: Mapping[str, SharedNumber]) -> Decision:
    """A lead that did not link to a person on an office line belongs to that company."""
    if decision.verdict is Verdict.AUTO or decision.company_id is not None:
        return decision
    office = next(
        (n for n in shared.values() if n.use is NumberUse.OFFICE and n.company_id is not None),
        None,
    )
    if office is None or office.company_id is None:
        return decision
    evidence = Evidence(
        "phone",
        Outcome.MATCH,
        COMPANY_PHONE_WEIGHT,
        Strength.COMPANY,
        f"{office.label}: обращение с него относится к компании",
    )
    return replace(
        decision,
        company_id=office.company_id,
        company=CompanyMatch(office.company_id, (evidence,)),
    )
