"""Person-name normalization for duplicate detection (dedupe.names)."""

from __future__ import annotations

import pytest

from dedupe.diminutives import CANONICAL_NAMES, DIMINUTIVES, LATIN_ALIASES, SPELLING_VARIANTS
from dedupe.names import (
    PersonName,
    canonical_first_names,
    first_names_compatible,
    parse_person_name,
    surname_key,
)
from dedupe.translit import fold_case


def _key(name: PersonName) -> tuple[str | None, frozenset[str], str | None]:
    return name.surname, name.first_names, name.patronymic


@pytest.mark.parametrize(
    "variants",
    [
        ["Петров Иван", "Иван Петров", "Иван Сергеевич Петров", "Петров Иван Сергеевич"],
        ["ИВАНОВА МАРИЯ", "мария иванова", "Иванова, Мария"],
        ["Фёдоров Пётр", "Федоров Петр", "ФЁДОРОВ ПЁТР"],
        ["Ivanov Ivan", "Ivan Ivanov", "IVANOV IVAN"],
    ],
)
def test_word_order_case_and_yo_do_not_change_the_keys(variants: list[str]) -> None:
    parsed = [parse_person_name(raw) for raw in variants]
    assert {(p.surname, p.first_names) for p in parsed} == {
        (parsed[0].surname, parsed[0].first_names)
    }


@pytest.mark.parametrize(
    ("raw", "surname", "first_names", "patronymic"),
    [
        ("Петров Иван Сергеевич", "петров", {"иван"}, "сергеевич"),
        ("Иван Сергеевич Петров", "петров", {"иван"}, "сергеевич"),
        ("Петров Иван", "петров", {"иван"}, None),
        ("Иванова Анна Петровна", "иванов", {"анна"}, "петровна"),
        ("Шостакович Дмитрий Дмитриевич", "шостакович", {"дмитрий"}, "дмитриевич"),
        ("Мицкевич Адам", "мицкевич", {"адам"}, None),
        ("Roman Abramovich", "abramovich", {"роман"}, None),
        ("Иван Петрович", None, {"иван"}, "петрович"),
        ("Владимир Ильич Ленин", "ленин", {"владимир"}, "ильич"),
        ("Нина Ильинична Петрова", "петров", {"нина"}, "ильинична"),
        ("Анна Львовна Кузнецова", "кузнецов", {"анна"}, "львовна"),
        ("Sidorov Ivan Petrovich", "sidorov", {"иван"}, "petrovich"),
        ("Ivan Petrovich Sidorov", "sidorov", {"иван"}, "petrovich"),
        ("Smirnova Olga Sergeevna", "smirnov", {"ольга"}, "sergeevna"),
        ("Иванова Саша", "иванов", {"александра"}, None),
        ("Хасанов Ильдар", "хасанов", {"ильдар"}, None),
        ("Айгуль Хасанова", "хасанов", {"айгуль"}, None),
        ("Кузнецов Акакий", "кузнецов", {"акакий"}, None),
        ("Анна Мария", "мария", {"анна"}, None),
        ("Достоевский Фёдор Михайлович", "достоевский", {"федор"}, "михайлович"),
    ],
)
def test_roles_are_assigned_whatever_the_order(
    raw: str, surname: str | None, first_names: set[str], patronymic: str | None
) -> None:
    assert _key(parse_person_name(raw)) == (surname, frozenset(first_names), patronymic)


@pytest.mark.parametrize(
    ("raw", "gender"),
    [
        ("Петров Иван Сергеевич", "m"),
        ("Петрова Анна Сергеевна", "f"),
        ("Кузьмич Иван Кузьмич", "m"),
        ("Смирнова Ольга Никитична", "f"),
        ("Smirnova Olga Sergeevna", "f"),
        ("Petrov Ivan Sergeevich", "m"),
    ],
)
def test_patronymic_is_recognised_and_gives_gender(raw: str, gender: str) -> None:
    name = parse_person_name(raw)
    assert name.patronymic is not None
    assert name.gender == gender


@pytest.mark.parametrize("raw", ["Петров Иван", "Ivan Petrov", "Иванов А.", "Ваня"])
def test_missing_patronymic_is_unknown(raw: str) -> None:
    name = parse_person_name(raw)
    assert name.patronymic is None
    assert name.patronymic_initial is None


