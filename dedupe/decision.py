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
    ranked = sorted(candidates, key=lambda c: (-c.total, c.id))
    company_id = company.company_id if company and company.total >= thresholds.company else None
    company = company if company_id is not None else None
    if not ranked or ranked[0].total < thresholds.review:
        best_score = ranked[0].score if ranked else 0.0
        return Decision(
            Verdict.NEW,
            None,
            company_id,
            best_score,
            "похожих контактов не найдено" if not ranked else "совпадений недостаточно",
            tuple(ranked[:1]),
            company,
        )
    best = ranked[0]
    runner_up = ranked[1].total if len(ranked) > 1 else None
    why_not = _why_not_auto(best, runner_up, thresholds)
    shortlist = tuple(c for c in ranked if c.total >= thresholds.review)
    chain = _chain(shortlist, thresholds)
    if why_not is None:
        is_contact = best.entity is Entity.CONTACT
        return Decision(
            Verdict.AUTO,
            best.id if is_contact else None,
            best.company_id if best.company_id is not None else company_id,
            best.score,
            "; ".join(e.note for e in best.comparison.evidence if e.weight > 0),
            tuple(c for c in shortlist if c.entity is Entity.LEAD and c.id in chain)
            if chain
            else tuple(ranked[:1]),
            company,
            best.entity,
            None if is_contact else best.id,
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
    if near is not None and not comparison.has_identifier_proof:
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
