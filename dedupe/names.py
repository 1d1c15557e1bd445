"""Person names normalized for duplicate detection, in Cyrillic and Latin alike.

A name arrives in any order ("Петров Иван", "Иван Сергеевич Петров", "Ivanov A.S."), with
diminutives ("Ваня", "Sasha") and gendered surname forms ("Иванова"). ``parse_person_name``
turns it into keys that compare directly:

* ``surname``: the gender-neutral form (Иванова → "иванов", Толстая → "толстой",
  Ivanova → "ivanov"), casefolded, in the script it was written in; ``surname_skeleton``
  (``translit.skeleton`` of it) is where the two scripts meet (Щукин, Shchukin, Schukin).
* ``first_names``: the canonical Cyrillic names the given name may stand for ("Саша" →
  {"александр", "александра"}); Latin spellings resolve into the same keys.
* ``gender``: kept apart from the surname key, from the patronymic, first name or surname form.
* initials: the first letter of the skeleton, so one person gets one initial in both scripts
  ("Юрий", "Yuriy", "Ю." → "u"; "Евгений", "Yevgeniy", "E." → "e"; "Яна", "Ya." → "a").
  A lone Latin "Y." or "J." stays "i": it cannot be told apart from Иван or Ирина.

Which token is which when the order is free: a token with a patronymic ending (whose stem is a
known name, or with a first name right before it) is the patronymic; a known first name or
diminutive is the first name; what remains is the surname. Two unknown tokens read as
"Имя Фамилия" unless the first one has a surname ending. A single unknown token without a
surname ending is taken as a first name (display names in messengers are mostly first names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

from rapidfuzz import fuzz

from dedupe.diminutives import (
    CANONICAL_NAMES,
    DIMINUTIVES,
    LATIN_ALIASES,
    SPELLING_VARIANTS,
    Gender,
)
from dedupe.translit import fold_case, skeleton, to_latin

__all__ = [
    "PersonName",
    "canonical_first_names",
    "first_names_compatible",
    "is_known_first_name",
    "parse_person_name",
    "surname_key",
]

MAX_RAW_LENGTH: Final = 200
# More words than this is a sentence typed into the name field, not a name.
MAX_NAME_WORDS: Final = 4
MAX_WORD_LENGTH: Final = 40
# rapidfuzz ratio (0-100) a Latin spelling needs to claim a name that shares its skeleton.
FUZZY_MIN_SCORE: Final = 70.0

# Placeholders that forms, bots and CRMs put where a name should be; dropped before parsing.
_STOP_WORDS: Final = """
    клиент клиентка гость заявка заявку заявки сайт сайта тест тестовый тестовая test testing
    unknown неизвестно неизвестный неизвестная аноним анонимно anonymous anon guest client
    customer user пользователь покупатель noname без имени нет name имя фамилия отчество фио
    lead лид null none undefined nan admin админ менеджер manager telegram whatsapp viber
    instagram вконтакте vk tg звонок обратный call back форма form website site новый новая
    new господин госпожа г-н г-жа mr mrs ms miss dr уважаемый уважаемая ип asdf qwerty йцукен
    фыва
