"""Field-by-field comparison of a lead with one candidate, as weighted, explained evidence."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz.distance import OSA, Levenshtein

from dedupe.companies import CompanyName
from dedupe.frequency import MIN_POPULATION, effective_frequency
from dedupe.messengers import KNOWN_KINDS, TELEGRAM_ID_KIND, TELEGRAM_USERNAME_KIND, is_key_kind
from dedupe.names import PersonName, first_names_compatible
from dedupe.profile import EmailKey, Profile
from dedupe.translit import to_latin


class Outcome(StrEnum):
    """How one field compared."""

    MATCH = "match"
    SIMILAR = "similar"
    SHARED = "shared"
    CONFLICT = "conflict"


class Strength(StrEnum):
    """What kind of proof a piece of evidence is."""

    IDENTIFIER = "identifier"  # alone enough to link when nothing contradicts it
    HINT = "hint"  # an identifier that may be reused or was inferred; needs a name to back it
    NEAR = "near"  # an identifier one typo off: worth a review, never proof
    NAME = "name"
    COMPANY = "company"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One compared field: outcome, weight (log-odds) and a reason a manager can read."""

    field: str
    outcome: Outcome
    weight: float
    strength: Strength
    note: str
    shared_by: int = 1


class NumberUse(StrEnum):
    """Why a phone is known to be shared."""

    OFFICE = "office"  # on a company record, or on several contacts of one company
    FAMILY = "family"  # on several contacts with one surname


@dataclass(frozen=True, slots=True)
class SharedNumber:
    """A phone several people use: an office line or a family phone, and who holds it."""

    phone: str
    use: NumberUse
    holders: tuple[int, ...] = ()
    company_id: int | None = None
    company_name: str | None = None

    @property
    def label(self) -> str:
        """How the explanation names the number ("номер общий для офиса ООО «Вектор»")."""
        if self.use is NumberUse.FAMILY:
            return "номер общий для семьи"
        return f"номер общий для офиса {self.company_name or 'компании'}"


@dataclass(frozen=True, slots=True)
class LeadCompany:
    """The known company a lead points at (by INN, mail domain or name), and on what basis."""

    company_id: int
    basis: str  # how the explanation says it: "по ИНН", "по домену почты", "по названию"


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything known about one lead–candidate pair."""

    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    @property
    def total(self) -> float:
        """Sum of the evidence weights (log-odds of "same person")."""
        return sum(e.weight for e in self.evidence)

    @property
    def has_identifier_proof(self) -> bool:
        """An unshared-enough identifier matched, or a hint backed by the name."""
        positive = [e for e in self.evidence if e.weight > 0]
        if any(e.strength is Strength.IDENTIFIER for e in positive):
            return True
        return any(e.strength is Strength.HINT for e in positive) and self.name_supports

    @property
    def proof_is_name_and_company(self) -> bool:
        """The only proof is a full name at the same company (no phone, e-mail or id)."""
        return (
            any(e.field == NAME_COMPANY_FIELD for e in self.evidence)
            and not self.has_personal_identifier
        )

    @property
    def has_personal_identifier(self) -> bool:
        """A phone, e-mail or messenger id of this record matched (shared ones too)."""
        return any(
            e.weight > 0
            and e.strength in (Strength.IDENTIFIER, Strength.HINT)
            and e.field != NAME_COMPANY_FIELD
            for e in self.evidence
        )

    @property
    def name_only(self) -> bool:
        """Nothing but the name speaks for this candidate."""
        positive = [e for e in self.evidence if e.weight > 0]
        return bool(positive) and all(e.strength is Strength.NAME for e in positive)

    @property
    def company_conflict(self) -> bool:
        """The lead names another company than the candidate's."""
        return any(e.field == "company" and e.outcome is Outcome.CONFLICT for e in self.evidence)

    @property
    def name_supports(self) -> bool:
        """The surname or the first name agrees (and, see name_conflict, nothing disagrees)."""
        return any(e.field in ("surname", "first_name") and e.weight > 0 for e in self.evidence)

    @property
    def veto(self) -> Evidence | None:
        """A rule that forbids an automatic link (a shared number whose holder's name
        disagrees, or a lead with no name on a shared number)."""
        return next(
            (
                e
                for e in self.evidence
                if e.field == "shared_number" and e.outcome is Outcome.CONFLICT
            ),
            None,
        )

    @property
    def near_identifier(self) -> Evidence | None:
        """A phone or e-mail one typo off from the candidate's (review, never automatic)."""
        return next((e for e in self.evidence if e.strength is Strength.NEAR), None)

    @property
    def name_conflict(self) -> bool:
        """The names say these are different people (another first name or patronymic)."""
        return any(
            e.outcome is Outcome.CONFLICT and e.field in ("first_name", "patronymic")
            for e in self.evidence
        )


