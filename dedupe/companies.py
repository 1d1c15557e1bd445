"""Company names folded into a comparison key: legal forms, quotes and punctuation removed.

«ООО "Ромашка"», "Ромашка, ООО" and "Romashka LLC" should meet: ``key`` is the casefolded name
without its legal form, and ``skeleton`` (transliterated, vowels dropped) lets Cyrillic and
Latin spellings meet ("Яндекс" / "Yandex LLC"). The skeleton drops digits too, so it is a
coarse candidate key; compare ``key`` before calling two companies the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from dedupe.inn import validate_inn
from dedupe.translit import fold_case, skeleton

MAX_RAW_LENGTH = 300

# Long forms first in each group only for readability; matching sorts by length.
RUSSIAN_FORMS: tuple[tuple[str, str], ...] = (
    ("ооо", "ООО"), ("общество с ограниченной ответственностью", "ООО"),
    ("ао", "АО"), ("акционерное общество", "АО"),
    ("пао", "ПАО"), ("публичное акционерное общество", "ПАО"),
    ("зао", "ЗАО"), ("закрытое акционерное общество", "ЗАО"),
    ("оао", "ОАО"), ("открытое акционерное общество", "ОАО"),
    ("нао", "НАО"), ("непубличное акционерное общество", "НАО"),
    ("нко", "НКО"), ("некоммерческая организация", "НКО"),
    ("ано", "АНО"), ("автономная некоммерческая организация", "АНО"),
    ("гуп", "ГУП"), ("государственное унитарное предприятие", "ГУП"),
    ("муп", "МУП"), ("муниципальное унитарное предприятие", "МУП"),
    ("фгуп", "ФГУП"), ("федеральное государственное унитарное предприятие", "ФГУП"),
    ("тоо", "ТОО"), ("товарищество с ограниченной ответственностью", "ТОО"),
    ("одо", "ОДО"), ("общество с дополнительной ответственностью", "ОДО"),
    ("чуп", "ЧУП"), ("частное унитарное предприятие", "ЧУП"),
    ("ип", "ИП"), ("индивидуальный предприниматель", "ИП"),
    # Russian forms typed in Latin letters.
    ("ooo", "ООО"), ("zao", "ЗАО"), ("oao", "ОАО"), ("pao", "ПАО"), ("ao", "АО"),
    ("llc", "LLC"), ("l l c", "LLC"), ("limited liability company", "LLC"),
    ("ltd", "Ltd"), ("inc", "Inc"), ("gmbh", "GmbH"), ("corp", "Corp"),
    ("jsc", "JSC"), ("joint stock company", "JSC"),
    ("ojsc", "OJSC"), ("open joint stock company", "OJSC"),
    ("cjsc", "CJSC"), ("closed joint stock company", "CJSC"),
    ("pjsc", "PJSC"), ("public joint stock company", "PJSC"),
    ("llp", "LLP"), ("limited liability partnership", "LLP"),
)  # fmt: skip
# Ordinary words (or too short to be sure of) at the front of a name; forms only at the end.
TRAILING_ONLY_FORMS: tuple[tuple[str, str], ...] = (
    ("co", "Co"), ("company", "Co"), ("limited", "Ltd"), ("incorporated", "Inc"),
    ("corporation", "Corp"), ("plc", "PLC"), ("ag", "AG"),
)  # fmt: skip


Phrases = dict[str, tuple[tuple[tuple[str, ...], str], ...]]


def _phrases(forms: tuple[tuple[str, str], ...], *, at: int = 0) -> Phrases:
    """Phrases (as words, longest first) by their word at `at`: 0 to strip them from the
    front of a name, -1 from its end. Only phrases sharing that word with the name can
    match, so a name is checked against a few of them instead of all (hot in bulk loads)."""
    pairs = [(tuple(phrase.split()), short) for phrase, short in forms]
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for words, short in sorted(pairs, key=lambda pair: -len(pair[0])):
        index.setdefault(words[at], []).append((words, short))
    return {word: tuple(found) for word, found in index.items()}


LEADING_FORMS = _phrases(RUSSIAN_FORMS)
TRAILING_FORMS = _phrases(RUSSIAN_FORMS + TRAILING_ONLY_FORMS, at=-1)
GROUP_PREFIXES = _phrases((("гк", "ГК"), ("группа компаний", "ГК"), ("group of companies", "ГК")))
# Generic words in front of a name: "Компания «Ромашка»" is "Ромашка".
# Kinds of firm written before the brand, spelled out or abbreviated: «ТД «Север»» is
# «Торговый дом «Север»» is «Север».
GENERIC_PREFIXES = _phrases(
    (
        ("компания", ""), ("фирма", ""),
        ("торговый дом", ""), ("тд", ""), ("торговая компания", ""), ("тк", ""),
        ("производственная компания", ""), ("пк", ""),
        ("строительная компания", ""), ("ск", ""),
        ("научно производственное предприятие", ""), ("нпп", ""),
        ("научно производственное объединение", ""), ("нпо", ""),
        ("производственное объединение", ""), ("по", ""),
        ("trading house", ""), ("td", ""),
    )
)  # fmt: skip
# Legal forms that name the same kind of company (Latin and pre-2014 spellings included).
FORM_FAMILIES: dict[str, str] = {
    "ООО": "ООО", "LLC": "ООО", "Ltd": "ООО", "ОДО": "ООО", "ТОО": "ООО", "LLP": "ООО",
    "АО": "АО", "ЗАО": "АО", "ОАО": "АО", "ПАО": "АО", "НАО": "АО",
    "JSC": "АО", "CJSC": "АО", "OJSC": "АО", "PJSC": "АО",
}  # fmt: skip
# "…, г. Москва", "(г. Самара)" after a name: the city tells firms apart, it is not the name.
CITY_SUFFIX = re.compile(
    r"(?:\s*[,(]\s*|\s+)(?:г|гор|город)(?:\.\s*|\s+)[^\W\d_][\w -]*\)?\s*$", re.IGNORECASE
)

# Not a company at all: what people type into a required "Company" field.
GARBAGE = frozenset(
    {
        "нет", "не", "нету", "no", "none", "null", "nil", "n a", "na", "нд", "нет данных",
        "частное лицо", "частник", "физ лицо", "физлицо", "физ", "физическое лицо", "фл",
        "частное", "личное", "лично", "для себя", "я", "сам", "сама",
        "самозанятый", "самозанятая", "самозанятость",
        "не указано", "не указана", "не указан", "неизвестно", "не знаю", "нет компании",
        "без компании", "без организации", "отсутствует", "компания", "организация",
        "company", "private", "private person", "individual", "person", "unknown", "test",
        "тест", "xxx", "ххх", "abc", "asd", "qwerty", "йцукен",
    }
)  # fmt: skip

# "ИНН 7707083893", "ИНН/КПП 7707083893/773601001", "ОГРН 1027700132195": not the name.
REGISTRY_NUMBER = re.compile(
    r"(?<!\w)(?P<label>инн|inn|кпп|kpp|огрнип|огрн|ogrn)(?:\s*/\s*(?:кпп|kpp))?"
    r"\s*[:№#.]?\s*(?P<number>\d[\d /-]*\d)",
    re.IGNORECASE,
)
BARE_INN = re.compile(r"(?<!\d)(?:\d{12}|\d{10})(?!\d)")
NON_WORD = re.compile(r"[\W_]+")
HAS_LETTER = re.compile(r"[^\W\d_]")
SENTENCE_END = re.compile(r"\w{2}\.$")
INDIVIDUAL_PREFIX = re.compile(
    r"^[\s,.:;(-]*(?:ип|индивидуальный\s+предприниматель)(?!\w)[\s,.:;)-]*", re.IGNORECASE
)
INDIVIDUAL_SUFFIX = re.compile(
    r"[\s,.:;(-]*(?<!\w)(?:ип|индивидуальный\s+предприниматель)[\s,.:;)-]*$", re.IGNORECASE
)
QUOTES = re.compile(r"[«»„“”‟\"'‘’‚`´]")
# Latin letters that look like Cyrillic ones: "OОО" typed with a Latin O is still ООО.
HOMOGLYPHS = str.maketrans("aceopxykmthb", "асеорхукмтнв")
LATIN = re.compile(r"[a-z]")
CYRILLIC = re.compile(r"[а-я]")


@dataclass(frozen=True, slots=True)
class CompanyName:
    """A company name as received and the keys derived from it."""

    raw: str | None
    key: str | None
    skeleton: str | None
    legal_form: str | None = None
    is_individual: bool = False
    person_name: str | None = None
    inn: str | None = None
    is_group: bool = False

    @property
    def valid(self) -> bool:
        """True when the name yielded a comparison key."""
        return self.key is not None

    @property
    def form_family(self) -> str | None:
        """The legal form folded to its kind: ООО/LLC/Ltd → "ООО", АО/ЗАО/ПАО/JSC → "АО"."""
        if self.legal_form is None:
            return None
        return FORM_FAMILIES.get(self.legal_form, self.legal_form)


# Company names repeat (a client base, candidates of every lead); the result is immutable.
@lru_cache(maxsize=65536)
def parse_company(raw: str | None) -> CompanyName:
    """Fold a company name into its key, legal form, INN and (for an ИП) the person's name."""
    if raw is None or not raw.strip():
        return CompanyName(raw=raw, key=None, skeleton=None)
    text = fold_case(raw[:MAX_RAW_LENGTH])
    text, inn = _take_registry_numbers(text)
    city = CITY_SUFFIX.search(text)
    if city is not None and city.start() > 0 and HAS_LETTER.search(text[: city.start()]):
        text = text[: city.start()]
    tokens = NON_WORD.sub(" ", text).split()
    if " ".join(tokens) in GARBAGE:
        return CompanyName(raw=raw, key=None, skeleton=None, inn=inn)

    legal_form: str | None = None
    is_group = False
    while True:
        form = _strip_leading(tokens, LEADING_FORMS) or _strip_trailing(tokens, TRAILING_FORMS)
        if form is not None:
            legal_form = legal_form or form
        elif _strip_leading(tokens, GROUP_PREFIXES) is not None:
            is_group = True
        elif _strip_leading(tokens, GENERIC_PREFIXES) is None:
            break

    joined = " ".join(tokens)
    key = joined if HAS_LETTER.search(joined) and joined not in GARBAGE else None
    is_individual = legal_form == "ИП"
    return CompanyName(
        raw=raw,
        key=key,
        skeleton=(skeleton(key) or None) if key else None,
        legal_form=legal_form,
        is_individual=is_individual,
        person_name=_person_name(raw) if is_individual and key else None,
        inn=inn,
        is_group=is_group,
    )