"""
STOP_WORDS: Final = frozenset(_STOP_WORDS.split())
# A company name is not a person: nothing in it is a first name or surname.
_COMPANY_WORDS: Final = "ооо оао зао пао ао нко llc ltd inc gmbh corp компания company"
COMPANY_WORDS: Final = frozenset(_COMPANY_WORDS.split())

# Surname endings: (ending, replacement, gender, shortest stem left); the first match wins.
# Adjectival forms all key to "-ой" (Толстой/Толстая, Белый/Белая) because the feminine
# "-ая" cannot tell which masculine form it came from; "-ский/-цкий" keep their own key.
_CYRILLIC_SURNAME_ENDINGS: Final[tuple[tuple[str, str, Gender, int], ...]] = (
    ("ская", "ский", "f", 1), ("цкая", "цкий", "f", 1), ("ской", "ский", "m", 1),
    ("цкой", "цкий", "m", 1), ("ский", "ский", "m", 1), ("цкий", "цкий", "m", 1),
    ("ова", "ов", "f", 2), ("ева", "ев", "f", 2), ("ина", "ин", "f", 2), ("ына", "ын", "f", 2),
    ("ов", "ов", "m", 2), ("ев", "ев", "m", 2), ("ин", "ин", "m", 2), ("ын", "ын", "m", 2),
    ("ая", "ой", "f", 3), ("яя", "ой", "f", 3), ("ой", "ой", "m", 3), ("ый", "ой", "m", 3),
    ("ий", "ой", "m", 3),
)  # fmt: skip
_LATIN_SURNAME_ENDINGS: Final[tuple[tuple[str, str, Gender, int], ...]] = (
    ("skaya", "skii", "f", 1), ("skaia", "skii", "f", 1), ("skaja", "skii", "f", 1),
    ("skiy", "skii", "m", 1), ("skii", "skii", "m", 1), ("skij", "skii", "m", 1),
    ("skoy", "skii", "m", 1), ("skoi", "skii", "m", 1), ("sky", "skii", "m", 1),
    ("ski", "skii", "m", 1), ("ova", "ov", "f", 2), ("eva", "ev", "f", 2), ("ina", "in", "f", 2),
    ("yna", "yn", "f", 2), ("off", "ov", "m", 2), ("ov", "ov", "m", 2), ("ev", "ev", "m", 2),
    ("in", "in", "m", 2), ("yn", "yn", "m", 2), ("aya", "oi", "f", 3), ("aia", "oi", "f", 3),
    ("aja", "oi", "f", 3), ("oy", "oi", "m", 3), ("oi", "oi", "m", 3), ("yy", "oi", "m", 3),
    ("iy", "oi", "m", 3), ("yi", "oi", "m", 3), ("ij", "oi", "m", 3),
)  # fmt: skip
# Surnames that do not change with gender but still say "this is a surname".
_INDECLINABLE_ENDINGS: Final = (
    "енко", "ук", "юк", "ых", "их", "ян", "янц", "дзе", "швили",
    "enko", "uk", "yuk", "iuk", "ykh", "ikh", "yan", "dze", "shvili",
)  # fmt: skip
# Endings that surnames share with given names (Акакий, Гоша) or patronymics: a weaker sign.
_WEAK_SURNAME_KEYS: Final = ("ой", "oi", "вич", "vich")

# Patronymic endings: (ending, gender, endings to add to the stem to get the father's name).
_CYRILLIC_PATRONYMIC_ENDINGS: Final[tuple[tuple[str, Gender, tuple[str, ...]], ...]] = (
    ("инична", "f", ("а", "я")), ("ична", "f", ("а", "я")),
    ("овна", "f", ("", "а")), ("евна", "f", ("й", "ь", "ий")),
    ("ович", "m", ("", "а")), ("евич", "m", ("й", "ь", "ий")), ("ич", "m", ("а", "я")),
)  # fmt: skip
_LATIN_PATRONYMIC_ENDINGS: Final[tuple[tuple[str, Gender, tuple[str, ...]], ...]] = (
    ("ichna", "f", ("a",)), ("ovna", "f", ("",)), ("evna", "f", ("", "i", "y")),
    ("ovich", "m", ("",)), ("evich", "m", ("", "i", "y")), ("ich", "m", ("a",)),
)  # fmt: skip
# Fathers' names whose stem changes in the patronymic (Павел → Павлович, Лев → Львович).
_IRREGULAR_PATRONYMIC_STEMS: Final = {
    "павл": "павел", "льв": "лев", "михайл": "михаил", "яковл": "яков", "гаврил": "гавриил",
}  # fmt: skip

_TOKEN: Final = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*\.?")
_APOSTROPHES: Final = str.maketrans({"'": None, "’": None, "ʼ": None, "‐": "-", "‑": "-"})
_CYRILLIC: Final = re.compile(r"[а-яёіїєґў]")
_LATIN: Final = re.compile(r"[a-z]")
# Lookalike letters, for words typed with a mixed keyboard layout ("Ивaнов" with Latin "a").
_TO_CYRILLIC: Final = str.maketrans("aeopcyxkmthb", "аеорсухкмтнв")
_TO_LATIN: Final = str.maketrans("аеорсухкмтнв", "aeopcyxkmthb")
# Applied to Latin spellings before they are compared: schemes differ in y/j/i, x/ks, yo/io/e.
_LATIN_SPELLING_RULES: Final = (
    ("x", "ks"), ("ph", "f"), ("yo", "e"), ("io", "e"), ("w", "v"), ("y", "i"), ("j", "i"),
)  # fmt: skip
_REPEATED_I: Final = re.compile(r"i+")
_NOT_LATIN_LETTERS: Final = re.compile(r"[^a-z]+")


class _FirstName(NamedTuple):
    canonical: frozenset[str]
    diminutive: bool


class _Word(NamedTuple):
    """Everything about one word that does not depend on its neighbours (computed once)."""

    text: str  # casefolded; Latin words also have their accents dropped
    first: _FirstName | None
    patronymic_gender: Gender | None
    patronymic_strong: bool  # the stem is a known first name: "Сергеевич", not "Мицкевич"
    surname: str
    surname_gender: Gender | None
    surname_like: int  # 0 no surname ending, 1 weak (-ий, -ая, -вич), 2 strong (-ов, -ская, -енко)


def _normal_latin(latin: str) -> str:
    """One spelling for the Latin variants of a name: Yevgeniy/Evgenii → "evgeni"."""
    text = _NOT_LATIN_LETTERS.sub("", latin)
    if text.startswith("ye"):
        text = text[1:]
    for spelling, folded in _LATIN_SPELLING_RULES:
        text = text.replace(spelling, folded)
    return _REPEATED_I.sub("i", text)


def _merge(index: dict[str, _FirstName], key: str, entry: _FirstName) -> None:
    known = index.get(key)
    if known is None:
        index[key] = entry
    else:
        index[key] = _FirstName(
            known.canonical | entry.canonical, known.diminutive and entry.diminutive
        )


def _build_indexes() -> tuple[
    dict[str, Gender],
    dict[str, _FirstName],
    dict[str, _FirstName],
    dict[str, list[tuple[str, _FirstName]]],
]:
    genders = {fold_case(name): gender for name, gender in CANONICAL_NAMES.items()}
    cyrillic: dict[str, _FirstName] = {}
    for name in genders:
        _merge(cyrillic, name, _FirstName(frozenset({name}), diminutive=False))
    for variant, name in SPELLING_VARIANTS.items():
        _merge(cyrillic, fold_case(variant), _FirstName(frozenset({fold_case(name)}), False))
    for short, names in DIMINUTIVES.items():
        canonical = frozenset(fold_case(name) for name in names)
        _merge(cyrillic, fold_case(short), _FirstName(canonical, diminutive=True))

    latin: dict[str, _FirstName] = {}
    by_skeleton: dict[str, list[tuple[str, _FirstName]]] = {}
    spellings = [(to_latin(word), entry) for word, entry in cyrillic.items()]
    spellings += [
        (alias, _FirstName(frozenset({fold_case(name)}), diminutive=False))
        for alias, name in LATIN_ALIASES.items()
    ]
    for spelling, entry in spellings:
        _merge(latin, spelling, entry)
        _merge(latin, _normal_latin(spelling), entry)
        by_skeleton.setdefault(skeleton(spelling), []).append((_normal_latin(spelling), entry))
    return genders, cyrillic, latin, by_skeleton


_GENDERS, _CYRILLIC_FIRST, _LATIN_FIRST, _LATIN_BY_SKELETON = _build_indexes()
_KNOWN_NAMES: Final = frozenset(_GENDERS)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name reduced to keys that compare across word order, script and gender."""

    raw: str
    surname: str | None
    surname_skeleton: str | None
    first_names: frozenset[str]
    first_skeleton: str | None
    first_initial: str | None
    patronymic: str | None
    patronymic_initial: str | None
    gender: Gender | None
    is_diminutive: bool

    @property
    def empty(self) -> bool:
        """True when nothing usable was found (placeholder, digits, emoji, blank)."""
        return (
            self.surname is None
            and not self.first_names
            and self.first_initial is None
            and self.patronymic is None
        )