@pytest.mark.parametrize(
    ("token", "key", "gender"),
    [
        ("Иванов", "иванов", "m"),
        ("Иванова", "иванов", "f"),
        ("Петрова", "петров", "f"),
        ("Соловьёва", "соловьев", "f"),
        ("Пушкина", "пушкин", "f"),
        ("Сёмина", "семин", "f"),
        ("Птицына", "птицын", "f"),
        ("Маяковская", "маяковский", "f"),
        ("Маяковский", "маяковский", "m"),
        ("Высоцкая", "высоцкий", "f"),
        ("Трубецкой", "трубецкий", "m"),
        ("Толстой", "толстой", "m"),
        ("Толстая", "толстой", "f"),
        ("Шевченко", "шевченко", None),
        ("Черных", "черных", None),
        ("Цой", "цой", None),
        ("Гусак", "гусак", None),
        ("Ivanova", "ivanov", "f"),
        ("Ivanov", "ivanov", "m"),
        ("Smirnoff", "smirnov", "m"),
        ("Dostoevskaya", "dostoevskii", "f"),
        ("Dostoevsky", "dostoevskii", "m"),
        ("Dostoevskiy", "dostoevskii", "m"),
        ("Dostoevskii", "dostoevskii", "m"),
        ("Tolstaya", "tolstoi", "f"),
        ("Tolstoy", "tolstoi", "m"),
        ("Римская-Корсакова", "римский-корсаков", "f"),
    ],
)
def test_surname_key_is_gender_neutral(token: str, key: str, gender: str | None) -> None:
    assert surname_key(token) == (key, gender)


def test_ivanov_and_ivanova_share_the_key_but_not_the_gender() -> None:
    he, she = parse_person_name("Иванов Саша"), parse_person_name("Иванова Саша")
    assert he.surname == she.surname == "иванов"
    assert (he.gender, she.gender) == ("m", "f")
    assert he.first_names == {"александр"}
    assert she.first_names == {"александра"}


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Щукин", "Shchukin"),
        ("Щукин", "Schukin"),
        ("Иванова", "Ivanova"),
        ("Иванов", "Ivanova"),
        ("Достоевский", "Dostoevsky"),
        ("Маяковская", "Mayakovskaya"),
        ("Толстая", "Tolstoy"),
        ("Цой", "Tsoi"),
        ("Хабибуллин", "Khabibullin"),
        ("Юсупова", "Iusupova"),
    ],
)
def test_surname_skeleton_meets_across_scripts(cyrillic: str, latin: str) -> None:
    a, b = parse_person_name(f"{cyrillic} И.И."), parse_person_name(f"{latin} I.I.")
    assert a.surname_skeleton is not None
    assert a.surname_skeleton == b.surname_skeleton


@pytest.mark.parametrize(
    ("token", "canonical"),
    [
        ("Саша", {"александр", "александра"}),
        ("Шура", {"александр", "александра"}),
        ("Женя", {"евгений", "евгения"}),
        ("Катя", {"екатерина"}),
        ("Ваня", {"иван"}),
        ("Ванька", {"иван"}),
        ("Дима", {"дмитрий"}),
        ("Лёша", {"алексей"}),
        ("Алёша", {"алексей"}),
        ("Таня", {"татьяна"}),
        ("Танечка", {"татьяна"}),
        ("Наташа", {"наталья"}),
        ("Юля", {"юлия"}),
        ("Оля", {"ольга"}),
        ("Серёжа", {"сергей"}),
        ("Коля", {"николай"}),
        ("Миша", {"михаил"}),
        ("Паша", {"павел"}),
        ("Вова", {"владимир"}),
        ("Володя", {"владимир"}),
        ("Слава", {"вячеслав", "владислав", "ярослав", "святослав"}),
        ("Валя", {"валентин", "валентина"}),
        ("Лена", {"елена"}),
        ("Настя", {"анастасия"}),
        ("Света", {"светлана"}),
        ("Маша", {"мария"}),
        ("Машенька", {"мария"}),
        ("Даша", {"дарья"}),
        ("Ксюша", {"ксения"}),
        ("Гоша", {"георгий"}),
        ("Костя", {"константин"}),
        ("Витя", {"виктор"}),
        ("Стас", {"станислав"}),
        ("Лёня", {"леонид"}),
        ("Тёма", {"артем"}),
        ("Петя", {"петр"}),
        ("Федя", {"федор"}),
        ("Гриша", {"григорий"}),
        ("Эдик", {"эдуард"}),
    ],
)
def test_diminutives_resolve_to_canonical_names(token: str, canonical: set[str]) -> None:
    assert canonical_first_names(token) == canonical
    assert parse_person_name(token).is_diminutive


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("Наталия", "наталья"),
        ("Наталья", "наталья"),
        ("Дария", "дарья"),
        ("София", "софья"),
        ("Софья", "софья"),
        ("Артём", "артем"),
        ("Артем", "артем"),
        ("Юрий", "юрий"),
        ("Илья", "илья"),
    ],
)
def test_spelling_variants_of_full_names_meet(variant: str, canonical: str) -> None:
    assert canonical_first_names(variant) == {canonical}
    assert not parse_person_name(variant).is_diminutive


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Алёна", "Елена"),
        ("Алёнка", "Лена"),
        ("Alyona", "Yelena"),
        ("Юлия", "Ульяна"),
        ("Иван", "Иванна"),
    ],
)
def test_different_names_stay_different(a: str, b: str) -> None:
    assert not canonical_first_names(a) & canonical_first_names(b)
    assert not first_names_compatible(parse_person_name(a), parse_person_name(b))


