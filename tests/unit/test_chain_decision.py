"""A lead tied for sure to two open leads at once (issue 16): the decision names the chain."""

from __future__ import annotations

from dedupe.decision import ScoredCandidate, Thresholds, Verdict, decide
from dedupe.keys import Entity
from dedupe.profile import RawIdentity, build_profile
from dedupe.scoring import KeyStats, compare

FORM = RawIdentity(
    name="Петров Иван Сергеевич",
    phones=("+79161234567",),
    messengers=(("vk_id", "61234987"),),
)
BY_PHONE = RawIdentity(name="Иван Петров", phones=("+79161234567",))
BY_VK = RawIdentity(messengers=(("vk_id", "61234987"),))


def scored(lead: RawIdentity, other: RawIdentity, entity: Entity, cid: int) -> ScoredCandidate:
    comparison = compare(build_profile(lead), build_profile(other), KeyStats({}, 100_000))
    return ScoredCandidate(entity, cid, comparison)


def test_two_open_leads_each_tied_for_sure_are_a_chain() -> None:
    decision = decide(
        [scored(FORM, BY_VK, Entity.LEAD, 7), scored(FORM, BY_PHONE, Entity.LEAD, 3)],
        None,
        Thresholds(),
    )
    assert decision.verdict is Verdict.REVIEW  # the detector alone does not pick one
    assert decision.chain == (3, 7)


def test_a_known_contact_among_them_is_no_chain() -> None:
    decision = decide(
        [scored(FORM, BY_VK, Entity.LEAD, 7), scored(FORM, BY_PHONE, Entity.CONTACT, 3)],
        None,
        Thresholds(),
    )
    assert decision.verdict is Verdict.REVIEW and decision.chain == ()


def test_one_lead_for_sure_and_one_by_name_only_is_no_chain() -> None:
    namesake = RawIdentity(name="Петров Иван Сергеевич", phones=("+79990000000",))
    decision = decide(
        [scored(FORM, BY_VK, Entity.LEAD, 7), scored(FORM, namesake, Entity.LEAD, 3)],
        None,
        Thresholds(),
    )
    assert decision.chain == ()


def test_another_first_name_on_the_phone_breaks_the_chain() -> None:
    wife = RawIdentity(name="Мария Петрова", phones=("+79161234567",))
    decision = decide(
        [scored(FORM, BY_VK, Entity.LEAD, 7), scored(FORM, wife, Entity.LEAD, 3)],
        None,
        Thresholds(),
    )
    assert decision.chain == ()


def test_a_chain_is_named_even_when_one_lead_wins_on_weight() -> None:
    richer = RawIdentity(
        name="Иван Петров", messengers=(("vk_id", "61234987"),), emails=("ivan@mail.ru",)
    )
    lead = RawIdentity(
        name="Иван Петров",
        phones=("+79161234567",),
        messengers=(("vk_id", "61234987"),),
        emails=("ivan@mail.ru",),
    )
    decision = decide(
        [scored(lead, richer, Entity.LEAD, 7), scored(lead, BY_PHONE, Entity.LEAD, 3)],
        None,
        Thresholds(),
    )
    assert decision.verdict is Verdict.AUTO and decision.duplicate_lead_id == 7
    assert decision.chain == (3, 7)
    assert {c.id for c in decision.candidates} == {3, 7}