def _is_cyrillic(word: str) -> bool:
    return _CYRILLIC.search(word) is not None


def _fix_layout(word: str) -> str:
    """Replace lookalike letters of the minority script in a word that mixes both."""
    cyrillic = len(_CYRILLIC.findall(word))
    latin = len(_LATIN.findall(word))
    if not cyrillic or not latin:
        return word
    return word.translate(_TO_CYRILLIC if cyrillic >= latin else _TO_LATIN)


@lru_cache(maxsize=65536)
def _key_skeleton(text: str) -> str:
    # Scripts other than Cyrillic and Latin have no skeleton; the key itself is then the best
    # we have (an empty skeleton would make all such names equal).
    return skeleton(text) or text


@lru_cache(maxsize=16384)
def _latin_first_name(latin: str, loose_short_forms: bool) -> _FirstName | None:
    """Resolve a Latin spelling: exact, then normalized, then nearest on the same skeleton.

    Short forms take part in the loose match only when asked: a word that looks like a surname
    would otherwise meet one (Kostin and "Костян", Mishina and "Мишаня").
    """
    entry = _LATIN_FIRST.get(latin)
    if entry is not None:
        return entry
    normal = _normal_latin(latin)
    entry = _LATIN_FIRST.get(normal)
    if entry is not None:
        return entry
    candidates = _LATIN_BY_SKELETON.get(_key_skeleton(latin))
    if not candidates:
        return None
    scored = [
        (fuzz.ratio(normal, spelling), entry)
        for spelling, entry in candidates
        if loose_short_forms or not entry.diminutive
    ]
    best = max((score for score, _ in scored), default=0.0)
    if best < FUZZY_MIN_SCORE:
        return None
    result: dict[str, _FirstName] = {}
    for score, entry in scored:
        if score == best:
            _merge(result, "", entry)
    return result[""]