@pytest.mark.parametrize(
    ("latin", "canonical"),
    [
        ("Sasha", {"александр", "александра"}),
        ("Aleksandr", {"александр"}),
        ("Alexander", {"александр"}),
        ("Alexandr", {"александр"}),
        ("Alexandra", {"александра"}),
        ("Yuriy", {"юрий"}),
        ("Yuri", {"юрий"}),
        ("Iurii", {"юрий"}),
        ("Evgeny", {"евгений"}),
        ("Yevgeniy", {"евгений"}),
        ("Zhenya", {"евгений", "евгения"}),
        ("Evgenia", {"евгения"}),
        ("Natalia", {"наталья"}),
        ("Natalya", {"наталья"}),
        ("Kseniya", {"ксения"}),
        ("Xenia", {"ксения"}),
        ("Ksusha", {"ксения"}),
        ("Fyodor", {"федор"}),
        ("Pyotr", {"петр"}),
        ("Alyona", {"алена"}),
        ("Aliona", {"алена"}),
        ("Yelena", {"елена"}),
        ("Julia", {"юлия"}),
        ("Sophia", {"софья"}),
        ("Michael", {"михаил"}),
        ("Christina", {"кристина"}),
    ],
)
def test_latin_spellings_resolve_to_cyrillic_keys(latin: str, canonical: set[str]) -> None:
    assert canonical_first_names(latin) == canonical


@pytest.mark.parametrize(
    ("token", "own"),
    [("Акакий", "акакий"), ("Aigul", "aigul"), ("José", "jose"), ("Kostin", "kostin")],
)
def test_unknown_first_names_keep_their_own_form(token: str, own: str) -> None:
    assert canonical_first_names(token) == {own}


@pytest.mark.parametrize(
    ("raw", "skeleton", "first_initial", "patronymic_initial"),
    [
        ("Иванов А.С.", "ivnv", "a", "s"),
        ("Иванов А. С.", "ivnv", "a", "s"),
        ("А.С. Иванов", "ivnv", "a", "s"),
        ("А.С.Иванов", "ivnv", "a", "s"),
        ("Ivanov A.S.", "ivnv", "a", "s"),
        ("Иванов А С", "ivnv", "a", "s"),
        ("Иванов Ю.", "ivnv", "u", None),
        ("Ivanov Yu.", "ivnv", "u", None),
        ("Щукин Е.Ж.", "skn", "e", "z"),
        ("Shchukin Ye. Zh.", "skn", "e", "z"),
        ("Иванова Я.", "ivnv", "a", None),
        ("Ivanova Ya.", "ivnv", "a", None),
    ],
)
def test_initials(
    raw: str, skeleton: str, first_initial: str, patronymic_initial: str | None
) -> None:
    name = parse_person_name(raw)
    assert not name.first_names
    assert (name.surname_skeleton, name.first_initial, name.patronymic_initial) == (
        skeleton,
        first_initial,
        patronymic_initial,
    )


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Иванов Александр Сергеевич", "Ivanov Alexander Sergeevich"),
        ("Юрий Петров", "Yuriy Petrov"),
        ("Евгений Щукин", "Yevgeniy Shchukin"),
        ("Яна Котова", "Yana Kotova"),
        ("Жанна Белова", "Zhanna Belova"),
        ("Эдуард Ким", "Eduard Kim"),
    ],
)
def test_both_scripts_give_the_same_initials(cyrillic: str, latin: str) -> None:
    a, b = parse_person_name(cyrillic), parse_person_name(latin)
    assert a.first_initial == b.first_initial
    assert a.patronymic_initial == b.patronymic_initial
    assert a.first_names == b.first_names
    assert a.surname_skeleton == b.surname_skeleton


def test_full_name_and_initials_of_the_same_person_agree() -> None:
    full = parse_person_name("Иванов Александр Сергеевич")
    short = parse_person_name("Ivanov A.S.")
    assert full.first_initial == short.first_initial
    assert full.patronymic_initial == short.patronymic_initial
    assert first_names_compatible(full, short)


