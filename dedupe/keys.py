"""Identity and block keys: what a record is indexed under, and what a lead looks up."""

from __future__ import annotations

from enum import StrEnum

from dedupe.messengers import TELEGRAM_ID_KIND, TELEGRAM_USERNAME_KIND, VK_ID_KIND
from dedupe.profile import Profile


class Entity(StrEnum):
    """Kinds of indexed records."""

    CONTACT = "contact"
    COMPANY = "company"
    LEAD = "lead"


class KeyKind(StrEnum):
    """Key prefixes; the stored key is `<kind>:<value>`."""

    PHONE = "p"
    EMAIL = "e"
    EMAIL_CANONICAL = "ec"
    TELEGRAM_ID = "tg"
    TELEGRAM_USER = "tu"
    VK_ID = "vk"
    MESSENGER = "m"  # any other messenger: `m:<kind>:<value>` ("m:avito_id:98765")
    INN = "inn"
    COMPANY = "co"
    COMPANY_SKELETON = "cs"
    DOMAIN = "dom"
    SURNAME_FIRST = "nf"
    SURNAME_INITIAL = "ni"
    SURNAME = "ns"


# A key shared by more records than this is not used to fetch candidates (an office phone,
# info@, "Иванов"); its count still lowers the weight of a match on it.
RETRIEVAL_CAPS: dict[KeyKind, int] = {
    KeyKind.PHONE: 50,
    KeyKind.EMAIL: 50,
    KeyKind.EMAIL_CANONICAL: 50,
    KeyKind.TELEGRAM_ID: 50,
    KeyKind.TELEGRAM_USER: 50,
    KeyKind.VK_ID: 50,
    KeyKind.MESSENGER: 50,
    KeyKind.INN: 50,
    KeyKind.COMPANY: 20,
    KeyKind.COMPANY_SKELETON: 20,
    KeyKind.DOMAIN: 20,
    KeyKind.SURNAME_FIRST: 40,
    KeyKind.SURNAME_INITIAL: 40,
    KeyKind.SURNAME: 12,
}


# The index keeps each entity's record count under this key (see IdentityIndex.key_counts).
TOTAL_KEY = "*"
# ...and, under this one (entity contact), whether any "not the same person" answer exists,
# so that lookups skip the rejection query while nobody has rejected anything.
REJECTIONS_KEY = "!rejections"


def key(kind: KeyKind, value: str) -> str:
    """The stored form of a key."""
    # A StrEnum formats as its value, without the Python-level `.value` descriptor: this
    # runs for every key of every record a bulk load normalizes.
    return f"{kind}:{value}"


def kind_of(stored: str) -> KeyKind:
    """The kind of a stored key."""
    return KeyKind(stored.partition(":")[0])


# The messengers we had first keep the short prefixes their keys were stored under.
MESSENGER_PREFIXES: dict[str, KeyKind] = {
    TELEGRAM_ID_KIND: KeyKind.TELEGRAM_ID,
    TELEGRAM_USERNAME_KIND: KeyKind.TELEGRAM_USER,
    VK_ID_KIND: KeyKind.VK_ID,
}
_PREFIX_KINDS = {prefix.value: kind for kind, prefix in MESSENGER_PREFIXES.items()}


def messenger_key(kind: str, value: str) -> str:
    """The stored key of a normalized messenger identity."""
    prefix = MESSENGER_PREFIXES.get(kind)
    if prefix is not None:
        return key(prefix, value)
    return key(KeyKind.MESSENGER, f"{kind}:{value}")


def messenger_of(stored: str) -> tuple[str, str] | None:
    """(kind, value) of a stored messenger key; None for keys of other kinds."""
    prefix, _, rest = stored.partition(":")
    if prefix == KeyKind.MESSENGER.value:
        kind, _, value = rest.partition(":")
        return (kind, value) if kind and value else None
    known = _PREFIX_KINDS.get(prefix)
    return (known, rest) if known else None


def person_keys(profile: Profile) -> set[str]:
    """Keys a contact (or an open lead) is indexed under."""
    keys = _identifier_keys(profile, include_text=False)
    keys |= _name_keys(profile)
    # A corporate address tells the company even when the company record has no domain.
    keys |= {key(KeyKind.DOMAIN, e.domain) for e in profile.emails if not e.free_provider}
    return keys


def company_keys(profile: Profile) -> set[str]:
    """Keys a company is indexed under."""
    keys = {key(KeyKind.PHONE, p) for p in profile.phones}
    for email in profile.emails:
        keys.add(key(KeyKind.EMAIL, email.address))
        if not email.free_provider:
            keys.add(key(KeyKind.DOMAIN, email.domain))
    if profile.company_domain:
        keys.add(key(KeyKind.DOMAIN, profile.company_domain))
    keys |= _company_name_keys(profile)
    return keys


def lookup_keys(profile: Profile) -> set[str]:
    """Keys a lead looks candidates up by (text-extracted identifiers included)."""
    keys = _identifier_keys(profile, include_text=True)
    keys |= _name_keys(profile)
    keys |= _company_name_keys(profile)
    for email in (*profile.emails, *profile.text_emails):
        if not email.free_provider:
            keys.add(key(KeyKind.DOMAIN, email.domain))
    return keys


def _identifier_keys(profile: Profile, *, include_text: bool) -> set[str]:
    keys = {key(KeyKind.PHONE, p) for p in profile.phones}
    emails = profile.emails
    if include_text:
        keys |= {key(KeyKind.PHONE, p) for p in profile.text_phones}
        emails = (*emails, *profile.text_emails)
    for email in emails:
        keys.add(key(KeyKind.EMAIL, email.address))
        keys.add(key(KeyKind.EMAIL_CANONICAL, email.canonical))
    keys.update(messenger_key(kind, value) for kind, value in profile.messengers)
    return keys


def _name_keys(profile: Profile) -> set[str]:
    name = profile.name
    surname = name.surname_skeleton
    if not surname:
        return set()
    keys = {key(KeyKind.SURNAME, surname)}
    keys |= {key(KeyKind.SURNAME_FIRST, f"{surname}|{first}") for first in name.first_names}
    if name.first_initial:
        keys.add(key(KeyKind.SURNAME_INITIAL, f"{surname}|{name.first_initial}"))
    return keys


def _company_name_keys(profile: Profile) -> set[str]:
    keys = set()
    if profile.inn:
        keys.add(key(KeyKind.INN, profile.inn))
    if profile.company.key:
        keys.add(key(KeyKind.COMPANY, profile.company.key))
    if profile.company.skeleton:
        keys.add(key(KeyKind.COMPANY_SKELETON, profile.company.skeleton))
    return keys


def rejection_keys(profile: Profile) -> set[str]:
    """What a "not the same person" answer is remembered under.

    Its identifiers when it has any (so the same phone never proposes that contact again,
    while a later lead that carries the contact's own phone still can); its name otherwise.
    """
    identifiers = _identifier_keys(profile, include_text=True)
    return identifiers or _name_keys(profile)