def _first_name(word: str, surname_like: int) -> _FirstName | None:
    if _is_cyrillic(word):
        return _CYRILLIC_FIRST.get(word)
    return _latin_first_name(word, loose_short_forms=not surname_like)


def _patronymic(word: str) -> tuple[Gender, bool] | None:
    """Gender of a patronymic-looking word and whether its stem is a known man's name."""
    cyrillic = _is_cyrillic(word)
    endings = _CYRILLIC_PATRONYMIC_ENDINGS if cyrillic else _LATIN_PATRONYMIC_ENDINGS
    for ending, gender, additions in endings:
        if not word.endswith(ending) or len(word) < len(ending) + 2:
            continue
        stem = word[: -len(ending)]
        fathers = [stem + addition for addition in additions]
        if stem in _IRREGULAR_PATRONYMIC_STEMS:
            fathers.append(_IRREGULAR_PATRONYMIC_STEMS[stem])
        for father in fathers:
            entry = _CYRILLIC_FIRST.get(father) if cyrillic else _latin_first_name(father, False)
            if entry and not entry.diminutive and "m" in {_GENDERS[n] for n in entry.canonical}:
                return gender, True
        return gender, False
    return None


def _surname_part(part: str) -> tuple[str, Gender | None]:
    endings = _CYRILLIC_SURNAME_ENDINGS if _is_cyrillic(part) else _LATIN_SURNAME_ENDINGS
    for ending, replacement, gender, shortest_stem in endings:
        if part.endswith(ending) and len(part) - len(ending) >= shortest_stem:
            return part[: -len(ending)] + replacement, gender
    return part, None


def _surname(word: str) -> tuple[str, Gender | None]:
    # Римская-Корсакова → римский-корсаков: each part of a double surname agrees in gender.
    parts = [_surname_part(part) for part in word.split("-") if part]
    if not parts:
        return word, None
    gender = next((gender for _, gender in reversed(parts) if gender), None)
    return "-".join(key for key, _ in parts), gender


