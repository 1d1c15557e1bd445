"""Scoring and decisions, pure: what may link automatically and what must not."""

from __future__ import annotations

import pytest

from dedupe.decision import ScoredCandidate, Thresholds, Verdict, decide
from dedupe.keys import Entity
from dedupe.profile import RawIdentity, build_profile
from dedupe.scoring import KeyStats, compare, surname_weight
from dedupe.translit import skeleton

BASE = 100_000


def scored(
    lead: RawIdentity, candidate: RawIdentity, counts: dict[str, int] | None = None, cid: int = 1
) -> ScoredCandidate:
    stats = KeyStats(counts or {}, BASE)
    comparison = compare(build_profile(lead), build_profile(candidate), stats)
    return ScoredCandidate(Entity.CONTACT, cid, comparison)


def verdict(*candidates: ScoredCandidate) -> Verdict:
    return decide(list(candidates), None, Thresholds()).verdict


IVAN = RawIdentity(
    name="Петров Иван Сергеевич", phones=("+79161234567",), emails=("ivan.petrov@mail.ru",)
)


@pytest.mark.parametrize(
    "lead",
    [
        RawIdentity(phones=("8 (916) 123-45-67",)),
        RawIdentity(name="Ваня", phones=("+7 916 123 45 67",)),
        RawIdentity(name="Ivan Petrov", emails=("Ivan.Petrov@Mail.RU",)),
        RawIdentity(name="Иван", text="перезвоните на 8-916-123-45-67"),
    ],
)
def test_identifier_without_contradiction_links(lead: RawIdentity) -> None:
    assert verdict(scored(lead, IVAN)) is Verdict.AUTO


@pytest.mark.parametrize(
    "lead",
    [
        RawIdentity(name="Петров Иван Сергеевич"),
        RawIdentity(name="Петров Иван Сергеевич", phones=("+79990000000",)),
        RawIdentity(name="Ivan Sergeevich Petrov", emails=("other@example.org",)),
    ],
)
def test_name_alone_never_links_automatically(lead: RawIdentity) -> None:
    assert verdict(scored(lead, IVAN)) is not Verdict.AUTO


def test_shared_phone_with_another_first_name_is_someone_else() -> None:
    wife = RawIdentity(name="Петрова Мария", phones=("+79161234567",))
    result = scored(wife, IVAN, {"p:+79161234567": 2})
    assert result.comparison.name_conflict
    assert verdict(result) is Verdict.NEW


def test_office_phone_shared_by_many_is_weak() -> None:
    colleague = RawIdentity(phones=("+79161234567",))
    shared = scored(colleague, IVAN, {"p:+79161234567": 12})
    assert verdict(shared) is not Verdict.AUTO
    assert shared.total < scored(colleague, IVAN).total


def test_role_mailbox_is_company_evidence_only() -> None:
    office = RawIdentity(name="Ольга", emails=("info@romashka.ru",))
    boss = RawIdentity(name="Анна Белова", emails=("info@romashka.ru",))
    assert verdict(scored(office, boss)) is Verdict.NEW


def test_canonical_email_needs_the_name() -> None:
    contact = RawIdentity(name="Светлана Кузнецова", emails=("svetlana69@yandex.ru",))
    assert verdict(scored(RawIdentity(emails=("svetlana69+x@ya.ru",)), contact)) is not (
        Verdict.AUTO
    )
    with_name = RawIdentity(name="Света", emails=("svetlana69+x@ya.ru",))
    assert verdict(scored(with_name, contact)) is Verdict.AUTO


def test_two_equally_good_candidates_go_to_review() -> None:
    lead = RawIdentity(phones=("+79161234567",))
    first = scored(lead, IVAN, {"p:+79161234567": 2}, cid=1)
    twin = RawIdentity(name="Петров Пётр", phones=("+79161234567",))
    second = scored(lead, twin, {"p:+79161234567": 2}, cid=2)
    assert verdict(first, second) is Verdict.REVIEW


def test_decision_explains_itself() -> None:
    decision = decide(
        [scored(RawIdentity(name="Ваня", phones=("89161234567",)), IVAN)], None, Thresholds()
    )
    explained = decision.explanation()
    assert explained["decision"] == "auto" and explained["contact_id"] == 1
    evidence = {e["field"]: e for e in explained["candidates"][0]["evidence"]}
    assert evidence["phone"]["outcome"] == "match" and evidence["phone"]["weight"] > 0
    assert "имя" in evidence["first_name"]["note"]


def test_rare_surnames_weigh_more_than_common_ones() -> None:
    assert surname_weight(skeleton("Иванов"), 1, BASE) < surname_weight(skeleton("Щукин"), 1, BASE)
    assert surname_weight(skeleton("Ковальчук"), 500, BASE) < surname_weight(
        skeleton("Ковальчук"), 2, BASE
    )
