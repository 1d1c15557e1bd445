"""Seeded, labelled data set for the duplicate detector: a CRM base and leads with the truth.

    .venv/bin/python bench/dedupe/generate.py --out /tmp/dedupe [--seed 7]
        [--contacts 20000] [--leads 4000] [--companies N]

Writes contacts.jsonl, companies.jsonl, leads.jsonl and truth.jsonl into --out. The same seed
gives byte-identical files. See bench/dedupe/README.md for the truth format and the kinds.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import names_data as nd
import org_data as od

T = TypeVar("T")

KNOWN_SHARE = 0.6
CHANNELS_KNOWN = (("webform", 38), ("call", 20), ("email", 22), ("telegram", 12), ("vk", 8))
CHANNELS_NEW = (("webform", 45), ("call", 20), ("email", 20), ("telegram", 10), ("vk", 5))
# Categories of leads from people not in the base; the last seven are hard negatives.
NEW_CATEGORIES = (
    ("plain", 44),
    ("known_company", 16),
    ("namesake", 8),
    ("family", 7),
    ("colleague_phone", 6),
    ("colleague_email", 5),
    ("common_name", 6),
    ("same_local_part", 4),
    ("near_phone", 4),
)
HARD_NEGATIVES = (*(name for name, _ in NEW_CATEGORIES[2:]), "chance_namesake")
# Shared-number and one-typo cases, appended after the main leads from their own random
# stream (so the main leads stay byte-identical): (category, weight).
EXTRA_CATEGORIES = (
    ("colleague_office_call", 30),  # a new colleague calls from the office line, no name
    ("colleague_office_named", 20),  # ... or gives a name that is not the holder's
    ("family_call", 15),  # a relative new to us writes/calls from the family phone
    ("phone_typo", 20),  # a known contact, full name, phone one digit off
    ("email_typo", 15),  # a known contact, full name, e-mail one character off
)
EXTRA_SHARE = 0.05


class Weighted(Generic[T]):
    """A fixed weighted choice, O(log n) per draw."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random) -> T:
        """One item, drawn by weight."""
        index = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        return self.items[min(index, len(self.items) - 1)]


# ---------------------------------------------------------------- transliteration

_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
# Scheme: letter overrides, the spelling of a final -ий / -ый, and "кс" → "x".
SCHEMES: dict[str, tuple[dict[str, str], str, str, bool]] = {
    "icao": ({"й": "i", "ю": "iu", "я": "ia"}, "ii", "yi", False),
    "bgn": ({"ё": "yo"}, "iy", "yy", False),
    "simple": ({"х": "h", "щ": "sch"}, "y", "y", True),
    "loose": ({"й": "j", "ю": "ju", "я": "ja", "х": "h", "щ": "sh", "ё": "jo"}, "ij", "yj", False),
}
SCHEME_WEIGHTS = Weighted([("simple", 45), ("bgn", 25), ("icao", 25), ("loose", 5)])


def translit(text: str, scheme: str = "simple") -> str:
    """Latin spelling of Cyrillic text in one of the schemes Russians actually use."""
    overrides, ending_ii, ending_yi, ks_to_x = SCHEMES[scheme]
    table = {**_LATIN, **overrides}
    words = []
    for word in text.split(" "):
        parts = []
        for part in word.split("-"):
            lower = part.lower()
            ending = ""
            if len(lower) > 3 and lower.endswith("ий"):
                lower, ending = lower[:-2], ending_ii
            elif len(lower) > 3 and lower.endswith("ый"):
                lower, ending = lower[:-2], ending_yi
            if ks_to_x:
                lower = lower.replace("кс", "x")
            latin = "".join(table.get(ch, ch) for ch in lower) + ending
            if scheme == "bgn" and lower.startswith("е"):
                latin = "y" + latin
            parts.append(latin[:1].upper() + latin[1:])
        words.append("-".join(parts))
    return " ".join(words)


def ascii_login(text: str) -> str:
    """Lowercase a-z only: the piece of a name that goes into an e-mail or a nickname."""
    return "".join(ch for ch in text.lower() if "a" <= ch <= "z")


# ---------------------------------------------------------------- names


def feminine(surname: str) -> str:
    """The feminine form of a masculine surname (Иванов → Иванова, Толстой → Толстая)."""
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий", "ской", "цкой", "ый", "ой")):
        return surname[:-2] + "ая"
    if surname.endswith("ий") and surname[-3:-2] in "кгх":
        return surname[:-2] + "ая"
    return surname


VOWELS = "аеёиоуыэюя"


def rare_surname(root: str, suffix: str) -> str | None:
    """A rare masculine surname from a root and a suffix, None when they do not combine."""
    soft = root[-1] in "ьйжшчщц"
    stem = root[:-1] if root[-1] in "ьй" else root
    if suffix in ("ов", "ев"):
        suffix = "ев" if soft else "ов"
    elif suffix == "ский" and (stem[-1] in "кгхцчшщжс" or stem[-2] not in VOWELS):
        return None
    elif suffix == "ых" and stem[-1] in "кгхжшчщ":
        suffix = "их"
    elif suffix in ("ушкин", "ёнков", "енко", "ук", "ич") and stem[-1] in "кгх":
        return None
    return stem + suffix


@dataclass(slots=True)
class Person:
    """A real human being, whether or not the CRM knows them."""

    gender: str  # "m" or "f"
    first: str
    patronymic: str
    surname: str  # in the person's gender
    surname_masc: str
    scheme: str  # how they spell their name in Latin
    birth_year: int

    @property
    def first_latin(self) -> str:
        """First name in the person's own Latin spelling."""
        return translit(self.first, self.scheme)

    @property
    def surname_latin(self) -> str:
        """Surname in the person's own Latin spelling."""
        return translit(self.surname, self.scheme)


# Display formats of a name; F = surname, I = first name, O = patronymic, "i" = initials.
NAME_FORMATS_BASE = Weighted(
    [("FIO", 45), ("IF", 25), ("FI", 12), ("IOF", 3), ("I", 5), ("Fio", 3), ("latin", 2),
     ("IO", 2), ("iF", 3)]
)  # fmt: skip
NAME_FORMATS_LEAD = Weighted(
    [("same", 20), ("IF", 30), ("FIO", 12), ("FI", 9), ("I", 10), ("IOF", 3), ("Fio", 5),
     ("iF", 2), ("IO", 3), ("F", 1)]
)  # fmt: skip


def render_name(person: Person, fmt: str, keep_yo: bool = True) -> str:
    """A person's name written in one display format."""
    first, pat, sur = person.first, person.patronymic, person.surname
    if fmt == "latin":
        return f"{person.first_latin} {person.surname_latin}"
    text = {
        "FIO": f"{sur} {first} {pat}",
        "IF": f"{first} {sur}",
        "FI": f"{sur} {first}",
        "IOF": f"{first} {pat} {sur}",
        "I": first,
        "IO": f"{first} {pat}",
        "F": sur,
        "Fio": f"{sur} {first[0]}.{pat[0]}.",
        "iF": f"{first[0]}. {sur}",
    }[fmt]
    return text if keep_yo else text.replace("ё", "е").replace("Ё", "Е")


def name_parts(fmt: str) -> tuple[bool, bool, bool, bool, str]:
    """(has full first name, has patronymic, has surname, uses initials, order) of a format."""
    if fmt == "latin":
        return True, False, True, False, "IF"
    order = "".join(ch for ch in fmt.upper() if ch in "IF")
    has_first = "I" in fmt
    has_pat = "O" in fmt
    initials = "i" in fmt or "o" in fmt
    return has_first, has_pat, "F" in fmt, initials, order