@lru_cache(maxsize=65536)
def _word(token: str) -> _Word:
    text = _fix_layout(token)
    if not _is_cyrillic(text):
        text = to_latin(text)
    patronymic = _patronymic(text)
    surname, surname_gender = _surname(text)
    last_part = surname.rsplit("-", 1)[-1]
    surname_like = 0
    if last_part.endswith(_WEAK_SURNAME_KEYS) and (surname_gender or len(last_part) > 5):
        surname_like = 1
    elif surname_gender is not None or any(
        last_part.endswith(ending) and len(last_part) >= len(ending) + 2
        for ending in _INDECLINABLE_ENDINGS
    ):
        surname_like = 2
    return _Word(
        text=text,
        first=_first_name(text, surname_like),
        patronymic_gender=patronymic[0] if patronymic else None,
        patronymic_strong=patronymic is not None and patronymic[1],
        surname=surname,
        surname_gender=surname_gender,
        surname_like=surname_like,
    )


@lru_cache(maxsize=16384)
def _initial(text: str) -> str | None:
    return (skeleton(text) or text)[:1] or None


def canonical_first_names(token: str) -> frozenset[str]:
    """Canonical Cyrillic keys a given name may stand for; its own casefolded form if unknown."""
    folded = fold_case(token).translate(_APOSTROPHES).strip(" .")
    if not folded:
        return frozenset()
    word = _word(folded)
    return word.first.canonical if word.first else frozenset({word.text})


def is_known_first_name(token: str) -> bool:
    """True for a given name (or diminutive) from the curated table."""
    return bool(canonical_first_names(token) & _KNOWN_NAMES)


def surname_key(token: str) -> tuple[str, Gender | None]:
    """Gender-neutral surname key and the gender its form shows (Иванова → ("иванов", "f"))."""
    folded = fold_case(token).translate(_APOSTROPHES).strip(" .")
    word = _word(folded)
    return word.surname, word.surname_gender


def _pick_first_name(words: list[_Word], initials: int) -> int | None:
    if len(words) == 1:
        word = words[0]
        # "Иванов А.С.": two initials are the given names, so the word is the surname;
        # "Марина И." is a first name with the surname cut to an initial.
        if word.first is not None and (initials < 2 or not word.surname_like):
            return 0
        return None if initials or word.surname_like or word.patronymic_strong else 0
    known = [i for i, w in enumerate(words) if w.first is not None and not w.patronymic_strong]
    if known:
        for i in known:
            if i + 1 < len(words) and words[i + 1].patronymic_gender is not None:
                return i
        # Of two known names the less surname-like is the given name, the earlier on a tie.
        return min(known, key=lambda i: words[i].surname_like)
    for i, word in enumerate(words[1:], start=1):
        if word.patronymic_strong:
            return i - 1
    return 1 if words[0].surname_like > words[1].surname_like else 0


def _pick_patronymic(words: list[_Word], first: int | None) -> int | None:
    if len(words) == 1:
        # "Петровна" alone is how an older client may sign; a lone "Мицкевич" is a surname.
        return 0 if first is None and words[0].patronymic_strong else None
    if first is not None and first + 1 < len(words):
        following = words[first + 1]
        # A weak one ("Мицкевич") is a patronymic only if another word is left for the surname.
        if following.patronymic_strong or (
            following.patronymic_gender is not None and len(words) >= 3
        ):
            return first + 1
    for i, word in enumerate(words):
        if i != first and word.patronymic_strong:
            return i
    return None


def _pick_surname(words: list[_Word], rest: list[int], first: int | None) -> int | None:
    if len(rest) <= 1:
        return rest[0] if rest else None
    likely = max(rest, key=lambda i: words[i].surname_like)
    if words[likely].surname_like:
        return likely
    return rest[-1] if first == 0 else rest[0]


def _empty(raw: str) -> PersonName:
    return PersonName(raw, None, None, frozenset(), None, None, None, None, None, False)


def _tokens(raw: str) -> tuple[list[str], list[str]] | None:
    """Words and initials of a raw name, or None when it is a placeholder or a company."""
    words: list[str] = []
    initials: list[str] = []
    text = fold_case(raw[:MAX_RAW_LENGTH]).translate(_APOSTROPHES)
    for match in _TOKEN.finditer(text):
        token = match.group()
        dotted = token.endswith(".")
        token = token.rstrip(".")
        if token in COMPANY_WORDS:
            return None
        if token in STOP_WORDS or len(token) > MAX_WORD_LENGTH:
            continue
        # "А.", "Yu.", "Серг." are initials; a dotted known name ("Ян.") is still a name.
        if len(token) == 1 or (dotted and len(token) <= 4 and _word(token).first is None):
            initials.append(token)
        else:
            words.append(token)
    if not words or len(words) > MAX_NAME_WORDS:
        return None
    return words, initials