def test_initial_and_name_after_it_is_a_patronymic_initial() -> None:
    name = parse_person_name("Иван С. Петров")
    assert (name.surname, name.first_names, name.patronymic_initial) == (
        "петров",
        {"иван"},
        "s",
    )


@pytest.mark.parametrize(
    ("raw", "surname", "first_names"),
    [
        ("Ваня", None, {"иван"}),
        ("Иванова", "иванов", set()),
        ("Шевченко", "шевченко", set()),
        ("Shchukin", "shchukin", set()),
        ("Ильдар", None, {"ильдар"}),
        ("Марина И.", None, {"марина"}),
    ],
)
def test_single_word(raw: str, surname: str | None, first_names: set[str]) -> None:
    name = parse_person_name(raw)
    assert (name.surname, name.first_names) == (surname, first_names)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "12345",
        "+7 916 123-45-67",
        "😀🔥",
        "Клиент",
        "Заявка с сайта",
        "Гость",
        "Гость 42",
        "Unknown",
        "test",
        "Без имени",
        "ООО Ромашка",
        "...",
        "Здравствуйте хочу узнать цену на окна",
    ],
)
def test_garbage_gives_an_empty_name(raw: str | None) -> None:
    name = parse_person_name(raw)
    assert name.empty
    assert name == PersonName(
        raw or "", None, None, frozenset(), None, None, None, None, None, False
    )


def test_placeholder_words_around_a_real_name_are_dropped() -> None:
    assert _key(parse_person_name("Клиент Иван Петров")) == ("петров", {"иван"}, None)


def test_hyphenated_names_are_one_word() -> None:
    name = parse_person_name("Анна-Мария Римская-Корсакова")
    assert name.surname == "римский-корсаков"
    assert name.first_names == {"анна-мария"}
    assert name.gender == "f"
    he = parse_person_name("Римский-Корсаков Николай Андреевич")
    assert (he.surname, he.gender) == ("римский-корсаков", "m")


@pytest.mark.parametrize(
    ("raw", "first_names", "gender"),
    [
        ("Саша", {"александр", "александра"}, None),
        ("Женя", {"евгений", "евгения"}, None),
        ("Саша Иванова", {"александра"}, "f"),
        ("Sasha Ivanova", {"александра"}, "f"),
        ("Женя Петров", {"евгений"}, "m"),
        ("Женя Шевченко", {"евгений", "евгения"}, None),
        ("Валя Сергеевна", {"валентина"}, "f"),
        ("Никита Шевченко", {"никита"}, "m"),
    ],
)
def test_gender_is_a_separate_signal(raw: str, first_names: set[str], gender: str | None) -> None:
    name = parse_person_name(raw)
    assert (name.first_names, name.gender) == (first_names, gender)


def test_mixed_keyboard_layout_is_repaired() -> None:
    # "Ивaнов" with a Latin "a", "Ivаnov" with a Cyrillic "а".
    assert parse_person_name("Ивaнов Иван").surname == "иванов"
    assert parse_person_name("Ivаnov Ivan").surname == "ivanov"


@pytest.mark.parametrize(
    ("a", "b", "compatible"),
    [
        ("Саша Петров", "Александр Петров", True),
        ("Sasha Petrov", "Александр Петров", True),
        ("Шура", "Саша", True),
        ("Женя", "Евгения", True),
        ("Петров А.", "Саша Петров", True),
        ("Петров А.", "Петров Иван", False),
        ("Ivanov Yu.", "Юрий Иванов", True),
        ("Петров А.С.", "Петров А.П.", True),
        ("Петров А.", "Петров Б.", False),
        ("Ваня", "Иван", True),
        ("Ваня", "Дима", False),
        ("Айгуль", "Aigul", True),
        ("Петров", "Иван Петров", True),
    ],
)
def test_first_names_compatible(a: str, b: str, compatible: bool) -> None:
    pa, pb = parse_person_name(a), parse_person_name(b)
    assert first_names_compatible(pa, pb) is compatible
    assert first_names_compatible(pb, pa) is compatible


def test_diminutive_table_is_large_and_consistent() -> None:
    assert len(DIMINUTIVES) >= 200
    assert {"m", "f"} == set(CANONICAL_NAMES.values())
    targets = {name for names in DIMINUTIVES.values() for name in names}
    targets |= set(SPELLING_VARIANTS.values()) | set(LATIN_ALIASES.values())
    assert targets <= set(CANONICAL_NAMES)
    folded = {fold_case(name) for name in CANONICAL_NAMES}
    assert not folded & {fold_case(short) for short in DIMINUTIVES}


def test_raw_is_kept() -> None:
    assert parse_person_name("  Иванов  Иван ").raw == "  Иванов  Иван "
