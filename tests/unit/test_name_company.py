"""Name + company as evidence, job changes and company matching (issue 16), pure.

The detector runs against a small in-memory index (a fake of the `IdentityIndex` port), so
candidate retrieval, company matching and the decision are exercised together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pytest

from dedupe.companies import parse_company, text_inn
from dedupe.decision import Decision, Verdict
from dedupe.detector import Detector, is_landline
from dedupe.extract import extract_contacts
from dedupe.keys import TOTAL_KEY, Entity, company_keys, person_keys
from dedupe.ports import Candidates, IndexedContact, candidates_by_steps
from dedupe.profile import Profile, RawIdentity, build_profile
from dedupe.scoring import KeyStats, compare

VEKTOR_INN = "7707083893"
ROMASHKA_INN = "7736207543"


class FakeIndex:
    """Contacts and companies held in dicts, keyed as the real index keys them."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, Entity], set[int]] = {}
        self.people: dict[int, IndexedContact] = {}
        self.firms: dict[int, Profile] = {}
        self.filler = 0

    def company(self, company_id: int, raw: RawIdentity) -> None:
        profile = build_profile(raw)
        self.firms[company_id] = profile
        self._index(Entity.COMPANY, company_id, company_keys(profile))

    def contact(self, contact_id: int, raw: RawIdentity, company_id: int | None) -> None:
        profile = build_profile(raw)
        self.people[contact_id] = IndexedContact(contact_id, profile, company_id)
        self._index(Entity.CONTACT, contact_id, person_keys(profile))

    def _index(self, entity: Entity, record: int, keys: Collection[str]) -> None:
        for k in (*keys, TOTAL_KEY):
            self.keys.setdefault((k, entity), set()).add(record)

    async def key_counts(self, keys: Collection[str]) -> dict[tuple[str, Entity], int]:
        counts = {(k, e): len(ids) for (k, e), ids in self.keys.items() if k in keys}
        total = (TOTAL_KEY, Entity.CONTACT)
        counts[total] = counts.get(total, 0) + self.filler
        return counts

    async def lookup(
        self, caps: Mapping[str, int]
    ) -> tuple[dict[tuple[str, Entity], int], list[tuple[str, Entity, int]]]:
        counts = await self.key_counts(caps)
        rows = [
            (k, e, i)
            for (k, e), ids in sorted(self.keys.items())
            if k in caps and 0 < len(ids) <= caps[k]
            for i in sorted(ids)
        ]
        return counts, rows

    async def candidates(
        self, caps: Mapping[str, int], rejection_keys: Collection[str]
    ) -> Candidates:
        return await candidates_by_steps(self, caps, rejection_keys)

    async def find(self, keys: Collection[str]) -> list[tuple[str, Entity, int]]:
        return [(k, e, i) for (k, e), ids in self.keys.items() if k in keys for i in ids]

    async def contacts(self, ids: Collection[int]) -> dict[int, IndexedContact]:
        return {i: self.people[i] for i in ids if i in self.people}

    async def open_leads(self, ids: Collection[int]) -> dict[int, Profile]:
        return {}

    async def companies(self, ids: Collection[int]) -> dict[int, Profile]:
        return {i: self.firms[i] for i in ids if i in self.firms}

    async def contacts_total(self) -> int:
        return len(self.people) + self.filler

    async def rejected(self, contact_ids: Collection[int], keys: Collection[str]) -> set[int]:
        return set()


def base() -> FakeIndex:
    index = FakeIndex()
    index.filler = 20_000  # a base big enough to judge how rare a name is
    index.company(10, RawIdentity(company="ООО «Вектор»", inn=VEKTOR_INN))
    index.company(20, RawIdentity(company="АО «Ромашка»", inn=ROMASHKA_INN))
    index.company(30, RawIdentity(company="ООО «Северсталь-Инвест»"))
    index.contact(
        1,
        RawIdentity(
            name="Зябликов Игорь Петрович",
            phones=("+79161234567",),
            emails=("i.zyablikov@vektor-group.ru",),
            company="ООО «Вектор»",
        ),
        10,
    )
    index.contact(
        2, RawIdentity(name="Смирнова Анна", phones=("+79031112233",), company="Ромашка"), 20
    )
    index.contact(
        3,
        RawIdentity(name="Зябликов Игорь", phones=("+79260000001",), company="Северсталь-Инвест"),
        30,
    )
    return index