@dataclass(frozen=True, slots=True)
class KeyStats:
    """How many contacts share each key, and how many contacts there are."""

    counts: Mapping[str, int]
    contacts_total: int

    def shared_by(self, stored_key: str) -> int:
        """Contacts with this key (at least 1: the candidate itself has it)."""
        return max(1, self.counts.get(stored_key, 1))


# Weights are log-odds; see docs in the README's "Duplicate detection" section.
PHONE_WEIGHT = 6.5
EMAIL_WEIGHT = 7.0
ROLE_EMAIL_WEIGHT = 1.0
CANONICAL_EMAIL_WEIGHT = 4.5
MESSENGER_ID_WEIGHT = 9.0
MESSENGER_ID_CONFLICT = -3.0
USERNAME_WEIGHT = 4.5
TEXT_FACTOR = 0.75
SHARE_PENALTY = 2.0
MIN_SHARED_WEIGHT = 0.5
FIRST_NAME_WEIGHT = 1.5
FIRST_NAME_TYPO_WEIGHT = 0.8
INITIAL_WEIGHT = 0.5
FIRST_NAME_CONFLICT = -4.5
PATRONYMIC_WEIGHT = 1.5
PATRONYMIC_CONFLICT = -3.0
SURNAME_CONFLICT = -2.5
SURNAME_TYPO_FACTOR = 0.6
GENDER_CONFLICT = -2.0
NEAR_IDENTIFIER_WEIGHT = 2.0
COMPANY_WEIGHT = 1.0
INN_WEIGHT = 1.5
# The candidate works at the company the lead was matched to (by INN, domain or name).
SAME_COMPANY_WEIGHT = 1.5
# The lead names another company: with a phone or e-mail match, likely a job change; with
# nothing but the name, a namesake elsewhere (not even worth a review).
OTHER_COMPANY_WEIGHT = -0.5
OTHER_COMPANY_NAME_ONLY_WEIGHT = -3.5
NAME_COMPANY_FIELD = "name_company"
NAME_COMPANY_WEIGHT = 2.0
# "Rare" for the name + company rule: this many contacts or fewer carry the surname, or
# the surname with this first name.
RARE_NAME_HOLDERS = 3
# ...or, for surname with first name, at most one contact in this many carries the pair
# (at 20,000 contacts: 10 holders; a chance namesake at the same firm is then unlikely).
RARE_PAIR_PER_CONTACTS = 2000


