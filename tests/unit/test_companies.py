"""Company names and INNs folded into comparison keys."""

from __future__ import annotations

import pytest

from dedupe.companies import parse_company
from dedupe.inn import inn_kind, validate_inn


@pytest.mark.parametrize(
    ("raw", "inn"),
    [
        ("7707083893", "7707083893"),  # ПАО Сбербанк
        ("7736207543", "7736207543"),  # ООО «Яндекс»
        ("500100732259", "500100732259"),
        ("ИНН 7707083893", "7707083893"),
        ("инн: 7736207543", "7736207543"),
        ("ИНН/КПП 7707083893/773601001", "7707083893"),
        (" 77 07 08 38 93 ", "7707083893"),
        ("INN 500100732259", "500100732259"),
    ],
)
def test_valid_inn_returns_digits(raw: str, inn: str) -> None:
    assert validate_inn(raw) == inn


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "7707083894",  # last digit off by one
        "7707083839",  # two digits swapped
        "500100732258",  # second check digit wrong
        "500100732269",  # first check digit wrong
        "770708389",  # 9 digits
        "77070838931",  # 11 digits
        "0000000000",  # checksum holds, but no region 00
        "77O7083893",  # Latin O instead of zero
        "７７０７０８３８９３",  # fullwidth digits are not what an INN field holds
    ],
)
def test_invalid_inn_is_none(raw: str | None) -> None:
    assert validate_inn(raw) is None


@pytest.mark.parametrize(
    ("inn", "kind"), [("7707083893", "legal"), ("500100732259", "individual")]
)
def test_inn_kind(inn: str, kind: str) -> None:
    assert inn_kind(inn) == kind


def test_inn_kind_rejects_other_lengths() -> None:
    with pytest.raises(ValueError, match="10 or 12"):
        inn_kind("123")


@pytest.mark.parametrize(
    ("raw", "key", "legal_form"),
    [
        ("ООО «Ромашка»", "ромашка", "ООО"),
        ('ООО "Ромашка"', "ромашка", "ООО"),
        ("Ромашка, ООО", "ромашка", "ООО"),
        ("Общество с ограниченной ответственностью „Ромашка“", "ромашка", "ООО"),
        ("Romashka LLC", "romashka", "LLC"),
        ("OOO Romashka", "romashka", "ООО"),
        ("OОО Ромашка", "ромашка", "ООО"),  # first O typed in Latin
        ("ПАО Сбербанк", "сбербанк", "ПАО"),
        ("Публичное акционерное общество «Сбербанк России»", "сбербанк россии", "ПАО"),
        ("АО «Альфа-Банк»", "альфа банк", "АО"),
        ("Акционерное общество 'Альфа-Банк'", "альфа банк", "АО"),
        ("Закрытое акционерное общество «Вектор»", "вектор", "ЗАО"),
        ("ОАО РЖД", "ржд", "ОАО"),
        ('ТОО "Kaspi"', "kaspi", "ТОО"),
        ("ФГУП «Почта России»", "почта россии", "ФГУП"),
        ("МУП Водоканал", "водоканал", "МУП"),
        ("АНО «Школа»", "школа", "АНО"),
        ("Alfa-Bank JSC", "alfa bank", "JSC"),
        ("Procter & Gamble Co.", "procter gamble", "Co"),
        ("Siemens AG", "siemens", "AG"),
        ("Acme, Inc.", "acme", "Inc"),
        ("Kaspersky Lab Limited", "kaspersky lab", "Ltd"),
        ("Bosch GmbH", "bosch", "GmbH"),
        ("ООО «Ёлка»", "елка", "ООО"),
        ("  Ромашка   Плюс ", "ромашка плюс", None),
        ("Компания «Ромашка»", "ромашка", None),
    ],
)
def test_key_strips_legal_form_quotes_and_punctuation(
    raw: str, key: str, legal_form: str | None
) -> None:
    company = parse_company(raw)
    assert (company.key, company.legal_form) == (key, legal_form)
    assert company.raw == raw


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Яндекс", "Yandex LLC"),
        ("ООО «Ромашка»", "Romashka Ltd."),
        ("Альфа-Банк", "Alfa Bank"),
        ("Щука", "Shchuka"),
    ],
)
def test_skeleton_meets_across_scripts(first: str, second: str) -> None:
    a, b = parse_company(first), parse_company(second)
    assert a.skeleton is not None
    assert a.skeleton == b.skeleton


def test_skeleton_keeps_different_names_apart() -> None:
    assert parse_company("Ромашка").skeleton != parse_company("Василёк").skeleton


@pytest.mark.parametrize(
    ("raw", "person_name", "key"),
    [
        ("ИП Иванов Иван Иванович", "Иванов Иван Иванович", "иванов иван иванович"),
        ("ИП Иванов И.И.", "Иванов И.И.", "иванов и и"),
        ("Иванов Иван Иванович, ИП", "Иванов Иван Иванович", "иванов иван иванович"),
        ("Индивидуальный предприниматель Петрова А. С.", "Петрова А. С.", "петрова а с"),
        ("ИП Сидоров С.С. ИНН 500100732259", "Сидоров С.С.", "сидоров с с"),
    ],
)
def test_individual_entrepreneur_gives_person_name(raw: str, person_name: str, key: str) -> None:
    company = parse_company(raw)
    assert company.is_individual
    assert company.legal_form == "ИП"
    assert (company.person_name, company.key) == (person_name, key)


def test_ordinary_company_has_no_person_name() -> None:
    company = parse_company("ООО Иванов и партнёры")
    assert not company.is_individual
    assert company.person_name is None
    assert company.key == "иванов и партнеры"


@pytest.mark.parametrize(
    ("raw", "inn", "key"),
    [
        ("ПАО Сбербанк ИНН 7707083893", "7707083893", "сбербанк"),
        ("ООО «Яндекс», ИНН/КПП 7736207543/770401001", "7736207543", "яндекс"),
        ("Яндекс 7736207543", "7736207543", "яндекс"),
        ("ООО Ромашка ИНН 7707083894", None, "ромашка"),  # broken checksum: not kept
        ("ИНН 7707083893", "7707083893", None),
    ],
)
def test_inn_inside_name_is_taken_out(raw: str, inn: str | None, key: str | None) -> None:
    company = parse_company(raw)
    assert (company.inn, company.key) == (inn, key)


@pytest.mark.parametrize(
    ("raw", "key", "is_group"),
    [
        ("ГК «ПИК»", "пик", True),
        ("Группа компаний Самолёт", "самолет", True),
        ("ООО ГК Ромашка", "ромашка", True),
        ("Пикник", "пикник", False),
    ],
)
def test_group_prefix_becomes_a_flag(raw: str, key: str, is_group: bool) -> None:
    company = parse_company(raw)
    assert (company.key, company.is_group) == (key, is_group)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "нет",
        "Нет",
        "-",
        "—",
        "частное лицо",
        "Физ. лицо",
        "физлицо",
        "не указано",
        "n/a",
        "N/A",
        "самозанятый",
        "ООО",
        "ИП",
        "12345",
        "«»",
    ],
)
def test_garbage_has_no_key(raw: str | None) -> None:
    company = parse_company(raw)
    assert company.key is None
    assert company.skeleton is None
    assert not company.valid


def test_co_alone_is_kept_as_a_name() -> None:
    # A trailing-only form is never the whole name.
    assert parse_company("Limited").key == "limited"
