"""From scored candidates to a decision (auto / review / new) that explains itself."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dedupe.keys import Entity
from dedupe.scoring import Comparison, Evidence


class Verdict(StrEnum):
    """What the detector concluded."""

    AUTO = "auto"
    REVIEW = "review"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision thresholds on summed log-odds (configurable)."""

    auto: float = 6.0
    review: float = 3.0
    margin: float = 2.0
    company: float = 4.0
    max_review_candidates: int = 5
    # A candidate only the name speaks for is worth a manager's look from this weight up
    # (a specific name: rare surname or a patronymic), not for "Сергей Иванов".
    name_only_review: float = 4.0


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    """One candidate record with its comparison to the lead."""

    entity: Entity
    id: int
    comparison: Comparison
    company_id: int | None = None

    @property
    def total(self) -> float:
        """Summed evidence weight."""
        return self.comparison.total

    @property
    def score(self) -> float:
        """The total squashed to 0..1 (0.5 halfway between review and auto)."""
        return to_score(self.total)


@dataclass(frozen=True, slots=True)
class CompanyMatch:
    """The company a lead belongs to, with the evidence."""

    company_id: int
    evidence: tuple[Evidence, ...]

    @property
    def total(self) -> float:
        """Summed evidence weight."""
        return sum(e.weight for e in self.evidence)


@dataclass(frozen=True, slots=True)
class Decision:
    """The detector's answer for one lead."""

    verdict: Verdict
    contact_id: int | None
    company_id: int | None
    score: float
    reason: str
    candidates: tuple[ScoredCandidate, ...] = ()
    company: CompanyMatch | None = None
    matched_entity: Entity | None = None
    duplicate_lead_id: int | None = None
    # A linked contact now writes from another company (a job change): the company it had,
    # for crm_core to keep in the contact's history while the lead gets `company_id`.
    previous_company_id: int | None = None
    # Open leads (2+, ids ascending) each tied to this lead by automatic-strength evidence on
    # its own (whether or not one of them won): one person's chain of channels, for
    # crm_core to join (issue 16). Empty otherwise.
    chain: tuple[int, ...] = ()

    def explanation(self) -> dict[str, Any]:
        """A JSON-ready account of the decision (stored with the lead, shown in the API)."""
        return {
            "decision": self.verdict.value,
            "score": round(self.score, 4),
            "reason": self.reason,
            "contact_id": self.contact_id,
            "company_id": self.company_id,
            "duplicate_of_lead_id": self.duplicate_lead_id,
            "previous_company_id": self.previous_company_id,
            "candidates": [
                {
                    "entity": c.entity.value,
                    "id": c.id,
                    "score": round(c.score, 4),
                    "weight": round(c.total, 2),
                    "evidence": [_evidence_json(e) for e in c.comparison.evidence],
                }
                for c in self.candidates
            ],
            "company": None
            if self.company is None
            else {
                "id": self.company.company_id,
                "weight": round(self.company.total, 2),
                "evidence": [_evidence_json(e) for e in self.company.evidence],
            },
        }


def to_score(total: float) -> float:
    """Log-odds to 0..1."""
    return 1.0 / (1.0 + math.exp(-(total - 4.5)))