def compare(
    lead: Profile,
    candidate: Profile,
    stats: KeyStats,
    shared: Mapping[str, SharedNumber] | None = None,
    company: LeadCompany | None = None,
    candidate_company_id: int | None = None,
) -> Comparison:
    """Compare every field both sides have; `shared` marks the lead's office/family phones,
    `company` the known company the lead points at (the candidate's is
    `candidate_company_id`)."""
    shared = shared or {}
    evidence: list[Evidence] = []
    phones = _phones(lead, candidate, stats, shared)
    evidence += phones
    emails = _emails(lead, candidate, stats)
    evidence += emails
    messengers = _messengers(lead, candidate)
    evidence += messengers
    names = compare_names(lead.name, candidate.name, stats)
    evidence += names
    identified = any(e.weight > 0 for e in (*phones, *emails, *messengers))
    affiliation = _affiliation(
        lead, candidate, company, candidate_company_id, identified=identified
    )
    evidence += affiliation
    if not any(e.outcome is Outcome.CONFLICT for e in messengers):
        evidence += _name_and_company(lead, names, affiliation, stats, company)
    on_shared = [
        shared[p]
        for p in sorted((lead.phones | lead.text_phones) & candidate.phones)
        if p in shared
    ]
    if on_shared:
        evidence.append(_shared_number_rule(lead, candidate, on_shared[0], names))
    if _name_agrees(names):
        if not phones:
            evidence += _near_phone(lead, candidate)
        if not emails:
            evidence += _near_email(lead, candidate)
    return Comparison(tuple(evidence))


def _shared_number_rule(
    lead: Profile, candidate: Profile, number: SharedNumber, names: list[Evidence]
) -> Evidence:
    """Why a match on an office or family number does (or does not) make a link."""
    label = number.label
    conflict = {e.field for e in names if e.outcome is Outcome.CONFLICT}
    if lead.name.empty:
        return Evidence(
            "shared_number",
            Outcome.CONFLICT,
            0.0,
            Strength.HINT,
            f"{label}: обратившийся не назвался — "
            + (
                "привязываем к компании, владельцев номера предлагаем на проверку"
                if number.use is NumberUse.OFFICE
                else "владельцев номера предлагаем на проверку"
            ),
            len(number.holders) or 1,
        )
    for field_name, why in (
        ("first_name", "у владельца другое имя"),
        ("patronymic", "у владельца другое отчество"),
        ("gender", "владелец другого пола"),
        ("surname", "у владельца другая фамилия"),
    ):
        if field_name in conflict:
            return Evidence(
                "shared_number",
                Outcome.CONFLICT,
                0.0,
                Strength.HINT,
                f"{label}: {why}",
                len(number.holders) or 1,
            )
    # A family shares the surname, so there only the first name tells the holder.
    backing = ("first_name",) if number.use is NumberUse.FAMILY else ("surname", "first_name")
    if not any(e.weight > 0 and e.field in backing for e in names):
        return Evidence(
            "shared_number",
            Outcome.CONFLICT,
            0.0,
            Strength.HINT,
            f"{label}: имя владельца не подтверждено",
            len(number.holders) or 1,
        )
    return Evidence(
        "shared_number",
        Outcome.MATCH,
        0.0,
        Strength.HINT,
        f"{label}: имя владельца совпало",
        len(number.holders) or 1,
    )


def _name_agrees(names: list[Evidence]) -> bool:
    """Surname (when both have one) and first name agree, and nothing in the name disagrees."""
    if any(e.outcome is Outcome.CONFLICT for e in names):
        return False
    fields = {e.field for e in names if e.weight > 0 and e.field != "patronymic"}
    has_surname = any(e.field == "surname" for e in names)
    return "first_name" in fields and ("surname" in fields or not has_surname)


def _near_phone(lead: Profile, candidate: Profile) -> list[Evidence]:
    for ours in sorted(lead.phones | lead.text_phones):
        for theirs in sorted(candidate.phones):
            diff = _one_digit_off(ours, theirs)
            if diff is not None:
                return [
                    Evidence(
                        "phone",
                        Outcome.SIMILAR,
                        NEAR_IDENTIFIER_WEIGHT,
                        Strength.NEAR,
                        f"телефон отличается одной цифрой ({diff})",
                    )
                ]
    return []


