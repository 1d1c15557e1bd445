"""A record's identity as the detector sees it: normalized names, identifiers and company."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from dedupe.companies import CompanyName, parse_company, text_inn
from dedupe.emails import normalize_email
from dedupe.extract import extract_contacts
from dedupe.inn import validate_inn
from dedupe.messengers import (
    TELEGRAM_ID_KIND,
    TELEGRAM_USERNAME_KIND,
    VK_ID_KIND,
    is_key_kind,
    normalize_messenger,
)
from dedupe.names import PersonName, parse_person_name
from dedupe.phones import normalize_phone
from dedupe.signature import signature_name


@dataclass(frozen=True, slots=True)
class RawIdentity:
    """Identity fields as they arrived (a lead, a contact or a company), nothing normalized."""

    name: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    company: str | None = None
    inn: str | None = None
    telegram_id: str | None = None
    telegram_username: str | None = None
    vk_id: str | None = None
    # (kind, value) of any messenger identity: "telegram_id", "vk_id", "avito_id", …
    messengers: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class EmailKey:
    """A normalized address with what the detector needs to weigh it."""

    address: str
    canonical: str
    role: bool
    free_provider: bool

    @property
    def domain(self) -> str:
        """The part after the @."""
        return self.address.rpartition("@")[2]


@dataclass(frozen=True, slots=True)
class Profile:
    """Normalized identity of one record; the unit candidates are compared in."""

    name: PersonName
    phones: frozenset[str] = frozenset()
    emails: tuple[EmailKey, ...] = ()
    text_phones: frozenset[str] = frozenset()
    text_emails: tuple[EmailKey, ...] = ()
    # Normalized (kind, value) pairs, each once, in the order they came.
    messengers: tuple[tuple[str, str], ...] = ()
    company: CompanyName = field(default_factory=lambda: parse_company(None))
    inn: str | None = None
    company_domain: str | None = None
    # Text phones / e-mail addresses the writer presents as their own ("мой номер …").
    own_text: frozenset[str] = frozenset()
    # The name was read off "ИП Петров И.И." (no name of its own): not evidence beside it.
    name_from_company: bool = False

    @property
    def has_identifier(self) -> bool:
        """True when any machine identifier (phone, e-mail, messenger id) is known."""
        return bool(
            self.phones
            or self.emails
            or self.text_phones
            or self.text_emails
            or any(is_key_kind(kind) for kind, _ in self.messengers)
        )

    def messenger_values(self, kind: str) -> tuple[str, ...]:
        """The normalized values of one messenger kind ("telegram_id" …)."""
        return tuple(value for k, value in self.messengers if k == kind)


def build_profile(raw: RawIdentity, region: str = "RU", *, stored: bool = False) -> Profile:
    """Normalize every field; unparseable values are simply not evidence.

    `stored=True` marks phones already in E.164 (read back from our database), which saves
    re-parsing them for every candidate.
    """
    company = parse_company(raw.company)
    name = parse_person_name(raw.name)
    name_from_company = False
    if name.empty and company.is_individual and company.person_name:
        # "ИП Петров И.И." names a person as much as a company.
        name = parse_person_name(company.person_name)
        name_from_company = not name.empty
    if name.empty and raw.text:
        # An e-mail often comes without a display name but signed at the bottom.
        name = parse_person_name(signature_name(raw.text))
    phones = frozenset(raw.phones) if stored else frozenset(_phones(raw.phones, region))
    emails = _emails(raw.emails)
    text_phones: frozenset[str] = frozenset()
    text_emails: tuple[EmailKey, ...] = ()
    own_text: frozenset[str] = frozenset()
    messengers = messenger_identities(raw)
    if raw.text:
        found = extract_contacts(raw.text, region)
        text_phones = frozenset(found.phones) - phones
        known = {e.address for e in emails}
        text_emails = tuple(e for e in _emails(found.emails) if e.address not in known)
        own_text = found.own
        if found.telegram_usernames and not any(
            kind == TELEGRAM_USERNAME_KIND for kind, _ in messengers
        ):
            messengers += ((TELEGRAM_USERNAME_KIND, found.telegram_usernames[0]),)
    inn = validate_inn(raw.inn) if raw.inn else None
    if inn is None and company.inn is None and raw.text:
        # "Наш ИНН 7707083893, выставьте счёт": a labelled INN in the message is the company's.
        inn = text_inn(raw.text)
    return Profile(
        name=name,
        phones=phones,
        emails=emails,
        text_phones=text_phones,
        text_emails=text_emails,
        messengers=messengers,
        company=company,
        inn=inn or company.inn,
        company_domain=_website_domain(raw.website),
        own_text=own_text,
        name_from_company=name_from_company,
    )


def messenger_identities(raw: RawIdentity) -> tuple[tuple[str, str], ...]:
    """The usable messenger identities of a record, normalized: (kind, value), each once."""
    given = (
        (TELEGRAM_ID_KIND, raw.telegram_id),
        (TELEGRAM_USERNAME_KIND, raw.telegram_username),
        (VK_ID_KIND, raw.vk_id),
        *raw.messengers,
    )
    found: dict[tuple[str, str], None] = {}
    for kind, value in given:
        normalized = normalize_messenger(kind, value)
        if normalized is not None:
            found[normalized] = None
    return tuple(found)


def _phones(values: Iterable[str], region: str) -> Iterable[str]:
    for value in values:
        if value and value.strip():
            phone = normalize_phone(value, region)
            if phone.e164:
                yield phone.e164


def _emails(values: Iterable[str]) -> tuple[EmailKey, ...]:
    keys: dict[str, EmailKey] = {}
    for value in values:
        if not value or not value.strip():
            continue
        found = _email_key(value)
        if found is not None and found.address not in keys:
            keys[found.address] = found
    return tuple(keys.values())


# A stored contact's addresses are read twice as it is prepared, and a candidate's at every
# lookup that finds it; the result is immutable.
@lru_cache(maxsize=16384)
def _email_key(value: str) -> EmailKey | None:
    email = normalize_email(value)
    if not email.address:
        return None
    return EmailKey(
        address=email.address,
        canonical=email.canonical or email.address,
        role=email.is_role,
        free_provider=email.is_free_provider,
    )


def _website_domain(website: str | None) -> str | None:
    if not website or not website.strip():
        return None
    host = website.strip().casefold().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    host = host.removeprefix("www.")
    return host if "." in host else None