# Names repeat across leads and candidates; the result is immutable.
@lru_cache(maxsize=65536)
def parse_person_name(raw: str | None) -> PersonName:
    """Parse a free-form person name (any word order, either script) into comparison keys."""
    raw = raw or ""
    tokens = _tokens(raw)
    if tokens is None:
        return _empty(raw)
    words = [_word(token) for token in tokens[0]]
    initials = tokens[1]
    first_i = _pick_first_name(words, len(initials))
    patronymic_i = _pick_patronymic(words, first_i)
    rest = [i for i in range(len(words)) if i not in (first_i, patronymic_i)]
    surname_i = _pick_surname(words, rest, first_i)

    surname: str | None = None
    surname_skeleton: str | None = None
    surname_gender: Gender | None = None
    if surname_i is not None:
        surname, surname_gender = words[surname_i].surname, words[surname_i].surname_gender
        surname_skeleton = _key_skeleton(surname)

    patronymic: str | None = None
    patronymic_initial: str | None = None
    patronymic_gender: Gender | None = None
    if patronymic_i is not None:
        patronymic = words[patronymic_i].text
        patronymic_gender = words[patronymic_i].patronymic_gender
        patronymic_initial = _initial(patronymic)

    first_names: frozenset[str] = frozenset()
    first_skeleton: str | None = None
    first_initial: str | None = None
    first_gender: Gender | None = None
    is_diminutive = False
    if first_i is not None:
        word = words[first_i]
        if word.first is None:
            first_names = frozenset({word.text})
        else:
            first_names, is_diminutive = word.first
            # "Саша Иванова" is Александра: the surname or patronymic settles the gender.
            signal = patronymic_gender or surname_gender
            if signal and len(first_names) > 1:
                narrowed = frozenset(n for n in first_names if _GENDERS[n] == signal)
                first_names = narrowed or first_names
            genders = {_GENDERS[name] for name in first_names}
            first_gender = genders.pop() if len(genders) == 1 else None
        only = next(iter(first_names)) if len(first_names) == 1 else word.text
        first_skeleton = _key_skeleton(only)
        letters = {_initial(name) for name in first_names}
        first_initial = letters.pop() if len(letters) == 1 else _initial(word.text)
        if initials and patronymic_initial is None and surname is not None:
            patronymic_initial = _initial(initials[0])  # "Иван С. Петров"
    elif initials:
        first_initial = _initial(initials[0])
        if len(initials) > 1 and patronymic_initial is None:
            patronymic_initial = _initial(initials[1])

    return PersonName(
        raw=raw,
        surname=surname,
        surname_skeleton=surname_skeleton,
        first_names=first_names,
        first_skeleton=first_skeleton,
        first_initial=first_initial,
        patronymic=patronymic,
        patronymic_initial=patronymic_initial,
        gender=patronymic_gender or first_gender or surname_gender,
        is_diminutive=is_diminutive,
    )


def _canonical_initials(name: PersonName) -> set[str | None]:
    return {_initial(first) for first in name.first_names} | {name.first_initial}


def first_names_compatible(a: PersonName, b: PersonName) -> bool:
    """True unless the given names contradict; a side with no given name contradicts nothing.

    Full names are compatible when their canonical sets intersect (or, for two names the
    table does not know, when their skeletons agree: Айгуль/Aigul); an initial is compatible
    with a full name whose canonical names start with it ("А." and "Саша").
    """
    if a.first_names and b.first_names:
        if a.first_names & b.first_names:
            return True
        unknown = not (a.first_names & _KNOWN_NAMES) and not (b.first_names & _KNOWN_NAMES)
        return unknown and a.first_skeleton == b.first_skeleton
    if a.first_names and b.first_initial:
        return b.first_initial in _canonical_initials(a)
    if b.first_names and a.first_initial:
        return a.first_initial in _canonical_initials(b)
    if a.first_initial and b.first_initial:
        return a.first_initial == b.first_initial
    return True