def _one_digit_off(ours: str, theirs: str) -> str | None:
    """ "3-я с конца: 5 вместо 4" when the numbers differ in one digit (or two swapped)."""
    if len(ours) != len(theirs) or ours == theirs:
        return None
    positions = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    if len(positions) == 1:
        i = positions[0]
        return f"{len(ours) - i}-я цифра с конца: {ours[i]} вместо {theirs[i]}"
    if (
        len(positions) == 2
        and positions[1] == positions[0] + 1
        and ours[positions[0]] == theirs[positions[1]]
        and ours[positions[1]] == theirs[positions[0]]
    ):
        return "две соседние цифры переставлены"
    return None


def _near_email(lead: Profile, candidate: Profile) -> list[Evidence]:
    for ours in (*lead.emails, *lead.text_emails):
        if ours.role:
            continue
        for theirs in candidate.emails:
            if theirs.role or ours.address == theirs.address:
                continue
            if OSA.distance(ours.address, theirs.address, score_cutoff=1) == 1:
                return [
                    Evidence(
                        "email",
                        Outcome.SIMILAR,
                        NEAR_IDENTIFIER_WEIGHT,
                        Strength.NEAR,
                        "e-mail отличается одним символом ("
                        + _email_difference(ours.address, theirs.address)
                        + ")",
                    )
                ]
    return []


def _email_difference(ours: str, theirs: str) -> str:
    """What one edit turns `theirs` into `ours` ("«a» вместо «o»")."""
    shorter = min(len(ours), len(theirs))
    i = next((i for i in range(shorter) if ours[i] != theirs[i]), shorter)
    if len(ours) == len(theirs):
        if i + 1 < len(ours) and ours[i] == theirs[i + 1] and ours[i + 1] == theirs[i]:
            return f"переставлены «{theirs[i]}{theirs[i + 1]}»"
        return f"«{ours[i]}» вместо «{theirs[i]}»"
    if len(ours) > len(theirs):
        return f"лишний символ «{ours[i]}»"
    return f"пропущен символ «{theirs[i]}»"


def shared_weight(base: float, shared_by: int) -> float:
    """Weight of an identifier match, lowered as more contacts share the identifier."""
    return max(MIN_SHARED_WEIGHT, base - SHARE_PENALTY * math.log2(shared_by))


def _phones(
    lead: Profile, candidate: Profile, stats: KeyStats, shared: Mapping[str, SharedNumber]
) -> list[Evidence]:
    found = []
    for phone, from_text in [(p, False) for p in lead.phones] + [
        (p, True) for p in lead.text_phones
    ]:
        if phone not in candidate.phones:
            continue
        n = stats.shared_by(f"p:{phone}")
        own = from_text and phone in lead.own_text
        weight = shared_weight(PHONE_WEIGHT, n) * (TEXT_FACTOR if from_text and not own else 1.0)
        where = (
            "в тексте сообщения, назван своим"
            if own
            else ("в тексте сообщения" if from_text else "в поле телефона")
        )
        number = shared.get(phone)
        if number is not None:
            note = f"телефон совпал ({where}), но это {number.label} (записей с ним: {n})"
        elif n == 1:
            note = f"телефон совпал ({where}), больше ни у кого его нет"
        else:
            note = f"телефон совпал ({where}), но он общий (записей с ним: {n})"
        # From free text it proves the person only when nobody else has it; an office or
        # family number proves nothing without the holder's name.
        strong = number is None and (n == 1 or (n == 2 and not from_text))
        found.append(
            Evidence(
                "phone",
                Outcome.MATCH if n == 1 and number is None else Outcome.SHARED,
                weight,
                Strength.IDENTIFIER if strong else Strength.HINT,
                note,
                n,
            )
        )
    return found[:2]