async def detect(raw: RawIdentity, index: FakeIndex | None = None) -> Decision:
    return await Detector().detect(build_profile(raw), index or base())


def notes(decision: Decision) -> list[str]:
    return [e["note"] for c in decision.explanation()["candidates"] for e in c["evidence"]]


async def test_full_name_with_patronymic_and_the_company_inn_links_automatically() -> None:
    lead = RawIdentity(name="Игорь Петрович Зябликов", inn=VEKTOR_INN, phones=("+79990001122",))

    decision = await detect(lead)

    assert (decision.verdict, decision.contact_id, decision.company_id) == (Verdict.AUTO, 1, 10)
    assert "совпали фамилия, имя и отчество у сотрудника той же компании (по ИНН)" in (
        decision.reason
    )


async def test_the_company_inn_written_in_the_message_counts() -> None:
    lead = RawIdentity(
        name="Зябликов Игорь Петрович", text=f"Наш ИНН {VEKTOR_INN}, выставьте счёт."
    )

    decision = await detect(lead)

    assert (decision.verdict, decision.contact_id, decision.company_id) == (Verdict.AUTO, 1, 10)


async def test_a_corporate_domain_known_from_a_colleagues_address_names_the_company() -> None:
    lead = RawIdentity(name="Зябликов Игорь Петрович", emails=("igor.z@vektor-group.ru",))

    decision = await detect(lead)

    assert (decision.verdict, decision.contact_id, decision.company_id) == (Verdict.AUTO, 1, 10)
    assert any("по домену почты" in n for n in notes(decision))


async def test_a_name_alone_never_links_automatically() -> None:
    decision = await detect(RawIdentity(name="Зябликов Игорь Петрович"))

    assert decision.verdict is Verdict.REVIEW
    assert decision.contact_id == 1


async def test_surname_and_first_name_of_a_common_pair_at_the_company_go_to_review() -> None:
    index = base()
    for i in range(40, 60):  # "Анна Смирнова" is everywhere
        index.contact(i, RawIdentity(name="Смирнова Анна", phones=(f"+7903555{i:04d}",)), None)

    decision = await detect(RawIdentity(name="Анна Смирнова", inn=ROMASHKA_INN), index)

    assert decision.verdict is Verdict.REVIEW
    assert decision.contact_id == 2


async def test_a_namesake_at_another_known_company_is_kept_apart() -> None:
    index = base()
    lead = RawIdentity(name="Смирнова Анна Олеговна", company="ООО «Вектор»", inn=VEKTOR_INN)

    decision = await detect(lead, index)

    assert decision.verdict is Verdict.NEW
    assert decision.company_id == 10
    assert decision.reason == "совпадает только имя, а компания другая: вероятно, однофамилец"


async def test_a_phone_of_someone_else_blocks_a_link_on_name_and_company() -> None:
    lead = RawIdentity(name="Зябликов Игорь Петрович", inn=VEKTOR_INN, phones=("+79031112233",))

    decision = await detect(lead)

    assert decision.verdict is Verdict.REVIEW
    assert "телефон, e-mail или мессенджер — на другого" in decision.reason


async def test_an_email_one_slip_off_goes_to_review_even_with_name_and_company() -> None:
    lead = RawIdentity(
        name="Зябликов Игорь Петрович", inn=VEKTOR_INN, emails=("i.zyabilkov@vektor-group.ru",)
    )

    decision = await detect(lead)

    assert decision.verdict is Verdict.REVIEW
    assert decision.reason == (
        "e-mail отличается одним символом (переставлены «li»): нужна проверка менеджером"
    )


async def test_a_sole_traders_name_is_not_evidence_beside_itself() -> None:
    index = base()
    index.company(40, RawIdentity(company="ИП Зябликов Игорь Петрович", inn="500100732259"))
    index.contact(5, RawIdentity(name="Зябликов Игорь Петрович"), 40)

    decision = await detect(RawIdentity(company="ИП Зябликов Игорь Петрович"), index)

    assert decision.verdict is not Verdict.AUTO


async def test_a_job_change_links_the_contact_and_the_new_company() -> None:
    lead = RawIdentity(
        name="Зябликов Игорь Петрович",
        phones=("8 916 123-45-67",),
        emails=("zyablikov@romashka.ru",),
        company="Romashka JSC",
        inn=ROMASHKA_INN,
    )

    decision = await detect(lead)

    assert (decision.verdict, decision.contact_id) == (Verdict.AUTO, 1)
    assert (decision.company_id, decision.previous_company_id) == (20, 10)
    assert decision.explanation()["previous_company_id"] == 10
    assert "прежняя остаётся в истории контакта" in decision.reason