def decide(
    candidates: Sequence[ScoredCandidate],
    company: CompanyMatch | None,
    thresholds: Thresholds,
) -> Decision:
    """Auto only on identifier proof, no contradicting name and a clear winner."""
    ranked = sorted(
        (c for c in candidates if _reviewable(c, thresholds)), key=lambda c: (-c.total, c.id)
    )
    company_id = company.company_id if company and company.total >= thresholds.company else None
    company = company if company_id is not None else None
    if not ranked:
        ranked = sorted(candidates, key=lambda c: (-c.total, c.id))[:1]
    if not ranked or ranked[0].total < thresholds.review or not _reviewable(ranked[0], thresholds):
        best_score = ranked[0].score if ranked else 0.0
        return Decision(
            Verdict.NEW,
            None,
            company_id,
            best_score,
            _why_new(ranked[0] if ranked else None),
            tuple(ranked[:1]),
            company,
        )
    best = ranked[0]
    runner_up = ranked[1].total if len(ranked) > 1 else None
    why_not = _why_not_auto(best, runner_up, thresholds)
    if why_not is None and best.comparison.proof_is_name_and_company:
        why_not = _identifier_elsewhere([c for c in candidates if c is not best])
    shortlist = tuple(c for c in ranked if c.total >= thresholds.review)
    chain = _chain(shortlist, thresholds)
    if why_not is None:
        is_contact = best.entity is Entity.CONTACT
        linked_company, previous = _company_of_link(best, company_id)
        reason = "; ".join(e.note for e in best.comparison.evidence if e.weight > 0)
        if previous is not None:
            reason += "; компания в обращении другая: обращение относится к новой компании"
            if linked_company is None:
                reason += " (её нет в базе)"
            reason += ", прежняя остаётся в истории контакта"
        return Decision(
            Verdict.AUTO,
            best.id if is_contact else None,
            linked_company,
            best.score,
            reason,
            tuple(c for c in shortlist if c.entity is Entity.LEAD and c.id in chain)
            if chain
            else tuple(ranked[:1]),
            company,
            best.entity,
            None if is_contact else best.id,
            previous_company_id=previous,
            chain=chain,
        )
    top_contact = next((c.id for c in shortlist if c.entity is Entity.CONTACT), None)
    return Decision(
        Verdict.REVIEW,
        top_contact,
        company_id,
        best.score,
        why_not,
        shortlist[: thresholds.max_review_candidates],
        company,
        best.entity,
        chain=chain,
    )


def _chain(shortlist: Sequence[ScoredCandidate], thresholds: Thresholds) -> tuple[int, ...]:
    """The open leads each of which alone would be an automatic link, when there are 2+ of
    them and no contact would be one too (a known contact is never joined this way)."""
    strong = [c for c in shortlist if _why_not_auto(c, None, thresholds) is None]
    if len(strong) < 2 or any(c.entity is not Entity.LEAD for c in strong):
        return ()
    return tuple(sorted(c.id for c in strong))


def _why_new(best: ScoredCandidate | None) -> str:
    """Why no known contact was proposed, in the manager's words."""
    if best is None:
        return "похожих контактов не найдено"
    if best.comparison.company_conflict and not best.comparison.has_personal_identifier:
        return "совпадает только имя, а компания другая: вероятно, однофамилец"
    if best.comparison.name_only:
        return "совпадает только имя, и оно не редкое: вероятно, другой человек"
    return "совпадений недостаточно"


def _reviewable(candidate: ScoredCandidate, thresholds: Thresholds) -> bool:
    """Worth a review: enough weight, and more of it when only the name agrees."""
    if candidate.total < thresholds.review:
        return False
    return not candidate.comparison.name_only or candidate.total >= thresholds.name_only_review


def _identifier_elsewhere(others: Sequence[ScoredCandidate]) -> str | None:
    """A link on name + company is off when a phone, e-mail or id points at someone else."""
    if any(c.comparison.has_personal_identifier for c in others):
        return (
            "имя и компания указывают на одного контакта, а телефон, e-mail или мессенджер — "
            "на другого: нужна проверка менеджером"
        )
    return None


def _company_of_link(
    best: ScoredCandidate, lead_company_id: int | None
) -> tuple[int | None, int | None]:
    """(company for the lead, the contact's previous company when the lead shows a new one)."""
    own = best.company_id
    if lead_company_id is not None:
        return lead_company_id, own if own is not None and own != lead_company_id else None
    if own is not None and best.comparison.company_conflict:
        return None, own
    return own, None


def _why_not_auto(
    best: ScoredCandidate, runner_up: float | None, thresholds: Thresholds
) -> str | None:
    comparison = best.comparison
    veto = comparison.veto
    if veto is not None:
        return veto.note
    if comparison.name_conflict:
        return "идентификатор совпал, но имя другое: нужна проверка менеджером"
    near = comparison.near_identifier
    if near is not None and (
        not comparison.has_identifier_proof or comparison.proof_is_name_and_company
    ):
        return f"{near.note}: нужна проверка менеджером"
    if not comparison.has_identifier_proof:
        return "совпадает только имя (или общий контакт компании): нужна проверка менеджером"
    if best.total < thresholds.auto:
        return "доказательств недостаточно для автоматической привязки"
    if runner_up is not None and best.total - runner_up < thresholds.margin:
        return "несколько похожих контактов: выберите нужный"
    return None


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "field": evidence.field,
        "outcome": evidence.outcome.value,
        "weight": round(evidence.weight, 2),
        "strength": evidence.strength.value,
        "note": evidence.note,
        "shared_by": evidence.shared_by,
    }