def _emails(lead: Profile, candidate: Profile, stats: KeyStats) -> list[Evidence]:
    found = []
    theirs = {e.address: e for e in candidate.emails}
    canonical = {e.canonical for e in candidate.emails}
    for email, from_text in [(e, False) for e in lead.emails] + [
        (e, True) for e in lead.text_emails
    ]:
        own = from_text and email.address in lead.own_text
        factor = TEXT_FACTOR if from_text and not own else 1.0
        if email.address in theirs:
            found.append(_email_match(email, stats, factor, from_text, own=own))
        elif email.canonical in canonical:
            found.append(
                Evidence(
                    "email",
                    Outcome.SIMILAR,
                    CANONICAL_EMAIL_WEIGHT * factor,
                    Strength.HINT,
                    "адрес совпал после приведения (точки/метки Gmail, домены Яндекса)",
                )
            )
    return found[:2]


def _email_match(
    email: EmailKey, stats: KeyStats, factor: float, from_text: bool, *, own: bool = False
) -> Evidence:
    n = stats.shared_by(f"e:{email.address}")
    if email.role:
        return Evidence(
            "email",
            Outcome.SHARED,
            ROLE_EMAIL_WEIGHT,
            Strength.COMPANY,
            "совпал общий адрес (info@, sales@…): это компания, а не человек",
            n,
        )
    weight = shared_weight(EMAIL_WEIGHT, n) * factor
    where = (
        "в тексте сообщения, назван своим"
        if own
        else ("в тексте сообщения" if from_text else "в поле e-mail")
    )
    note = f"e-mail совпал ({where})" + ("" if n == 1 else f", но он общий (записей с ним: {n})")
    strong = n == 1 or (n == 2 and not from_text)
    return Evidence(
        "email",
        Outcome.MATCH if n == 1 else Outcome.SHARED,
        weight,
        Strength.IDENTIFIER if strong else Strength.HINT,
        note,
        n,
    )


def _messengers(lead: Profile, candidate: Profile) -> list[Evidence]:
    found = []
    for kind in _shared_kinds(lead, candidate):
        if not is_key_kind(kind):
            continue
        ours, theirs = lead.messenger_values(kind), candidate.messenger_values(kind)
        if set(ours) & set(theirs):
            found.append(
                Evidence(
                    kind, Outcome.MATCH, MESSENGER_ID_WEIGHT, Strength.IDENTIFIER, f"совпал {kind}"
                )
            )
        else:
            found.append(
                Evidence(
                    kind,
                    Outcome.CONFLICT,
                    MESSENGER_ID_CONFLICT,
                    Strength.IDENTIFIER,
                    f"другой {kind}",
                )
            )
    usernames = set(lead.messenger_values(TELEGRAM_USERNAME_KIND))
    if usernames & set(candidate.messenger_values(TELEGRAM_USERNAME_KIND)) and not (
        lead.messenger_values(TELEGRAM_ID_KIND) and candidate.messenger_values(TELEGRAM_ID_KIND)
    ):
        found.append(
            Evidence(
                "telegram_username",
                Outcome.MATCH,
                USERNAME_WEIGHT,
                Strength.HINT,
                "совпал @username (подсказка: его можно сменить)",
            )
        )
    return found


def _shared_kinds(lead: Profile, candidate: Profile) -> list[str]:
    """Messenger kinds both records have: Telegram, VK, then the others by name."""
    shared = {kind for kind, _ in lead.messengers} & {kind for kind, _ in candidate.messengers}
    known = [kind for kind in KNOWN_KINDS if kind in shared]
    return known + sorted(shared - set(known))


def surname_weight(surname_skeleton: str, shared_by: int, contacts_total: int) -> float:
    """Rarer surnames are stronger evidence: "Иванов" ~1.7, a one-off surname 4."""
    frequency, population = effective_frequency(surname_skeleton, shared_by, contacts_total)
    return min(4.0, max(0.5, 0.6 * math.log2(population / frequency) - 2.5))


