"""Office and family numbers, and identifiers one typo off: pure scoring and decisions."""

from __future__ import annotations

from dedupe.decision import Decision, ScoredCandidate, Thresholds, Verdict, decide
from dedupe.detector import shared_numbers
from dedupe.keys import Entity
from dedupe.ports import IndexedContact
from dedupe.profile import RawIdentity, build_profile
from dedupe.scoring import KeyStats, NumberUse, SharedNumber, compare

BASE = 100_000
OFFICE = "+74951234567"
VEKTOR = SharedNumber(OFFICE, NumberUse.OFFICE, (1,), 7, "ООО «Вектор»")
FAMILY = SharedNumber("+79161234567", NumberUse.FAMILY, (1, 2))
IVAN = RawIdentity(name="Петров Иван Сергеевич", phones=(OFFICE,), company="ООО «Вектор»")


def decision(
    lead: RawIdentity,
    holder: RawIdentity = IVAN,
    shared: SharedNumber | None = VEKTOR,
    counts: dict[str, int] | None = None,
) -> Decision:
    numbers = {shared.phone: shared} if shared else {}
    comparison = compare(
        build_profile(lead), build_profile(holder), KeyStats(counts or {}, BASE), numbers
    )
    return decide([ScoredCandidate(Entity.CONTACT, 1, comparison, 7)], None, Thresholds())


def notes(result: Decision) -> list[str]:
    return [e["note"] for c in result.explanation()["candidates"] for e in c["evidence"]]


def test_a_call_without_a_name_from_an_office_line_is_not_linked_to_its_holder() -> None:
    result = decision(RawIdentity(phones=(OFFICE,)))
    assert result.verdict is Verdict.REVIEW
    assert result.contact_id == 1  # proposed, not linked
    assert result.reason == (
        "номер общий для офиса ООО «Вектор»: обратившийся не назвался — привязываем к компании,"
        " владельцев номера предлагаем на проверку"
    )
    # Without the office knowledge the same call links automatically (the old behaviour).
    assert decision(RawIdentity(phones=(OFFICE,)), shared=None).verdict is Verdict.AUTO


def test_a_colleague_with_another_first_name_is_vetoed_with_the_reason() -> None:
    result = decision(RawIdentity(name="Мария", phones=(OFFICE,)))
    assert result.verdict is not Verdict.AUTO
    assert "номер общий для офиса ООО «Вектор»: у владельца другое имя" in notes(result)


def test_a_patronymic_that_disagrees_is_a_veto_on_a_shared_number() -> None:
    result = decision(RawIdentity(name="Петров Иван Андреевич", phones=(OFFICE,)))
    assert result.verdict is not Verdict.AUTO
    assert "номер общий для офиса ООО «Вектор»: у владельца другое отчество" in notes(result)


def test_the_holder_whose_name_agrees_is_linked_and_the_reason_is_stored() -> None:
    result = decision(RawIdentity(name="Иван Петров", phones=("8 495 123-45-67",)))
    assert result.verdict is Verdict.AUTO
    assert result.contact_id == 1
    assert "номер общий для офиса ООО «Вектор»: имя владельца совпало" in notes(result)
    phone = next(
        e for e in result.explanation()["candidates"][0]["evidence"] if e["field"] == "phone"
    )
    assert phone["strength"] == "hint"
    assert "номер общий для офиса ООО «Вектор»" in phone["note"]


def test_a_family_phone_needs_the_first_name_not_just_the_surname() -> None:
    dad = RawIdentity(name="Петров Иван", phones=(FAMILY.phone,))
    counts = {f"p:{FAMILY.phone}": 2}
    son = decision(RawIdentity(name="Петров Олег", phones=(FAMILY.phone,)), dad, FAMILY, counts)
    assert son.verdict is not Verdict.AUTO
    assert "номер общий для семьи: у владельца другое имя" in notes(son)
    surname_only = decision(
        RawIdentity(name="Петров", phones=(FAMILY.phone,)), dad, FAMILY, counts
    )
    assert surname_only.verdict is Verdict.REVIEW
    assert surname_only.reason == "номер общий для семьи: имя владельца не подтверждено"
    himself = decision(
        RawIdentity(name="Иван Петров", phones=(FAMILY.phone,)), dad, FAMILY, counts
    )
    assert himself.verdict is Verdict.AUTO


def test_a_phone_one_digit_off_goes_to_review_with_the_difference() -> None:
    holder = RawIdentity(name="Смирнов Алексей", phones=("+79161234567",))
    result = decision(RawIdentity(name="Алексей Смирнов", phones=("+79161234587",)), holder, None)
    assert result.verdict is Verdict.REVIEW
    assert result.contact_id == 1
    assert result.reason == (
        "телефон отличается одной цифрой (2-я цифра с конца: 8 вместо 6):"
        " нужна проверка менеджером"
    )