def text_inn(text: str) -> str | None:
    """The first valid INN labelled as one ("ИНН 7707083893", "INN: ...") in free text."""
    for match in REGISTRY_NUMBER.finditer(text[:5000]):
        if match.group("label").casefold() in ("инн", "inn"):
            found = validate_inn(match.group("number"))
            if found:
                return found
    return None


def _take_registry_numbers(text: str) -> tuple[str, str | None]:
    """Cut labelled registry numbers (and bare valid INNs) out of the name; keep the INN."""
    inn: str | None = None
    for match in REGISTRY_NUMBER.finditer(text):
        if match.group("label") in ("инн", "inn"):
            inn = inn or validate_inn(match.group("number"))
    text = REGISTRY_NUMBER.sub(" ", text)
    for match in BARE_INN.finditer(text):
        found = validate_inn(match.group())
        if found:
            inn = inn or found
            text = text.replace(found, " ")
    return text, inn


def _lookup_form(token: str) -> str:
    if LATIN.search(token) and CYRILLIC.search(token):
        return token.translate(HOMOGLYPHS)
    return token


def _strip_leading(tokens: list[str], phrases: Phrases) -> str | None:
    if not tokens:
        return None
    for phrase, short in phrases.get(_lookup_form(tokens[0]), ()):
        n = len(phrase)
        if len(tokens) >= n and tuple(_lookup_form(t) for t in tokens[:n]) == phrase:
            del tokens[:n]
            return short
    return None


def _strip_trailing(tokens: list[str], phrases: Phrases) -> str | None:
    if not tokens:
        return None
    for phrase, short in phrases.get(_lookup_form(tokens[-1]), ()):
        n = len(phrase)
        if len(tokens) > n and tuple(_lookup_form(t) for t in tokens[-n:]) == phrase:
            # len > n: a name that is nothing but "Co" or "Limited" keeps its only word.
            del tokens[-n:]
            return short
    return None


def _person_name(raw: str) -> str | None:
    """The person's name as written, from "ИП Иванов И.И." or "Иванов Иван Иванович, ИП"."""
    text = unicodedata.normalize("NFKC", raw[:MAX_RAW_LENGTH])
    text = REGISTRY_NUMBER.sub(" ", QUOTES.sub(" ", text))
    text = INDIVIDUAL_SUFFIX.sub("", INDIVIDUAL_PREFIX.sub("", text))
    text = " ".join(text.split()).strip(" ,;:-()")
    if SENTENCE_END.search(text):
        text = text[:-1]  # a sentence full stop, not the dot of an initial ("И.И.")
    return text if HAS_LETTER.search(text) else None