def compare_names(lead: PersonName, candidate: PersonName, stats: KeyStats) -> list[Evidence]:
    """Surname (weighted by rarity), first name, patronymic and gender."""
    if lead.empty or candidate.empty:
        return []
    found: list[Evidence] = []
    if lead.surname and candidate.surname:
        found.append(_surname(lead, candidate, stats))
    if lead.first_names and candidate.first_names:
        found.append(_first_name(lead, candidate))
    elif lead.first_initial and candidate.first_initial:
        found.append(_initial(lead.first_initial, candidate.first_initial, "first_name"))
    if lead.patronymic and candidate.patronymic:
        same = lead.patronymic == candidate.patronymic or _typo(
            lead.patronymic, candidate.patronymic
        )
        found.append(
            Evidence(
                "patronymic",
                Outcome.MATCH if same else Outcome.CONFLICT,
                PATRONYMIC_WEIGHT if same else PATRONYMIC_CONFLICT,
                Strength.NAME,
                "отчество совпало" if same else "другое отчество",
            )
        )
    elif lead.patronymic_initial and candidate.patronymic_initial:
        found.append(_initial(lead.patronymic_initial, candidate.patronymic_initial, "patronymic"))
    if lead.gender and candidate.gender and lead.gender != candidate.gender:
        found.append(
            Evidence("gender", Outcome.CONFLICT, GENDER_CONFLICT, Strength.NAME, "другой пол")
        )
    return found


def _surname(lead: PersonName, candidate: PersonName, stats: KeyStats) -> Evidence:
    surname = lead.surname_skeleton or ""
    n = stats.shared_by(f"ns:{surname}")
    weight = surname_weight(surname, n, stats.contacts_total)
    rarity = "редкая" if n <= 3 else ("частая" if weight < 1.5 else "обычная")
    if lead.surname == candidate.surname or lead.surname_skeleton == candidate.surname_skeleton:
        return Evidence(
            "surname", Outcome.MATCH, weight, Strength.NAME, f"фамилия совпала ({rarity})", n
        )
    if lead.surname and candidate.surname and _typo(lead.surname, candidate.surname):
        return Evidence(
            "surname",
            Outcome.SIMILAR,
            weight * SURNAME_TYPO_FACTOR,
            Strength.NAME,
            "фамилия совпала с опечаткой",
            n,
        )
    return Evidence("surname", Outcome.CONFLICT, SURNAME_CONFLICT, Strength.NAME, "другая фамилия")


def _first_name(lead: PersonName, candidate: PersonName) -> Evidence:
    if lead.first_names & candidate.first_names:
        return Evidence(
            "first_name",
            Outcome.MATCH,
            FIRST_NAME_WEIGHT,
            Strength.NAME,
            "имя совпало" + (" (уменьшительная форма)" if lead.is_diminutive else ""),
        )
    if any(_typo(a, b) for a in lead.first_names for b in candidate.first_names):
        return Evidence(
            "first_name",
            Outcome.SIMILAR,
            FIRST_NAME_TYPO_WEIGHT,
            Strength.NAME,
            "имя совпало с опечаткой",
        )
    if first_names_compatible(lead, candidate):
        return Evidence(
            "first_name", Outcome.SIMILAR, INITIAL_WEIGHT, Strength.NAME, "имя согласуется"
        )
    return Evidence(
        "first_name",
        Outcome.CONFLICT,
        FIRST_NAME_CONFLICT,
        Strength.NAME,
        "другое имя: вероятно, родственник или коллега",
    )


def _initial(ours: str, theirs: str, field_name: str) -> Evidence:
    same = ours == theirs
    return Evidence(
        field_name,
        Outcome.SIMILAR if same else Outcome.CONFLICT,
        INITIAL_WEIGHT if same else FIRST_NAME_CONFLICT / 2,
        Strength.NAME,
        "инициал совпал" if same else "другой инициал",
    )


def _typo(a: str, b: str) -> bool:
    """One edit apart (two for long words), compared in one script."""
    la, lb = to_latin(a), to_latin(b)
    if min(len(la), len(lb)) < 4:
        return False
    limit = 2 if min(len(la), len(lb)) >= 8 else 1
    return Levenshtein.distance(la, lb, score_cutoff=limit) <= limit