def test_swapped_neighbouring_digits_count_as_one_slip() -> None:
    holder = RawIdentity(name="Смирнов Алексей", phones=("+79161234567",))
    result = decision(RawIdentity(name="Алексей Смирнов", phones=("+79161235467",)), holder, None)
    assert result.verdict is Verdict.REVIEW
    assert "две соседние цифры переставлены" in result.reason


def test_an_email_one_character_off_goes_to_review_with_the_difference() -> None:
    holder = RawIdentity(name="Смирнов Алексей", emails=("a.smirnov@mail.ru",))
    result = decision(
        RawIdentity(name="Алексей Смирнов", emails=("a.smirnow@mail.ru",)), holder, None
    )
    assert result.verdict is Verdict.REVIEW
    assert (
        result.reason
        == "e-mail отличается одним символом («w» вместо «v»): нужна проверка менеджером"
    )


def test_a_near_identifier_needs_the_name_to_agree() -> None:
    holder = RawIdentity(name="Смирнов Алексей", phones=("+79161234567",))
    other = decision(RawIdentity(name="Ольга Кузнецова", phones=("+79161234587",)), holder, None)
    assert other.verdict is Verdict.NEW
    assert not any("отличается" in n for n in notes(other))


def _contact(cid: int, name: str, company_id: int | None, company: str | None) -> IndexedContact:
    raw = RawIdentity(name=name, phones=(OFFICE,), company=company)
    return IndexedContact(cid, build_profile(raw), company_id)


def test_a_number_on_a_company_record_is_an_office_line() -> None:
    lead = build_profile(RawIdentity(phones=(OFFICE,)))
    rows = [(f"p:{OFFICE}", Entity.CONTACT, 1), (f"p:{OFFICE}", Entity.COMPANY, 7)]
    firm = build_profile(RawIdentity(company="ООО «Вектор»", phones=(OFFICE,)), stored=True)
    found = shared_numbers(lead, rows, {1: _contact(1, "Петров Иван", 7, None)}, {7: firm})
    assert found[OFFICE].use is NumberUse.OFFICE
    assert found[OFFICE].company_id == 7
    assert found[OFFICE].label == "номер общий для офиса ООО «Вектор»"


def test_a_sole_traders_number_is_the_owners_own() -> None:
    lead = build_profile(RawIdentity(phones=(OFFICE,)))
    rows = [(f"p:{OFFICE}", Entity.CONTACT, 1), (f"p:{OFFICE}", Entity.COMPANY, 7)]
    firm = build_profile(RawIdentity(company="ИП Петров Иван Сергеевич", phones=(OFFICE,)))
    found = shared_numbers(lead, rows, {1: _contact(1, "Петров Иван", 7, None)}, {7: firm})
    assert found == {}


def test_several_contacts_of_one_company_or_one_surname_share_a_number() -> None:
    lead = build_profile(RawIdentity(phones=(OFFICE,)))
    rows = [(f"p:{OFFICE}", Entity.CONTACT, 1), (f"p:{OFFICE}", Entity.CONTACT, 2)]
    colleagues = {
        1: _contact(1, "Петров Иван", 7, "ООО «Вектор»"),
        2: _contact(2, "Сидорова Анна", 7, "ООО «Вектор»"),
    }
    office = shared_numbers(lead, rows, colleagues, {})[OFFICE]
    assert (office.use, office.company_id, office.holders) == (NumberUse.OFFICE, 7, (1, 2))
    family = {
        1: _contact(1, "Петров Иван", None, None),
        2: _contact(2, "Петрова Анна", None, None),
    }
    assert shared_numbers(lead, rows, family, {})[OFFICE].use is NumberUse.FAMILY
    strangers = {
        1: _contact(1, "Петров Иван", None, None),
        2: _contact(2, "Сидорова Анна", 3, None),
    }
    assert shared_numbers(lead, rows, strangers, {}) == {}


def test_another_surname_is_a_veto_on_an_office_line() -> None:
    colleague = RawIdentity(name="Иван Сидоров", phones=(OFFICE,), company="Вектор")
    result = decision(colleague)
    assert result.verdict is not Verdict.AUTO
    assert "номер общий для офиса ООО «Вектор»: у владельца другая фамилия" in notes(result)


def test_the_rule_looks_only_at_the_number_the_candidate_holds() -> None:
    holder = RawIdentity(name="Петров Иван", phones=(OFFICE, "+79031112233"))
    other = RawIdentity(name="Петров Иван", phones=("+79031112233",))
    lead = RawIdentity(phones=(OFFICE, "+79031112233"))
    assert decision(lead, holder).verdict is Verdict.REVIEW
    result = decision(lead, other)
    assert result.verdict is Verdict.AUTO
    assert not any("номер общий" in n for n in notes(result))