async def test_a_job_change_to_a_company_we_do_not_know_leaves_the_company_open() -> None:
    lead = RawIdentity(
        name="Зябликов Игорь Петрович", phones=("+79161234567",), company="ООО «Неизвестная»"
    )

    decision = await detect(lead)

    assert (decision.verdict, decision.contact_id) == (Verdict.AUTO, 1)
    assert (decision.company_id, decision.previous_company_id) == (None, 10)
    assert "(её нет в базе)" in decision.reason


async def test_the_same_company_keeps_the_contacts_company_and_no_history() -> None:
    lead = RawIdentity(name="Игорь", phones=("+79161234567",), company="Vektor LLC")

    decision = await detect(lead)

    assert (decision.company_id, decision.previous_company_id) == (10, None)


async def test_a_city_number_on_an_employees_card_is_the_offices() -> None:
    index = base()
    index.contact(6, RawIdentity(name="Кузьмина Ольга", phones=("+74951234567",)), 30)

    nameless = await detect(RawIdentity(phones=("8 (495) 123-45-67",)), index)
    colleague = await detect(RawIdentity(name="Пётр", phones=("+74951234567",)), index)

    assert (nameless.verdict, nameless.company_id) == (Verdict.REVIEW, 30)
    assert colleague.verdict is not Verdict.AUTO
    assert any("номер общий для офиса" in n for n in notes(colleague))


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("Перезвоните мне, пожалуйста: +7 916 765-43-21", True),
        ("Мой номер 89167654321. Нужен расчёт", True),
        ("Позвоните нашему бухгалтеру: +7 916 765-43-21", False),
    ],
)
def test_a_number_the_writer_calls_their_own_is_marked(text: str, own: bool) -> None:
    assert ("+79167654321" in extract_contacts(text).own) is own


def test_an_own_number_in_the_text_weighs_as_much_as_the_phone_field() -> None:
    known = build_profile(RawIdentity(name="Иван Петров", phones=("+79167654321",)))
    stats = KeyStats({}, 20_000)
    own = compare(build_profile(RawIdentity(text="Мой номер 89167654321")), known, stats)
    quoted = compare(build_profile(RawIdentity(text="Номер: 89167654321")), known, stats)

    assert own.total == 6.5 and own.has_identifier_proof
    assert quoted.total < own.total


@pytest.mark.parametrize(
    ("raw", "key", "family"),
    [
        ("Алтай-Центр, ООО, г. Москва", "алтай центр", "ООО"),
        ('ООО "Лессервис Про" (г. Самара)', "лессервис про", "ООО"),
        ("ООО Торговый дом «Пульсар»", "пульсар", "ООО"),
        ("ТД «Пульсар»", "пульсар", None),
        ("Region Pro CJSC", "region pro", "АО"),
        ("Закрытое акционерное общество «Регион Про»", "регион про", "АО"),
        ("Город Мастеров", "город мастеров", None),
    ],
)
def test_company_names_fold_city_firm_kind_and_legal_form(
    raw: str, key: str, family: str | None
) -> None:
    company = parse_company(raw)
    assert (company.key, company.form_family) == (key, family)


async def test_legal_forms_in_latin_pick_the_same_kind_of_firm() -> None:
    index = FakeIndex()
    index.company(1, RawIdentity(company="ООО «Гранит»"))
    index.company(2, RawIdentity(company="АО «Гранит»"))

    llc = await detect(RawIdentity(company="Granit LLC"), index)
    jsc = await detect(RawIdentity(company="«Гранит», ЗАО"), index)
    bare = await detect(RawIdentity(company="Гранит"), index)

    assert (llc.company_id, jsc.company_id, bare.company_id) == (1, 2, None)


def test_an_inn_is_read_from_text_only_when_labelled_and_valid() -> None:
    assert text_inn(f"Реквизиты: ИНН/КПП {VEKTOR_INN}/773601001") == VEKTOR_INN
    assert text_inn(f"Заказ {VEKTOR_INN}") is None
    assert text_inn("ИНН 7707083890") is None  # checksum fails


def test_russian_mobiles_are_not_landlines() -> None:
    assert is_landline("+74951234567") and is_landline("+78001234567")
    assert not is_landline("+79161234567") and not is_landline("+77011234567")