def _affiliation(
    lead: Profile,
    candidate: Profile,
    company: LeadCompany | None,
    candidate_company_id: int | None,
    *,
    identified: bool,
) -> list[Evidence]:
    """Whether the lead's company is the candidate's: by the matched company record when
    both are known, else by the names as written."""
    if company is not None and candidate_company_id is not None:
        if company.company_id == candidate_company_id:
            return [
                Evidence(
                    "company",
                    Outcome.MATCH,
                    SAME_COMPANY_WEIGHT,
                    Strength.COMPANY,
                    f"та же компания (опознана {company.basis})",
                )
            ]
        return [_other_company(identified)]
    if lead.inn and candidate.inn and lead.inn == candidate.inn:
        return [
            Evidence("inn", Outcome.MATCH, INN_WEIGHT, Strength.COMPANY, "ИНН компании совпал")
        ]
    ours, theirs = lead.company, candidate.company
    if not (ours.key and theirs.key) or ours.is_individual or theirs.is_individual:
        return []
    if same_company_name(ours, theirs):
        return [
            Evidence(
                "company",
                Outcome.MATCH,
                COMPANY_WEIGHT,
                Strength.COMPANY,
                "та же компания (по названию)",
            )
        ]
    return [_other_company(identified)]


def _other_company(identified: bool) -> Evidence:
    if identified:
        return Evidence(
            "company",
            Outcome.CONFLICT,
            OTHER_COMPANY_WEIGHT,
            Strength.COMPANY,
            "в обращении другая компания: вероятно, сменил место работы",
        )
    return Evidence(
        "company",
        Outcome.CONFLICT,
        OTHER_COMPANY_NAME_ONLY_WEIGHT,
        Strength.COMPANY,
        "в обращении другая компания, а совпадает только имя: вероятно, однофамилец",
    )


def same_company_name(ours: CompanyName, theirs: CompanyName) -> bool:
    """Two written company names that fold to the same key, or to the same skeleton
    ("Ромашка" / "Romashka LLC"); "Вектор" and "Вектор-М" are two firms."""
    if not (ours.key and theirs.key):
        return False
    return ours.key == theirs.key or (bool(ours.skeleton) and ours.skeleton == theirs.skeleton)