KEYBOARD_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
PHONETIC = {
    "а": "о", "о": "а", "е": "и", "и": "е", "э": "е", "т": "д", "д": "т", "с": "з", "з": "с",
    "б": "п", "п": "б", "в": "ф", "ф": "в", "г": "к", "к": "г", "ш": "щ", "щ": "ш", "ё": "е",
    "ы": "и", "я": "а", "ю": "у",
}  # fmt: skip


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similar_first_names(a: str, b: str) -> bool:
    """Names a reader could take for one another: Алина/Алёна, Евгений/Евгения, or the same
    initial (the base may hold only "Д. Тарасова")."""
    a, b = a.lower().replace("ё", "е"), b.lower().replace("ё", "е")
    return a[0] == b[0] or levenshtein(a, b) <= 2


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip in a word: neighbouring key, sound-alike, dropped/doubled/swapped."""
    lower = word.lower()
    for _ in range(10):
        pos = rng.randrange(1, len(word))
        ch = lower[pos]
        op = rng.random()
        if op < 0.35:
            row = next((r for r in KEYBOARD_ROWS if ch in r), "")
            if not row:
                continue
            i = row.index(ch)
            new = row[max(0, i - 1)] if rng.random() < 0.5 else row[min(len(row) - 1, i + 1)]
            out = word[:pos] + new + word[pos + 1 :]
        elif op < 0.6:
            if ch not in PHONETIC:
                continue
            out = word[:pos] + PHONETIC[ch] + word[pos + 1 :]
        elif op < 0.75:
            out = word[:pos] + word[pos + 1 :]
        elif op < 0.9:
            out = word[:pos] + word[pos] + word[pos:]
        else:
            if pos + 1 >= len(word):
                continue
            out = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
        if out.lower() != lower:
            return out
    return word[:-1] if len(word) > 3 else word + word[-1]


# ---------------------------------------------------------------- phones


def inn_checksum(digits: Sequence[int], weights: Sequence[int]) -> int:
    """One INN control digit."""
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def make_inn(region: str, rng: random.Random, individual: bool) -> str:
    """A valid INN: 10 digits for an organisation, 12 for an individual entrepreneur."""
    if individual:
        digits = [int(c) for c in region] + [rng.randrange(10) for _ in range(8)]
        digits.append(inn_checksum(digits, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
        digits.append(inn_checksum(digits, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
    else:
        digits = [int(c) for c in region] + [rng.randrange(10) for _ in range(7)]
        digits.append(inn_checksum(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8)))
    return "".join(map(str, digits))


def _groups(n: str) -> tuple[str, str, str, str]:
    return n[:3], n[3:6], n[6:8], n[8:10]


# Writers of a 10-digit national number, by name; base and leads choose among them.
PHONE_FORMATS: dict[str, Callable[[str], str]] = {
    "e164": lambda n: f"+7{n}",
    "plus7_paren": lambda n: "+7 ({}) {}-{}-{}".format(*_groups(n)),
    "plus7_spaced": lambda n: "+7 {} {}-{}-{}".format(*_groups(n)),
    "plus7_compact": lambda n: f"+7 {n[:3]} {n[3:]}",
    "eight_paren": lambda n: "8 ({}) {}-{}-{}".format(*_groups(n)),
    "eight_plain": lambda n: f"8{n}",
    "eight_dash": lambda n: "8-{}-{}-{}-{}".format(*_groups(n)),
    "eight_spaces": lambda n: "8 {} {} {} {}".format(*_groups(n)),
    "seven_plain": lambda n: f"7{n}",
    "ten": lambda n: n,
    "seven_dash": lambda n: "7-{}-{}-{}-{}".format(*_groups(n)),
}
BASE_PHONE_FORMATS = Weighted(
    [("e164", 72), ("eight_plain", 10), ("plus7_paren", 8), ("eight_paren", 6),
     ("plus7_spaced", 4)]
)  # fmt: skip
LEAD_PHONE_FORMATS = Weighted(
    [("e164", 30), ("eight_paren", 14), ("plus7_paren", 10), ("plus7_spaced", 8),
     ("plus7_compact", 6), ("eight_plain", 12), ("eight_dash", 4), ("eight_spaces", 5),
     ("ten", 6), ("seven_plain", 3), ("seven_dash", 2)]
)  # fmt: skip
CALL_PHONE_FORMATS = Weighted(
    [("e164", 55), ("eight_plain", 22), ("seven_plain", 15), ("ten", 8)]
)  # fmt: skip
EXTENSION_FORMATS = (" доб. {}", ", доб. {}", " (доб. {})", " доб {}", " ext. {}", " вн. {}")


@dataclass(slots=True)
class Phone:
    """A phone number: 10 national digits and, for an office line, an extension."""

    national: str
    ext: str | None = None

    def written(self, fmt: str, rng: random.Random | None = None) -> str:
        """The number written in one format, the extension appended when there is one."""
        text = PHONE_FORMATS[fmt](self.national)
        if self.ext:
            style = rng.choice(EXTENSION_FORMATS) if rng else EXTENSION_FORMATS[0]
            text += style.format(self.ext)
        return text


# ---------------------------------------------------------------- e-mail

LOCAL_PART_PATTERNS = Weighted(
    [("first.sur", 18), ("f.sur", 10), ("sur.first", 6), ("firstsur", 6), ("suryy", 8),
     ("suryear", 6), ("first_sur", 5), ("fsur", 8), ("first.surnn", 5), ("firstyy", 5),
     ("nick", 12), ("sur.fp", 3), ("dim.sur", 3), ("sur", 3), ("first-sur", 2)]
)  # fmt: skip
GMAIL = ("gmail.com",)
PLUS_TAG_DOMAINS = ("gmail.com", *od.YANDEX_ALIASES)
PLUS_TAGS = ("crm", "sales", "work", "2024", "promo", "news", "shop", "leads")


def email_case(address: str, rng: random.Random) -> str:
    """Mixed case as mail clients and people write it: Ivan.Petrov@Mail.RU."""
    local, domain = address.split("@")
    local = ".".join(p.capitalize() for p in local.split("."))
    if rng.random() < 0.3:
        local = local.upper()
    name, _, tld = domain.rpartition(".")
    domain = rng.choice((f"{name.capitalize()}.{tld.upper()}", domain.upper(), domain))
    return f"{local}@{domain}"


def gmail_dots(address: str, rng: random.Random) -> str:
    """The same Gmail box with dots moved: ivanpetrov ↔ ivan.petrov ↔ i.van.petrov."""
    local, domain = address.split("@")
    bare = local.replace(".", "")
    if len(bare) < 3:
        return address
    for _ in range(8):
        cuts = sorted(rng.sample(range(1, len(bare)), k=min(len(bare) - 1, rng.randint(1, 2))))
        pieces, last = [], 0
        for cut in cuts:
            pieces.append(bare[last:cut])
            last = cut
        pieces.append(bare[last:])
        new = ".".join(pieces) if rng.random() < 0.8 else bare
        if new != local:
            return f"{new}@{domain}"
    return address


# ---------------------------------------------------------------- records


@dataclass(slots=True)
class Company:
    """An organisation in the CRM (or, when held out, one the CRM does not know)."""

    id: str
    form: str
    form_full: str
    brand: str  # as registered, without quotes; for an ИП, the owner's full name
    brand_latin: str
    city: str
    area: str
    region: str
    name: str = ""
    inn: str | None = None
    domain: str | None = None
    phones: list[Phone] = field(default_factory=list)
    phones_written: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    owner: Person | None = None
    contacts: list[Contact] = field(default_factory=list)
    office_sharers: list[Contact] = field(default_factory=list)
    role_sharers: list[Contact] = field(default_factory=list)

    @property
    def is_ip(self) -> bool:
        """True for an individual entrepreneur."""
        return self.form == "ИП"

    def record(self) -> dict[str, Any]:
        """The companies.jsonl line."""
        return {
            "id": self.id,
            "name": self.name,
            "inn": self.inn,
            "phones": self.phones_written,
            "emails": self.emails,
            "website": f"https://{self.domain}" if self.domain else None,
        }


@dataclass(slots=True)
class Contact:
    """A person the CRM knows, with the identifiers it holds for them."""

    id: str
    person: Person
    name_format: str
    name: str
    keep_yo: bool
    company: Company | None
    company_text: str | None
    mobiles: list[Phone] = field(default_factory=list)
    family_phone: Phone | None = None
    office_phone: Phone | None = None
    personal_emails: list[str] = field(default_factory=list)
    role_email: str | None = None
    telegram_id: int | None = None
    telegram_username: str | None = None
    vk_id: int | None = None
    phones_written: list[str] = field(default_factory=list)

    @property
    def personal_phones(self) -> list[Phone]:
        """Phones that identify this person (a family phone only together with a name)."""
        return self.mobiles + ([self.family_phone] if self.family_phone else [])

    def record(self) -> dict[str, Any]:
        """The contacts.jsonl line."""
        emails = list(self.personal_emails)
        if self.role_email:
            emails.append(self.role_email)
        return {
            "id": self.id,
            "name": self.name,
            "phones": self.phones_written,
            "emails": emails,
            "company_id": self.company.id if self.company else None,
            "company": self.company_text,
            "telegram_id": self.telegram_id,
            "telegram_username": self.telegram_username,
            "vk_id": self.vk_id,
        }


@dataclass(slots=True)
class Draft:
    """A lead being assembled, with the list of corruption kinds applied so far."""

    channel: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    company: str | None = None
    inn: str | None = None
    telegram_id: int | None = None
    telegram_username: str | None = None
    vk_id: int | None = None
    text: str = ""
    kinds: list[str] = field(default_factory=list)

    def kind(self, name: str) -> None:
        """Record one corruption kind (once)."""
        if name not in self.kinds:
            self.kinds.append(name)


# ---------------------------------------------------------------- the generator


class MailboxSet:
    """Addresses taken, compared as mailboxes: Yandex aliases, dots/hyphens in Yandex logins
    and Gmail dots/+tags reach the same inbox, so two people can never share them."""

    def __init__(self) -> None:
        self._boxes: set[str] = set()

    def __contains__(self, address: object) -> bool:
        return isinstance(address, str) and mailbox(address) in self._boxes

    def __len__(self) -> int:
        return len(self._boxes)

    def add(self, address: str) -> None:
        """Mark an address (and every alias of its mailbox) as taken."""
        self._boxes.add(mailbox(address))


def mailbox(address: str) -> str:
    """The inbox an address delivers to (provider rules as documented by Yandex and Google)."""
    local, _, domain = address.lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in od.YANDEX_ALIASES:
        return f"{local.replace('.', '-')}@yandex.ru"
    if domain in ("gmail.com", "googlemail.com"):
        return f"{local.replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


class Generator:
    """Builds the base and the leads from one seeded random stream."""

    def __init__(self, seed: int, n_contacts: int, n_leads: int, n_companies: int) -> None:
        self.rng = random.Random(seed)
        self.n_contacts = n_contacts
        self.n_leads = n_leads
        self.n_companies = n_companies
        self.male = Weighted([(row, row[1]) for row in nd.MALE_NAMES])
        self.female = Weighted([(row, row[1]) for row in nd.FEMALE_NAMES])
        self.diminutives: dict[str, tuple[str, ...]] = {r[0]: r[4] for r in nd.MALE_NAMES}
        self.diminutives.update({r[0]: r[2] for r in nd.FEMALE_NAMES})
        self.patronymics = Weighted([((r[2], r[3]), r[1]) for r in nd.MALE_NAMES])
        self.surnames = self._surname_pool()
        self.cities = Weighted([(c[:3], c[3]) for c in od.CITIES])
        self.forms = Weighted([((f, full), w) for f, full, w in od.LEGAL_FORMS])
        self.free_domains = Weighted(list(od.FREE_DOMAINS))
        self.tlds = Weighted(list(od.CORPORATE_TLDS))
        self.channels_known = Weighted(CHANNELS_KNOWN)
        self.channels_new = Weighted(CHANNELS_NEW)
        self.new_categories = Weighted(NEW_CATEGORIES)
        self.family_index: dict[str, list[Contact]] = {}
        self.office_companies: list[Company] = []
        self.role_companies: list[Company] = []
        self.crowded_names: list[tuple[str, str]] = []
        self.used_phones: set[str] = set()
        self.used_emails = MailboxSet()
        self.used_logins: set[str] = set()
        self.used_domains: set[str] = set()
        self.used_ids: set[int] = set()
        self.companies: list[Company] = []
        self.held_out_companies: list[Company] = []
        self.contacts: list[Contact] = []
        self.by_first_surname: dict[tuple[str, str], list[Contact]] = {}
        self.leads: list[dict[str, Any]] = []
        self.truth: list[dict[str, Any]] = []

    # ------------------------------------------------------------ pools

    def _surname_pool(self) -> Weighted[str]:
        common = list(nd.COMMON_SURNAMES)
        weights = [(rank + 5) ** -0.8 for rank in range(len(common))]
        scale = 0.42 / sum(weights)  # the common list holds ~42% of people
        pairs: list[tuple[str, float]] = [
            (s, w * scale) for s, w in zip(common, weights, strict=True)
        ]
        seen = set(common)
        rng = random.Random(1)  # the pool itself does not depend on the seed
        tail: list[str] = []
        for root in nd.RARE_ROOTS:
            for suffix, _ in nd.RARE_SUFFIXES:
                surname = rare_surname(root, suffix)
                if surname and surname not in seen:
                    seen.add(surname)
                    tail.append(surname)
        tail += [s for s in nd.RARE_FULL if s not in seen]
        suffix_weight = dict(nd.RARE_SUFFIXES)
        raw = []
        for surname in tail:
            w = next((v for k, v in suffix_weight.items() if surname.endswith(k)), 1.0)
            raw.append(w * min(rng.lognormvariate(0, 0.7), 4.0))
        tail_scale = 0.58 / sum(raw)
        pairs += [(s, w * tail_scale) for s, w in zip(tail, raw, strict=True)]
        return Weighted(pairs)

    def person(self, gender: str | None = None, surname_masc: str | None = None) -> Person:
        """A new random person, optionally of a given gender and family."""
        rng = self.rng
        gender = gender or ("m" if rng.random() < 0.52 else "f")
        first = self.male.pick(rng)[0] if gender == "m" else self.female.pick(rng)[0]
        pat_m, pat_f = self.patronymics.pick(rng)
        surname_masc = surname_masc or self.surnames.pick(rng)
        return Person(
            gender=gender,
            first=first,
            patronymic=pat_m if gender == "m" else pat_f,
            surname=surname_masc if gender == "m" else feminine(surname_masc),
            surname_masc=surname_masc,
            scheme=SCHEME_WEIGHTS.pick(rng),
            birth_year=rng.randint(1958, 2003),
        )

    def fresh_mobile(self) -> Phone:
        """A mobile number nobody in the data set has yet."""
        while True:
            national = self.rng.choice(od.MOBILE_CODES) + f"{self.rng.randrange(10**7):07d}"
            if national not in self.used_phones:
                self.used_phones.add(national)
                return Phone(national)

    def fresh_city(self, area: str) -> Phone:
        """A landline number in one area code nobody has yet."""
        while True:
            national = area + f"{self.rng.randrange(2 * 10**6, 10**7):07d}"
            if national not in self.used_phones:
                self.used_phones.add(national)
                return Phone(national)

    def fresh_id(self, low: int, high: int) -> int:
        """A unique numeric messenger id."""
        while True:
            value = self.rng.randrange(low, high)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def latin_parts(self, person: Person) -> tuple[str, str, str]:
        """(first, surname, first initial) of the person's Latin spelling, a-z only."""
        first = ascii_login(person.first_latin)
        return first, ascii_login(person.surname_latin), first[:1]

    def local_part(self, person: Person, corporate: bool) -> str:
        """A mailbox name the way this person would pick it."""
        rng = self.rng
        first, sur, f = self.latin_parts(person)
        p = ascii_login(translit(person.patronymic, person.scheme))[:1]
        yy = f"{person.birth_year % 100:02d}"
        if corporate:
            pattern = rng.choice(("f.sur", "first.sur", "sur", "fsur", "first", "sur.f", "fsur"))
        else:
            pattern = LOCAL_PART_PATTERNS.pick(rng)
        dims = self.diminutives.get(person.first) or (person.first,)
        dim = ascii_login(translit(dims[0], person.scheme))
        values = {
            "first.sur": f"{first}.{sur}",
            "f.sur": f"{f}.{sur}",
            "sur.first": f"{sur}.{first}",
            "firstsur": f"{first}{sur}",
            "suryy": f"{sur}{yy}",
            "suryear": f"{sur}{person.birth_year}",
            "first_sur": f"{first}_{sur}",
            "fsur": f"{f}{sur}",
            "first.surnn": f"{first}.{sur}{rng.randint(1, 99)}",
            "firstyy": f"{first}{yy}",
            "nick": f"{self.nick()}{rng.randint(1, 999)}",
            "sur.fp": f"{sur}.{f}{p}",
            "dim.sur": f"{dim}.{sur}",
            "sur": sur,
            "first": first,
            "sur.f": f"{sur}.{f}",
            "first-sur": f"{first}-{sur}",
        }
        return values[pattern]

    def fresh_email(self, person: Person, domain: str | None = None) -> str:
        """A unique address for the person: on a free provider or at a company domain."""
        corporate = domain is not None
        for attempt in range(20):
            chosen = domain or self.free_domains.pick(self.rng)
            local = self.local_part(person, corporate and attempt < 6)
            if attempt >= 3:
                local += str(self.rng.randint(1, 999))
            address = f"{local}@{chosen}"
            if address not in self.used_emails and len(local) >= 3:
                self.used_emails.add(address)
                return address
        address = f"user{len(self.used_emails)}@{domain or 'mail.ru'}"
        self.used_emails.add(address)
        return address

    def nick(self) -> str:
        """A Latin nickname such as sunny_fox."""
        return f"{self.rng.choice(nd.NICK_WORDS)}_{self.rng.choice(nd.NICK_WORDS)}"

    def fresh_username(self, person: Person) -> str:
        """A unique Telegram username."""
        rng = self.rng
        first, sur, f = self.latin_parts(person)
        for attempt in range(20):
            base = rng.choice(
                (f"{first}_{sur}", f"{first}{sur}", f"{f}{sur}", f"{sur}_{f}",
                 f"{first}_{sur[:1]}", self.nick(), f"{first}{sur[:3]}")
            )  # fmt: skip
            if attempt > 2 or len(base) < 5:
                base += str(rng.randint(1, 9999))
            if base not in self.used_logins:
                self.used_logins.add(base)
                return base
        return f"user{len(self.used_logins)}"

    # ------------------------------------------------------------ companies

    def make_company(self, cid: str) -> Company:
        """A company with a legal form, brand, INN, website, office phones and mailboxes."""
        rng = self.rng
        form, form_full = self.forms.pick(rng)
        city, area, region = self.cities.pick(rng)
        owner = None
        roll = rng.random()
        if form == "ИП":
            owner = self.person()
            brand = f"{owner.surname} {owner.first} {owner.patronymic}"
            brand_latin = f"{owner.first_latin} {owner.surname_latin}"
        elif roll < 0.18 or (form == "" and roll < 0.5):
            brand = brand_latin = rng.choice(od.LATIN_BRANDS)
        elif roll < 0.55:
            brand = rng.choice(od.BRAND_WORDS)
            brand_latin = translit(brand)
        else:
            prefix, suffix = rng.choice(od.BRAND_PREFIXES), rng.choice(od.BRAND_SUFFIXES)
            brand = prefix + (suffix if rng.random() < 0.5 else suffix.lower())
            brand_latin = translit(prefix) + translit(suffix)
        company = Company(cid, form, form_full, brand, brand_latin, city, area, region)
        company.owner = owner
        company.name = self.canonical_company_name(company)
        if form != "" and rng.random() < (0.95 if form == "ИП" else 0.88):
            company.inn = make_inn(region, rng, individual=form == "ИП")
        if rng.random() < (0.3 if form == "ИП" else 0.72):
            company.domain = self.fresh_domain(company)
        if rng.random() < (0.5 if form == "ИП" else 0.92):
            company.phones.append(self.fresh_city(area))
            if rng.random() < 0.2:
                company.phones.append(self.fresh_city(area))
        elif owner is not None:
            company.phones.append(self.fresh_mobile())
        company.phones_written = [p.written(BASE_PHONE_FORMATS.pick(rng)) for p in company.phones]
        if company.domain:
            for role in rng.sample(od.ROLE_MAILBOXES, k=rng.choice((1, 1, 1, 2))):
                address = f"{role}@{company.domain}"
                self.used_emails.add(address)
                company.emails.append(address)
        elif rng.random() < 0.4:
            login = ascii_login(brand_latin)[:12] or "firma"
            address = f"{login}.{rng.choice(('opt', 'office', 'zakaz', 'info'))}@mail.ru"
            if address not in self.used_emails:
                self.used_emails.add(address)
                company.emails.append(address)
        return company

    def canonical_company_name(self, company: Company) -> str:
        """The name as the CRM holds it (quotes vary, as in any real CRM)."""
        rng = self.rng
        if company.is_ip:
            owner = company.owner
            assert owner is not None
            if rng.random() < 0.6:
                return f"ИП {company.brand}"
            return f"ИП {owner.surname} {owner.first[0]}.{owner.patronymic[0]}."
        if not company.form:
            return company.brand
        quote = rng.random()
        if quote < 0.75:
            return f"{company.form} «{company.brand}»"
        if quote < 0.95:
            return f'{company.form} "{company.brand}"'
        return f"{company.form} {company.brand}"

    def fresh_domain(self, company: Company) -> str:
        """A unique website domain for a company."""
        base = ascii_login(company.brand_latin.replace(" ", "-"))
        if company.is_ip and company.owner:
            base = ascii_login(company.owner.surname_latin) + self.rng.choice(("-shop", "pro", ""))
        base = base or "company"
        for attempt in range(30):
            tld = self.tlds.pick(self.rng)
            if attempt == 0:
                candidate = f"{base}.{tld}"
            else:
                tail = self.rng.choice(
                    ("-" + company.region, "24", "-msk", "-spb", "-group", "-opt", "pro")
                )
                candidate = f"{base}{tail}{self.rng.randint(1, 99) if attempt > 5 else ''}.{tld}"
            if candidate not in self.used_domains:
                self.used_domains.add(candidate)
                return candidate
        raise RuntimeError("no free domain")

    def company_variant(self, company: Company) -> str:
        """The company as a person types it: no legal form, other quotes, Latin, full form."""
        rng = self.rng
        brand = company.brand
        if company.is_ip and company.owner:
            o = company.owner
            return rng.choice(
                (f"ИП {o.surname}", f"{o.surname} {o.first[0]}.{o.patronymic[0]}.",
                 f"ИП {o.surname} {o.first[0]}. {o.patronymic[0]}.", f"{o.surname} ИП",
                 f"Индивидуальный предприниматель {o.surname} {o.first} {o.patronymic}")
            )  # fmt: skip
        options = [brand, f'"{brand}"', brand.lower(), company.brand_latin]
        if company.form:
            options += [
                f'{company.form} "{brand}"',
                f"{company.form} {brand}",
                f"{company.form.lower()} {brand.lower()}",
                f"{company.form_full} «{brand}»",
                f"«{brand}», {company.form}",
                f"{brand} {company.form}",
            ]
            if company.form == "ООО":
                options += [f"OOO {company.brand_latin}", f"{company.brand_latin} LLC"]
        if any(ch.isupper() for ch in brand[1:]):
            options.append(brand[0] + brand[1:].lower())
        choices = [o for o in options if o != company.name]
        return rng.choice(choices) if choices else brand

    # ------------------------------------------------------------ contacts

    def build_base(self) -> None:
        """Companies first, then contacts (with namesakes, families and shared lines)."""
        rng = self.rng
        n_held = max(10, self.n_companies // 10)
        for i in range(self.n_companies + n_held):
            company = self.make_company(f"co{i + 1:06d}")
            (self.companies if i < self.n_companies else self.held_out_companies).append(company)
        for company in self.held_out_companies:
            company.id = ""
        weights = [0.4 if c.is_ip else min(rng.paretovariate(1.3), 40.0) for c in self.companies]
        company_pick = Weighted(list(zip(self.companies, weights, strict=True)))
        # Every ИП's owner is a contact of it.
        owners = [c for c in self.companies if c.is_ip and c.owner][: self.n_contacts // 8]
        for company in owners:
            assert company.owner is not None
            self.add_contact(company.owner, company)
        while len(self.contacts) < self.n_contacts:
            roll = rng.random()
            company = company_pick.pick(rng) if rng.random() < 0.72 else None
            if roll < 0.015 and self.contacts:
                self.add_namesake()
            elif roll < 0.04 and self.contacts:
                self.add_family_pair()
            else:
                self.add_contact(self.person(), company)
        del self.contacts[self.n_contacts :]
        rng.shuffle(self.contacts)  # ids in no telling order (ИП owners were made first)
        for number, contact in enumerate(self.contacts, 1):
            contact.id = f"c{number:06d}"
        for contact in self.contacts:
            key = (contact.person.first, contact.person.surname)
            self.by_first_surname.setdefault(key, []).append(contact)
            if contact.company:
                contact.company.contacts.append(contact)
                if contact.office_phone:
                    contact.company.office_sharers.append(contact)
                if contact.role_email:
                    contact.company.role_sharers.append(contact)
            if contact.family_phone:
                self.family_index.setdefault(contact.family_phone.national, []).append(contact)
        self.office_companies = [c for c in self.companies if c.office_sharers]
        # An ИП's mailbox is the owner's own, so no "colleague" writes from it.
        self.role_companies = [c for c in self.companies if c.role_sharers and not c.is_ip]
        self.crowded_names = [k for k, v in self.by_first_surname.items() if len(v) >= 2]

    def add_contact(
        self,
        person: Person,
        company: Company | None,
        family_phone: Phone | None = None,
        name_format: str | None = None,
    ) -> Contact:
        """A contact with the identifiers a CRM would collect for this person."""
        rng = self.rng
        fmt = name_format or NAME_FORMATS_BASE.pick(rng)
        keep_yo = rng.random() < 0.6
        company_text = None
        if company:
            company_text = company.name if rng.random() < 0.8 else self.company_variant(company)
        elif rng.random() < 0.03:
            company_text = rng.choice(self.held_out_companies).name
        contact = Contact(
            id=f"c{len(self.contacts) + 1:06d}",
            person=person,
            name_format=fmt,
            name=render_name(person, fmt, keep_yo),
            keep_yo=keep_yo,
            company=company,
            company_text=company_text,
        )
        if family_phone is not None:
            contact.family_phone = family_phone
        if rng.random() < (0.75 if family_phone else 0.92):
            contact.mobiles.append(self.fresh_mobile())
            if rng.random() < 0.1:
                contact.mobiles.append(self.fresh_mobile())
        if company and company.phones and not company.is_ip and rng.random() < 0.35:
            office = company.phones[0]
            ext = str(rng.randint(100, 499)) if rng.random() < 0.4 else None
            contact.office_phone = Phone(office.national, ext)
        if rng.random() < 0.62:
            contact.personal_emails.append(self.fresh_email(person))
            if rng.random() < 0.08:
                contact.personal_emails.append(self.fresh_email(person))
        if company and company.domain and rng.random() < 0.5:
            contact.personal_emails.append(self.fresh_email(person, company.domain))
        if company and company.emails and rng.random() < 0.15:
            contact.role_email = company.emails[0]
        if rng.random() < 0.18:
            contact.telegram_id = self.fresh_id(100_000_000, 7_500_000_000)
            if rng.random() < 0.6:
                contact.telegram_username = self.fresh_username(person)
        elif rng.random() < 0.07:
            contact.telegram_username = self.fresh_username(person)
        if rng.random() < 0.1:
            contact.vk_id = self.fresh_id(1, 900_000_000)
        if not contact.personal_phones and not contact.personal_emails:
            contact.mobiles.append(self.fresh_mobile())
        written = [p.written(BASE_PHONE_FORMATS.pick(rng)) for p in contact.personal_phones]
        if contact.office_phone:
            office_fmt = rng.choice(("e164", "plus7_paren", "eight_paren"))
            written.append(contact.office_phone.written(office_fmt, rng))
        rng.shuffle(written)
        contact.phones_written = written
        self.contacts.append(contact)
        return contact

    def add_namesake(self) -> None:
        """A second contact with exactly the full name of an existing one."""
        other = self.rng.choice(self.contacts).person
        twin = self.person(other.gender, other.surname_masc)
        twin.first, twin.patronymic = other.first, other.patronymic
        company = self.rng.choice(self.companies) if self.rng.random() < 0.6 else None
        self.add_contact(twin, company)

    def add_family_pair(self) -> None:
        """Two relatives (same family name, different first names) sharing one phone."""
        rng = self.rng
        first = self.person()
        second = self.person(rng.choice("mf"), first.surname_masc)
        while second.first == first.first:
            second = self.person(second.gender, first.surname_masc)
        shared = self.fresh_mobile() if rng.random() < 0.6 else self.fresh_city("495")
        self.add_contact(first, None, shared)
        self.add_contact(second, None, shared)

    # ------------------------------------------------------------ lead pieces

    def lead_name(self, contact: Contact, draft: Draft, need_surname: bool = False) -> str:
        """The contact's name as typed into a lead, kinds recorded against the base name.

        need_surname: the lead's identifier is shared (office line, info@, family phone), so
        the name must tell the person apart.
        """
        person, base_format = contact.person, contact.name_format
        rng = self.rng
        fmt = NAME_FORMATS_LEAD.pick(rng)
        if fmt == "same":
            fmt = base_format
        while need_surname and not ("F" in fmt and "I" in fmt):
            fmt = NAME_FORMATS_LEAD.pick(rng).replace("same", "IF")
        self.name_structure_kinds(base_format, fmt, draft)
        if base_format == "latin" and fmt != "latin":
            draft.kind("translit")
        first = person.first
        if fmt != "latin" and "I" in fmt and rng.random() < 0.12:
            dims = self.diminutives.get(first)
            if dims:
                first = rng.choice(dims)
                draft.kind("diminutive")
        shown = Person(
            person.gender, first, person.patronymic, person.surname, person.surname_masc,
            person.scheme, person.birth_year
        )  # fmt: skip
        if person.gender == "f" and person.surname != person.surname_masc and rng.random() < 0.02:
            shown.surname = person.surname_masc
            draft.kind("gender_form")
        roll = rng.random()
        if roll < 0.08 and fmt != "latin" and len(shown.surname) >= 4 and "F" in fmt:
            shown.surname = typo(shown.surname, rng)
            draft.kind("name_typo")
        elif roll < 0.11 and fmt != "latin" and len(shown.first) >= 4 and "I" in fmt:
            shown.first = typo(shown.first, rng)
            draft.kind("name_typo")
        has_yo = "ё" in f"{shown.first}{shown.patronymic}{shown.surname}".lower()
        keep_yo = rng.random() < 0.4 if has_yo else True
        text = render_name(shown, fmt, keep_yo)
        if fmt != "latin" and rng.random() < 0.06:
            text = self.latin_name(shown, fmt)
            draft.kind("translit")
        if has_yo and keep_yo != contact.keep_yo and base_format != "latin":
            draft.kind("yo")
        if fmt == "latin" and base_format != "latin":
            draft.kind("translit")
        if rng.random() < 0.04:
            text = text.lower() if rng.random() < 0.7 else text.upper()
            draft.kind("name_case")
        return text

    def latin_name(self, person: Person, fmt: str) -> str:
        """The name in Latin, in any scheme or in a conventional English form."""
        rng = self.rng
        scheme = SCHEME_WEIGHTS.pick(rng)
        first = translit(person.first, scheme)
        extra = nd.EXTRA_LATIN.get(person.first)
        if extra and rng.random() < 0.3:
            first = rng.choice(extra)
        sur = translit(person.surname, scheme)
        pat = translit(person.patronymic, scheme)
        return {
            "FIO": f"{sur} {first} {pat}",
            "IF": f"{first} {sur}",
            "FI": f"{sur} {first}",
            "IOF": f"{first} {pat} {sur}",
            "I": first,
            "IO": f"{first} {pat}",
            "F": sur,
            "Fio": f"{sur} {first[0]}.{pat[0]}.",
            "iF": f"{first[0]}. {sur}",
        }.get(fmt, f"{first} {sur}")

    @staticmethod
    def name_structure_kinds(base_format: str, fmt: str, draft: Draft) -> None:
        """Kinds describing how the lead's name structure differs from the base's."""
        b_first, b_pat, b_sur, b_init, b_order = name_parts(base_format)
        first, pat, sur, init, order = name_parts(fmt)
        if not sur and b_sur:
            draft.kind("first_name_only" if not pat else "no_surname")
        elif sur and not first and not init:
            draft.kind("surname_only")
        elif sur and b_pat and not pat and not init:
            draft.kind("short_name")
        if init and not b_init:
            draft.kind("initials")
        if (sur and not b_sur) or (pat and not b_pat) or (first and not b_first):
            draft.kind("fuller_name")
        if len(order) == 2 and len(b_order) == 2 and order != b_order:
            draft.kind("name_order")

    def write_phone(self, phone: Phone, draft: Draft, formats: Weighted[str]) -> str:
        """The phone in a random format; kinds phone_format / phone_ext."""
        fmt = formats.pick(self.rng)
        if fmt != "e164":
            draft.kind("phone_format")
        if phone.ext:
            draft.kind("phone_ext")
        return phone.written(fmt, self.rng)

    def corrupt_email(self, address: str, draft: Draft, strength: float = 1.0) -> str:
        """Provider aliases and case: gmail dots, +tags, Yandex domains, Ivan.Petrov@Mail.RU."""
        rng = self.rng
        local, domain = address.split("@")
        if domain == "gmail.com" and rng.random() < 0.3 * strength:
            address = gmail_dots(address, rng)
            draft.kind("gmail_dots")
        if domain in od.YANDEX_ALIASES and rng.random() < 0.3 * strength:
            alias = rng.choice([d for d in od.YANDEX_ALIASES if d != domain])
            if "." in local and rng.random() < 0.3:
                local = local.replace(".", "-")
            address = f"{local}@{alias}"
            draft.kind("yandex_alias")
        if domain in PLUS_TAG_DOMAINS and rng.random() < 0.12 * strength:
            local, _, rest = address.partition("@")
            address = f"{local}+{rng.choice(PLUS_TAGS)}@{rest}"
            draft.kind("plus_tag")
        if rng.random() < 0.08 * strength:
            address = email_case(address, rng)
            draft.kind("email_case")
        return address

    def request_text(self) -> str:
        """A typical request body."""
        rng = self.rng
        ask = rng.choice(od.ASKS).format(product=rng.choice(od.PRODUCTS))
        parts = [rng.choice(od.GREETINGS), ask, rng.choice(od.CALLS_TO_ACTION)]
        return " ".join(p for p in parts if p)

    def phone_sentence(self, phone: Phone, person: Person, draft: Draft) -> str:
        """A sentence carrying the phone inside free text."""
        fmt = LEAD_PHONE_FORMATS.pick(self.rng)
        if phone.ext:
            draft.kind("phone_ext")
        return self.rng.choice(od.PHONE_IN_TEXT).format(
            phone=phone.written(fmt, self.rng), name=person.first
        )

    def email_sentence(self, address: str, person: Person) -> str:
        """A sentence carrying the address inside free text."""
        return self.rng.choice(od.EMAIL_IN_TEXT).format(email=address, name=person.first)

    def signature(self, person: Person, company: Company | None, phone: Phone | None) -> str:
        """An e-mail signature: name, maybe company and phone."""
        rng = self.rng
        lines = ["--", rng.choice(("С уважением,", "С уважением", "Спасибо,", "Best regards,"))]
        lines.append(f"{person.first} {person.surname}")
        if company and rng.random() < 0.7:
            lines.append(company.name if rng.random() < 0.6 else self.company_variant(company))
        if phone:
            prefix = rng.choice(("тел. ", "Тел.: ", "моб. ", "", "T: "))
            lines.append(prefix + phone.written(LEAD_PHONE_FORMATS.pick(rng), rng))
        return "\n".join(lines)

    def add_company(self, company: Company | None, draft: Draft, share: float) -> None:
        """Company name (sometimes a variant) and INN on a lead."""
        rng = self.rng
        if company is None or rng.random() >= share:
            return
        if rng.random() < 0.4:
            draft.company = self.company_variant(company)
            draft.kind("company_variant")
        else:
            draft.company = company.name
        if company.inn and rng.random() < 0.12:
            draft.inn = company.inn

    # ------------------------------------------------------------ known people

    def known_lead(self, contact: Contact) -> Draft:
        """A lead from a person the base knows, through one channel, with corruptions."""
        if contact.telegram_id and self.rng.random() < 0.2:
            channel = "telegram"
        elif contact.vk_id and self.rng.random() < 0.15:
            channel = "vk"
        else:
            channel = self.channels_known.pick(self.rng)
        draft = Draft(channel)
        {
            "webform": self._known_webform,
            "call": self._known_call,
            "email": self._known_email,
            "telegram": self._known_messenger,
            "vk": self._known_messenger,
        }[channel](contact, draft)
        return draft

    def _pick_phone(self, contact: Contact, draft: Draft) -> Phone | None:
        """A personal phone of the contact; kinds second_phone / family_phone."""
        phones = contact.personal_phones
        if not phones:
            return None
        phone = self.rng.choice(phones)
        if phone is contact.family_phone:
            draft.kind("family_phone")
        elif phone is not phones[0]:
            draft.kind("second_phone")
        return phone

    def _known_webform(self, contact: Contact, draft: Draft) -> None:
        rng = self.rng
        person = contact.person
        phone = self._pick_phone(contact, draft) if rng.random() < 0.8 else None
        email = rng.choice(contact.personal_emails) if contact.personal_emails else None
        if email and phone and rng.random() < 0.45:
            email = None
        if phone is None and email is None:
            phone = self._pick_phone(contact, draft)
        special = rng.random()
        name_needed = False
        if special < 0.05 and email and phone:
            phone = self.fresh_mobile()
            draft.kinds = [k for k in draft.kinds if k not in ("family_phone", "second_phone")]
            draft.kind("new_phone")
        elif special < 0.10 and phone and phone is not contact.family_phone:
            email = self.fresh_email(person)
            draft.kind("new_email")
        elif special < 0.15 and contact.office_phone and (email or rng.random() < 0.5):
            phone = contact.office_phone
            draft.kinds = [k for k in draft.kinds if k not in ("family_phone", "second_phone")]
            draft.kind("office_phone")
            name_needed = True
        elif special < 0.19 and contact.role_email:
            email = contact.role_email
            draft.kind("role_email")
            name_needed = True
        name_needed = name_needed or "family_phone" in draft.kinds
        shape = rng.random()
        replaced = "new_phone" in draft.kinds or "new_email" in draft.kinds
        if shape < 0.07 and not name_needed and not replaced:
            # Only one identifier (a known one); no name, no company.
            if phone and email:
                if rng.random() < 0.5:
                    phone = None
                    draft.kinds = [k for k in draft.kinds if k not in ("second_phone",)]
                else:
                    email = None
            self._set_identifiers(draft, phone, email, person)
            draft.kind("identifier_only")
            draft.text = self.request_text()
            return
        if shape < 0.13:
            draft.kind("text_only")
            bits = [self.request_text()]
            if phone:
                bits.append(self.phone_sentence(phone, person, draft))
            if email:
                bits.append(self.email_sentence(self.corrupt_email(email, draft, 0.5), person))
            draft.text = " ".join(bits)
        else:
            self._set_identifiers(draft, phone, email, person)
            draft.text = self.request_text()
        if rng.random() < 0.08 and not name_needed:
            draft.kind("missing_name")
        else:
            draft.name = self.lead_name(contact, draft, name_needed)
        self.add_company(contact.company, draft, 0.55)

    def _set_identifiers(
        self, draft: Draft, phone: Phone | None, email: str | None, person: Person
    ) -> None:
        if phone:
            draft.phone = self.write_phone(phone, draft, LEAD_PHONE_FORMATS)
        if email:
            draft.email = self.corrupt_email(email, draft)

    def _known_call(self, contact: Contact, draft: Draft) -> None:
        rng = self.rng
        person = contact.person
        phone = self._pick_phone(contact, draft)
        name_needed = "family_phone" in draft.kinds
        if contact.office_phone and (phone is None or rng.random() < 0.1):
            phone = Phone(contact.office_phone.national)  # the PBX shows the main line
            draft.kinds = [k for k in draft.kinds if k not in ("family_phone", "second_phone")]
            draft.kind("office_phone")
            name_needed = True
        if phone is None:  # e-mail only contact: they call from a number we never saw
            phone = self.fresh_mobile()
            draft.kind("new_phone")
            name_needed = True
        draft.phone = self.write_phone(phone, draft, CALL_PHONE_FORMATS)
        roll = rng.random()
        if roll < 0.45 and not name_needed:
            draft.kind("missing_name")
        elif roll < 0.7 and not name_needed:
            draft.name = person.first
            self.name_structure_kinds(contact.name_format, "I", draft)
        else:
            draft.name = self.lead_name(contact, draft, name_needed)
            if "new_phone" in draft.kinds and contact.company:
                draft.company = contact.company.name
        if draft.company is None:
            self.add_company(contact.company, draft, 0.2)
        if "new_phone" in draft.kinds and contact.personal_emails:
            draft.text = self.email_sentence(rng.choice(contact.personal_emails), person)
            draft.kind("text_only")
        else:
            draft.text = rng.choice(od.CALL_NOTES).format(product=rng.choice(od.PRODUCTS))

    def _known_email(self, contact: Contact, draft: Draft) -> None:
        rng = self.rng
        person = contact.person
        phone = contact.personal_phones[0] if contact.personal_phones else None
        email = rng.choice(contact.personal_emails) if contact.personal_emails else None
        name_needed = False
        roll = rng.random()
        if email and roll < 0.05 and phone:
            email = self.fresh_email(person)
            draft.kind("new_email")
        elif contact.role_email and (email is None or roll < 0.1):
            email = contact.role_email
            draft.kind("role_email")
            name_needed = True
        elif email is None:
            email = self.fresh_email(person)
            draft.kind("new_email")
        draft.email = self.corrupt_email(email, draft, 1.3)
        from_roll = rng.random()
        if from_roll < 0.3:
            fmt = rng.choice(("IF", "IF", "FI") if name_needed else ("IF", "IF", "FI", "I"))
            draft.name = self.latin_name(person, fmt)
            self.name_structure_kinds(contact.name_format, fmt, draft)
            if contact.name_format != "latin":
                draft.kind("translit")
        elif from_roll < 0.8 or name_needed:
            draft.name = self.lead_name(contact, draft, name_needed)
        else:
            draft.kind("missing_name")
        body = [self.request_text()]
        sign_phone = phone if ("new_email" in draft.kinds or rng.random() < 0.4) else None
        if rng.random() < 0.6 or sign_phone or name_needed:
            body.append(self.signature(person, contact.company, sign_phone))
            if sign_phone and "new_email" in draft.kinds:
                draft.kind("text_only")
        draft.text = "\n\n".join(body)
        self.add_company(contact.company, draft, 0.2)

    def _known_messenger(self, contact: Contact, draft: Draft) -> None:
        rng = self.rng
        person = contact.person
        if draft.channel == "telegram":
            if contact.telegram_id:
                draft.telegram_id = contact.telegram_id
                keep = rng.random() < 0.85
                draft.telegram_username = contact.telegram_username if keep else None
                draft.kind("telegram")
            elif contact.telegram_username:
                draft.telegram_id = self.fresh_id(100_000_000, 7_500_000_000)
                draft.telegram_username = contact.telegram_username
                draft.kind("telegram_username")
            else:
                draft.telegram_id = self.fresh_id(100_000_000, 7_500_000_000)
                if rng.random() < 0.4:
                    draft.telegram_username = self.fresh_username(person)
                draft.kind("telegram_new")
            linked = "telegram_new" not in draft.kinds
        else:
            if contact.vk_id:
                draft.vk_id = contact.vk_id
                draft.kind("vk")
            else:
                draft.vk_id = self.fresh_id(1, 900_000_000)
                draft.kind("vk_new")
            linked = "vk_new" not in draft.kinds
        roll = rng.random()
        if draft.channel == "vk" or roll < 0.3:
            if rng.random() < 0.1:
                draft.name = self.latin_name(person, "IF")
                draft.kind("translit")
            else:
                draft.name = f"{person.first} {person.surname}"
                self.name_structure_kinds(contact.name_format, "IF", draft)
        elif roll < 0.65:
            draft.name = person.first
            self.name_structure_kinds(contact.name_format, "I", draft)
        elif roll < 0.85 and self.diminutives.get(person.first):
            draft.name = rng.choice(self.diminutives[person.first])
            draft.kind("diminutive")
            self.name_structure_kinds(contact.name_format, "I", draft)
        else:
            draft.name = translit(person.first, SCHEME_WEIGHTS.pick(rng))
            draft.kind("translit")
            self.name_structure_kinds(contact.name_format, "I", draft)
        bits = [self.request_text()]
        if not linked:
            phone = contact.personal_phones[0] if contact.personal_phones else None
            if phone and draft.channel == "telegram" and rng.random() < 0.4:
                draft.phone = phone.written("e164")  # a shared contact card
            elif phone:
                bits.append(self.phone_sentence(phone, person, draft))
                draft.kind("text_only")
            else:
                email = contact.personal_emails[0] if contact.personal_emails else None
                if email is None and contact.role_email:
                    email = contact.role_email
                    draft.kind("role_email")
                    draft.name = f"{person.first} {person.surname}"
                assert email is not None
                bits.append(self.email_sentence(email, person))
                draft.kind("text_only")
        draft.text = " ".join(bits)
        self.add_company(contact.company, draft, 0.15)

    # ------------------------------------------------------------ new people

    def new_lead(self) -> tuple[Draft, str | None, Company | None]:
        """A lead from someone the base does not know: (draft, hard negative, company)."""
        rng = self.rng
        category = self.new_categories.pick(rng)
        builder = getattr(self, f"_new_{category}")
        result: tuple[Draft, Company | None] | None = builder()
        if result is None:  # no suitable base record for this hard negative
            draft, company = self._new_plain()
            category = "plain"
        else:
            draft, company = result
        hard = category if category in HARD_NEGATIVES else None
        if category == "plain" and draft.name and self._chance_namesake(draft.name):
            hard = "chance_namesake"
        return draft, hard, company

    def _chance_namesake(self, name: str) -> bool:
        tokens = name.split()
        return len(tokens) >= 2 and any(
            (a, b) in self.by_first_surname for a in tokens for b in tokens if a != b
        )

    def _plain_identifiers(self, person: Person, draft: Draft, company: Company | None) -> None:
        rng = self.rng
        channel = draft.channel
        if channel == "call":
            draft.phone = self.fresh_mobile().written(CALL_PHONE_FORMATS.pick(rng))
            if rng.random() < 0.55:
                draft.name = rng.choice((person.first, f"{person.first} {person.surname}"))
            draft.text = rng.choice(od.CALL_NOTES).format(product=rng.choice(od.PRODUCTS))
            return
        if channel in ("telegram", "vk"):
            if channel == "telegram":
                draft.telegram_id = self.fresh_id(100_000_000, 7_500_000_000)
                if rng.random() < 0.5:
                    draft.telegram_username = self.fresh_username(person)
            else:
                draft.vk_id = self.fresh_id(1, 900_000_000)
            draft.name = rng.choice((person.first, f"{person.first} {person.surname}"))
            draft.text = self.request_text()
            if rng.random() < 0.5:
                draft.text += " " + self.phone_sentence(self.fresh_mobile(), person, draft)
            return
        domain = company.domain if company and company.domain and rng.random() < 0.5 else None
        email = self.fresh_email(person, domain)
        if channel == "email":
            draft.email = email
            if rng.random() < 0.8:
                draft.name = (
                    self.latin_name(person, "IF")
                    if rng.random() < 0.3
                    else render_name(person, NAME_FORMATS_BASE.pick(rng))
                )
            phone = self.fresh_mobile() if rng.random() < 0.4 else None
            draft.text = self.request_text() + "\n\n" + self.signature(person, company, phone)
            return
        if rng.random() < 0.85:
            draft.phone = self.fresh_mobile().written(LEAD_PHONE_FORMATS.pick(rng))
        if draft.phone is None or rng.random() < 0.55:
            draft.email = email
        if rng.random() < 0.9:
            draft.name = render_name(person, NAME_FORMATS_LEAD.pick(rng).replace("same", "IF"))
        draft.text = self.request_text()

    def _new_plain(self) -> tuple[Draft, Company | None]:
        rng = self.rng
        draft = Draft(self.channels_new.pick(rng))
        person = self.person()
        company = rng.choice(self.held_out_companies) if rng.random() < 0.4 else None
        self._plain_identifiers(person, draft, company)
        if company and draft.channel != "call" and rng.random() < 0.6:
            draft.company = company.name
        return draft, None

    def _new_known_company(self) -> tuple[Draft, Company | None]:
        rng = self.rng
        company = rng.choice(self.companies)
        draft = Draft(rng.choice(("webform", "webform", "email", "call")))
        person = self.person()
        self._plain_identifiers(person, draft, company)
        has_domain_email = bool(company.domain and draft.email and company.domain in draft.email)
        if draft.channel != "call" or rng.random() < 0.3:
            if rng.random() < 0.4:
                draft.company = self.company_variant(company)
                draft.kind("company_variant")
            else:
                draft.company = company.name
        if company.inn and rng.random() < 0.2:
            draft.inn = company.inn
        if draft.company is None and draft.inn is None and not has_domain_email:
            draft.company = company.name
        return draft, company

    def _new_namesake(self) -> tuple[Draft, Company | None] | None:
        rng = self.rng
        for _ in range(20):
            contact = rng.choice(self.contacts)
            _, _, has_sur, init, _ = name_parts(contact.name_format)
            if has_sur and not init and contact.name_format != "latin":
                break
        else:
            return None
        other = contact.person
        twin = self.person(other.gender, other.surname_masc)
        twin.first = other.first
        if rng.random() < 0.7:
            twin.patronymic = other.patronymic
        channel = rng.choice(("webform", "webform", "email", "call"))
        draft = Draft(channel)
        self._plain_identifiers(twin, draft, None)
        draft.name = contact.name if rng.random() < 0.6 else f"{twin.first} {twin.surname}"
        if contact.name_format == "FIO" and twin.patronymic != other.patronymic:
            draft.name = render_name(twin, "FIO")
        return draft, None

    def _new_family(self) -> tuple[Draft, Company | None] | None:
        rng = self.rng
        for _ in range(20):
            contact = rng.choice(self.contacts)
            if contact.personal_phones:
                break
        else:
            return None
        phone = contact.family_phone or rng.choice(contact.personal_phones)
        sharing = [c.person for c in self.contacts_with_phone(phone.national, contact)]
        kin = self.distinct_person(sharing, rng.choice("mf"), contact.person.surname_masc)
        if contact.person.gender == "m" and rng.random() < 0.5:
            kin.patronymic = next(
                (r[2] if kin.gender == "m" else r[3])
                for r in nd.MALE_NAMES
                if r[0] == contact.person.first
            )
        draft = Draft(rng.choice(("call", "webform", "webform")))
        formats = CALL_PHONE_FORMATS if draft.channel == "call" else LEAD_PHONE_FORMATS
        draft.phone = phone.written(formats.pick(rng))
        draft.name = render_name(kin, rng.choice(("IF", "FI", "I", "FIO")))
        if draft.channel == "webform" and rng.random() < 0.5:
            draft.email = self.fresh_email(kin)
        draft.text = self.request_text()
        return draft, None

    def distinct_person(
        self, others: Sequence[Person], gender: str | None = None, surname: str | None = None
    ) -> Person:
        """A new person whose first name cannot be mistaken for any of the others'."""
        person = self.person(gender, surname)
        for _ in range(50):
            if not any(similar_first_names(person.first, o.first) for o in others):
                break
            person = self.person(gender, surname)
        return person

    def contacts_with_phone(self, national: str, contact: Contact) -> list[Contact]:
        """The contact and anyone sharing its family phone."""
        if contact.family_phone is None or contact.family_phone.national != national:
            return [contact]
        return self.family_index.get(national, [contact])

    def _new_colleague_phone(self) -> tuple[Draft, Company | None] | None:
        candidates = self.office_companies
        if not candidates:
            return None
        rng = self.rng
        company = rng.choice(candidates)
        person = self.distinct_person([c.person for c in company.office_sharers])
        draft = Draft(rng.choice(("call", "webform")))
        office = Phone(company.phones[0].national)
        if draft.channel == "webform" and rng.random() < 0.4:
            office.ext = str(rng.randint(100, 499))
        formats = CALL_PHONE_FORMATS if draft.channel == "call" else LEAD_PHONE_FORMATS
        draft.phone = office.written(formats.pick(rng), rng)
        draft.name = render_name(person, rng.choice(("IF", "FI", "FIO", "I")))
        if rng.random() < 0.5:
            draft.company = company.name if rng.random() < 0.6 else self.company_variant(company)
        draft.text = self.request_text()
        return draft, company

    def _new_colleague_email(self) -> tuple[Draft, Company | None] | None:
        candidates = self.role_companies
        if not candidates:
            return None
        rng = self.rng
        company = rng.choice(candidates)
        person = self.distinct_person([c.person for c in company.role_sharers])
        draft = Draft(rng.choice(("email", "webform")))
        draft.email = company.emails[0]
        draft.name = render_name(person, rng.choice(("IF", "FI", "FIO")))
        phone = self.fresh_mobile() if rng.random() < 0.5 else None
        if draft.channel == "email":
            draft.text = self.request_text() + "\n\n" + self.signature(person, company, phone)
        else:
            draft.text = self.request_text()
            if phone:
                draft.phone = phone.written(LEAD_PHONE_FORMATS.pick(rng))
        return draft, company

    def _new_common_name(self) -> tuple[Draft, Company | None] | None:
        rng = self.rng
        crowded = self.crowded_names
        if not crowded:
            return None
        first, surname = rng.choice(crowded)
        sample = self.by_first_surname[(first, surname)][0].person
        person = self.person(sample.gender, sample.surname_masc)
        person.first = first
        draft = Draft(rng.choice(("webform", "webform", "call", "telegram", "vk")))
        self._plain_identifiers(person, draft, None)
        draft.name = rng.choice((f"{first} {surname}", f"{surname} {first}"))
        return draft, None

    def _new_same_local_part(self) -> tuple[Draft, Company | None] | None:
        rng = self.rng
        free = [d for d, _ in od.FREE_DOMAINS]
        for _ in range(30):
            contact = rng.choice(self.contacts)
            emails = [e for e in contact.personal_emails if e.split("@")[1] in free]
            if emails:
                break
        else:
            return None
        local, domain = rng.choice(emails).split("@")
        yandex = set(od.YANDEX_ALIASES)
        others = [d for d in free if d != domain and not (d in yandex and domain in yandex)]
        address = f"{local}@{rng.choice(others)}"
        if address in self.used_emails:
            return None
        self.used_emails.add(address)
        person = self.person()
        draft = Draft(rng.choice(("email", "webform")))
        draft.email = address
        if rng.random() < 0.6:
            draft.name = render_name(person, rng.choice(("IF", "FI", "I")))
        draft.text = self.request_text()
        return draft, None

    def _new_near_phone(self) -> tuple[Draft, Company | None] | None:
        rng = self.rng
        for _ in range(30):
            contact = rng.choice(self.contacts)
            if contact.mobiles:
                break
        else:
            return None
        national = contact.mobiles[0].national
        for _ in range(20):
            pos = rng.randrange(3, 10)
            digit = str((int(national[pos]) + rng.randint(1, 9)) % 10)
            near = national[:pos] + digit + national[pos + 1 :]
            if near not in self.used_phones:
                self.used_phones.add(near)
                break
        else:
            return None
        person = self.person()
        draft = Draft(rng.choice(("call", "webform")))
        formats = CALL_PHONE_FORMATS if draft.channel == "call" else LEAD_PHONE_FORMATS
        draft.phone = Phone(near).written(formats.pick(rng))
        if draft.channel == "webform" or rng.random() < 0.5:
            draft.name = render_name(person, rng.choice(("IF", "FI", "I")))
        draft.text = self.request_text()
        return draft, None

    # ------------------------------------------------------------ shared numbers, typos

    def build_extra_leads(self, n: int, seed: int) -> None:
        """Shared-number and one-typo leads from a separate stream, appended with truth."""
        main_rng, self.rng = self.rng, random.Random(f"extra-{seed}")
        try:
            pick = Weighted(list(EXTRA_CATEGORIES))
            for _ in range(n):
                category = pick.pick(self.rng)
                built = getattr(self, f"_extra_{category}")()
                if built is None:
                    continue
                draft, contact, company, hard = built
                self._append_lead(draft, contact, company, hard)
        finally:
            self.rng = main_rng

    def _extra_colleague_office_call(self) -> tuple[Draft, None, Company, str] | None:
        if not self.office_companies:
            return None
        company = self.rng.choice(self.office_companies)
        draft = Draft("call")
        draft.phone = Phone(company.phones[0].national).written(CALL_PHONE_FORMATS.pick(self.rng))
        draft.text = self.rng.choice(od.CALL_NOTES).format(product=self.rng.choice(od.PRODUCTS))
        draft.kind("office_phone")
        draft.kind("missing_name")
        return draft, None, company, "colleague_office_call"

    def _extra_colleague_office_named(self) -> tuple[Draft, None, Company, str] | None:
        built = self._new_colleague_phone()
        if built is None:
            return None
        draft, company = built
        assert company is not None
        draft.kind("office_phone")
        return draft, None, company, "colleague_office_named"

    def _extra_family_call(self) -> tuple[Draft, None, None, str] | None:
        families = [v for v in self.family_index.values() if len(v) >= 2]
        if not families:
            return None
        holders = self.rng.choice(families)
        phone = holders[0].family_phone
        assert phone is not None
        kin = self.distinct_person(
            [c.person for c in holders], self.rng.choice("mf"), holders[0].person.surname_masc
        )
        draft = Draft(self.rng.choice(("call", "webform", "telegram")))
        draft.phone = phone.written(CALL_PHONE_FORMATS.pick(self.rng))
        draft.name = render_name(kin, self.rng.choice(("I", "IF", "FI")))
        if draft.channel == "telegram":
            draft.telegram_id = self.fresh_id(100_000_000, 7_500_000_000)
        draft.text = self.request_text()
        draft.kind("family_phone")
        return draft, None, None, "family_call"

    def _typo_target(self, need: str) -> Contact | None:
        for _ in range(50):
            contact = self.rng.choice(self.contacts)
            _, _, has_sur, init, _ = name_parts(contact.name_format)
            if not has_sur or init or contact.name_format == "latin":
                continue
            if (need == "phone" and contact.mobiles) or (
                need == "email" and contact.personal_emails
            ):
                return contact
        return None

    def _extra_phone_typo(self) -> tuple[Draft, Contact, Company | None, None] | None:
        contact = self._typo_target("phone")
        if contact is None:
            return None
        national = contact.mobiles[0].national
        pos = self.rng.randrange(3, len(national))
        digit = str((int(national[pos]) + self.rng.randint(1, 9)) % 10)
        near = national[:pos] + digit + national[pos + 1 :]
        if near in self.used_phones:
            return None
        draft = Draft(self.rng.choice(("webform", "call")))
        draft.phone = Phone(near).written(LEAD_PHONE_FORMATS.pick(self.rng))
        draft.name = render_name(contact.person, self.rng.choice(("IF", "FI", "FIO")))
        draft.text = self.request_text()
        draft.kind("phone_typo")
        return draft, contact, contact.company, None

    def _extra_email_typo(self) -> tuple[Draft, Contact, Company | None, None] | None:
        contact = self._typo_target("email")
        if contact is None:
            return None
        address = self.rng.choice(contact.personal_emails)
        local, _, domain = address.partition("@")
        near = f"{typo(local, self.rng)}@{domain}" if len(local) > 3 else f"{local}1@{domain}"
        if near.lower() == address.lower() or near in self.used_emails:
            return None
        draft = Draft(self.rng.choice(("webform", "email")))
        draft.email = near
        draft.name = render_name(contact.person, self.rng.choice(("IF", "FI", "FIO")))
        draft.text = self.request_text()
        draft.kind("email_typo")
        return draft, contact, contact.company, None

    def _append_lead(
        self, draft: Draft, contact: Contact | None, company: Company | None, hard: str | None
    ) -> None:
        lead_id = f"l{len(self.leads) + 1:06d}"
        self.leads.append(
            {
                "id": lead_id,
                "channel": draft.channel,
                "name": draft.name,
                "phone": draft.phone,
                "email": draft.email,
                "company": draft.company,
                "inn": draft.inn,
                "telegram_id": draft.telegram_id,
                "telegram_username": draft.telegram_username,
                "vk_id": draft.vk_id,
                "text": draft.text or None,
            }
        )
        self.truth.append(
            {
                "lead_id": lead_id,
                "contact_id": contact.id if contact else None,
                "company_id": company.id if company and company.id else None,
                "kinds": draft.kinds,
                "channel": draft.channel,
                "hard_negative": hard,
            }
        )

    # ------------------------------------------------------------ assembly

    def build_leads(self) -> None:
        """Known-person and new-person leads, shuffled, with their truth lines."""
        rng = self.rng
        n_known = round(self.n_leads * KNOWN_SHARE)
        plan = [True] * n_known + [False] * (self.n_leads - n_known)
        rng.shuffle(plan)
        for number, known in enumerate(plan, 1):
            lead_id = f"l{number:06d}"
            if known:
                contact = rng.choice(self.contacts)
                draft = self.known_lead(contact)
                contact_id = contact.id
                company_id = contact.company.id if contact.company else None
                hard = None
            else:
                draft, hard, company = self.new_lead()
                contact_id = None
                company_id = company.id if company and company.id else None
            self.leads.append(
                {
                    "id": lead_id,
                    "channel": draft.channel,
                    "name": draft.name,
                    "phone": draft.phone,
                    "email": draft.email,
                    "company": draft.company,
                    "inn": draft.inn,
                    "telegram_id": draft.telegram_id,
                    "telegram_username": draft.telegram_username,
                    "vk_id": draft.vk_id,
                    "text": draft.text or None,
                }
            )
            self.truth.append(
                {
                    "lead_id": lead_id,
                    "contact_id": contact_id,
                    "company_id": company_id,
                    "kinds": draft.kinds,
                    "channel": draft.channel,
                    "hard_negative": hard,
                }
            )


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """One JSON object per line, UTF-8, Cyrillic unescaped."""
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def generate(
    out: Path,
    seed: int = 7,
    contacts: int = 20000,
    leads: int = 4000,
    companies: int | None = None,
    extra: int | None = None,
) -> dict[str, int]:
    """Write the four files into out; return counts (`extra`: shared-number and one-typo
    leads appended, by default 5% of `leads`; 0 gives the set as it was before them)."""
    gen = Generator(seed, contacts, leads, companies if companies is not None else contacts // 4)
    gen.build_base()
    gen.build_leads()
    gen.build_extra_leads(round(leads * EXTRA_SHARE) if extra is None else extra, seed)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "companies.jsonl", [c.record() for c in gen.companies])
    write_jsonl(out / "contacts.jsonl", [c.record() for c in gen.contacts])
    write_jsonl(out / "leads.jsonl", gen.leads)
    write_jsonl(out / "truth.jsonl", gen.truth)
    known = sum(1 for t in gen.truth if t["contact_id"])
    return {
        "companies": len(gen.companies),
        "contacts": len(gen.contacts),
        "leads": len(gen.leads),
        "known": known,
        "new": len(gen.leads) - known,
        "hard_negatives": sum(1 for t in gen.truth if t["hard_negative"]),
    }


def main() -> None:
    """Command line: generate a data set into --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the four files")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--leads", type=int, default=4000)
    parser.add_argument("--companies", type=int, default=None, help="default: contacts / 4")
    parser.add_argument(
        "--extra",
        type=int,
        default=None,
        help="shared-number and one-typo leads appended (default: 5%% of --leads)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(args.out, args.seed, args.contacts, args.leads, args.companies, args.extra)
    took = time.perf_counter() - started
    print(", ".join(f"{k} {v}" for k, v in counts.items()) + f"; {took:.1f} s → {args.out}")


if __name__ == "__main__":
    main()