def _name_and_company(
    lead: Profile,
    names: list[Evidence],
    affiliation: list[Evidence],
    stats: KeyStats,
    company: LeadCompany | None,
) -> list[Evidence]:
    """Full name + the same company (the matched record, or the same name as written): proof
    enough for a link when the name is specific (patronymic agrees, the surname is rare, or
    the surname with this first name is)."""
    if not any(e.field == "company" and e.outcome is Outcome.MATCH for e in affiliation):
        return []
    if lead.name_from_company:
        # "ИП Петров И.И." with no name of its own: the name and the company are one clue.
        return []
    outcome = {e.field: e for e in names}
    surname, first = outcome.get("surname"), outcome.get("first_name")
    if surname is None or first is None or any(e.outcome is Outcome.CONFLICT for e in names):
        return []
    if surname.outcome is not Outcome.MATCH or first.outcome is not Outcome.MATCH:
        return []
    patronymic = outcome.get("patronymic")
    skeleton = lead.name.surname_skeleton or ""
    pairs = [stats.shared_by(f"nf:{skeleton}|{f}") for f in lead.name.first_names]
    frequency, _ = effective_frequency(skeleton, surname.shared_by, stats.contacts_total)
    # A small base cannot tell a rare pair from a common one: there it takes the surname.
    rare_pair = (
        max(RARE_NAME_HOLDERS, stats.contacts_total // RARE_PAIR_PER_CONTACTS)
        if stats.contacts_total >= MIN_POPULATION
        else 0
    )
    if patronymic is not None and patronymic.outcome is Outcome.MATCH:
        why = "совпали фамилия, имя и отчество"
    elif company is None:
        # Only the written names agree, and company names repeat ("ООО «Вектор»"): without
        # the record (INN, domain, a name no other firm has) it takes the full name.
        return []
    elif frequency <= RARE_NAME_HOLDERS:
        why = "совпали редкая фамилия и имя"
    elif pairs and min(pairs) <= rare_pair:
        why = "совпало редкое сочетание фамилии и имени"
    else:
        return []
    basis = company.basis if company is not None else "по названию"
    return [
        Evidence(
            NAME_COMPANY_FIELD,
            Outcome.MATCH,
            NAME_COMPANY_WEIGHT,
            Strength.IDENTIFIER,
            f"{why} у сотрудника той же компании ({basis})",
        )
    ]


INN_COMPANY_WEIGHT = 10.0
COMPANY_NAME_WEIGHT = 4.0
COMPANY_SKELETON_WEIGHT = 3.0
COMPANY_DOMAIN_WEIGHT = 4.0
COMPANY_PHONE_WEIGHT = 4.0
COMPANY_EMAIL_WEIGHT = 4.0
LEGAL_FORM_WEIGHT = 1.0


def compare_company(lead: Profile, company: Profile, stats: KeyStats) -> tuple[Evidence, ...]:
    """Evidence that the lead's person works at (or is) this company."""
    found: list[Evidence] = []
    if lead.inn and company.inn:
        same = lead.inn == company.inn
        found.append(
            Evidence(
                "inn",
                Outcome.MATCH if same else Outcome.CONFLICT,
                INN_COMPANY_WEIGHT if same else -INN_COMPANY_WEIGHT,
                Strength.COMPANY,
                "ИНН совпал" if same else "другой ИНН",
            )
        )
    ours, theirs = lead.company, company.company
    if ours.key and theirs.key:
        named = False
        if ours.key == theirs.key:
            found.append(_company_evidence("company", COMPANY_NAME_WEIGHT, "название совпало"))
            named = True
        elif ours.skeleton and len(ours.skeleton) >= 3 and ours.skeleton == theirs.skeleton:
            found.append(
                _company_evidence(
                    "company", COMPANY_SKELETON_WEIGHT, "название совпало в другом написании"
                )
            )
            named = True
        if named and ours.form_family and theirs.form_family:
            # Firms of one name are told apart by the legal form too (ООО «Вектор» / АО «Вектор»).
            same = ours.form_family == theirs.form_family
            found.append(
                Evidence(
                    "legal_form",
                    Outcome.MATCH if same else Outcome.CONFLICT,
                    LEGAL_FORM_WEIGHT if same else -LEGAL_FORM_WEIGHT,
                    Strength.COMPANY,
                    "организационно-правовая форма совпала"
                    if same
                    else "другая организационно-правовая форма",
                )
            )
    domains = {e.domain for e in (*lead.emails, *lead.text_emails) if not e.free_provider}
    theirs_domains = {e.domain for e in company.emails if not e.free_provider}
    if company.company_domain:
        theirs_domains.add(company.company_domain)
    if domains & theirs_domains:
        found.append(
            _company_evidence("domain", COMPANY_DOMAIN_WEIGHT, "корпоративный домен почты совпал")
        )
    phones = (lead.phones | lead.text_phones) & company.phones
    if phones:
        n = max(stats.shared_by(f"p:{p}") for p in phones)
        found.append(
            _company_evidence(
                "phone", shared_weight(COMPANY_PHONE_WEIGHT, n), "телефон компании совпал"
            )
        )
    emails = {e.address for e in (*lead.emails, *lead.text_emails)} & {
        e.address for e in company.emails
    }
    if emails:
        found.append(_company_evidence("email", COMPANY_EMAIL_WEIGHT, "e-mail компании совпал"))
    return tuple(found)


def _company_evidence(field_name: str, weight: float, note: str) -> Evidence:
    return Evidence(field_name, Outcome.MATCH, weight, Strength.COMPANY, note)
