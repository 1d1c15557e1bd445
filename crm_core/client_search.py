"""The Клиенты search: one line of text read as a phone, e-mail, INN or part of a name, and
the contacts and companies found, as far as the actor may see them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_core.access import may_see
from crm_core.holders import company_holders, contact_holders
from crm_core.model import Company, Contact, Manager
from crm_core.storage.ports import UnitOfWork
from dedupe.emails import normalize_email
from dedupe.inn import validate_inn
from dedupe.keys import KeyKind, key
from dedupe.phones import normalize_phone

MAX_QUERY = 100
PHONE_LIKE = re.compile(r"^[\d\s()+.\-]+$")
INN_LIKE = re.compile(r"^\d{10}(\d{2})?$")
# A manager sees only part of what matches: read this many more before the access filter.
OVERSCAN = 5


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a query is looked up by: identity keys, name patterns (LIKE), an INN."""

    keys: frozenset[str]
    name_patterns: tuple[str, ...]
    inn: str | None


@dataclass(frozen=True, slots=True)
class ClientResults:
    """Contacts and companies found, only those the actor may see."""

    contacts: list[Contact]
    companies: list[Company]


def search_terms(text: str, region: str = "RU") -> SearchTerms:
    """Read the query as the detector reads a lead: phones and e-mails normalized to their
    identity keys, a 10 or 12 digit INN, or else a part of a name in any case."""
    text = " ".join(text.split())[:MAX_QUERY]
    keys: set[str] = set()
    inn: str | None = None
    digits = re.sub(r"\D", "", text)
    if INN_LIKE.match(text):
        inn = text
        keys.add(key(KeyKind.INN, validate_inn(text) or text))
    if PHONE_LIKE.match(text) and len(digits) >= 7:
        phone = normalize_phone(text, region)
        if phone.e164:
            keys.add(key(KeyKind.PHONE, phone.e164))
    if "@" in text:
        email = normalize_email(text)
        if email.address:
            keys.add(key(KeyKind.EMAIL, email.address))
    patterns: tuple[str, ...] = ()
    if not keys and len(text) >= 2 and digits != text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # Each spelling names are commonly stored in: SQLite folds only ASCII case.
        spellings = dict.fromkeys((escaped.lower(), escaped, escaped.title(), escaped.upper()))
        patterns = tuple(f"%{s}%" for s in spellings)
    return SearchTerms(frozenset(keys), patterns, inn)


async def search_clients(
    uow: UnitOfWork, actor: Manager, text: str, region: str, limit: int
) -> ClientResults:
    """Contacts and companies matching the query that the actor may see (the API's rule,
    `crm_core.access.may_see`), newest first, at most `limit` of each."""
    terms = search_terms(text, region)
    scan = limit if actor.is_head else limit * OVERSCAN
    found = await uow.identity.search_contacts(terms.keys, terms.name_patterns, scan)
    contacts = [c for c in found if may_see(actor, await contact_holders(uow, c))][:limit]
    firms = await uow.identity.search_companies(terms.keys, terms.name_patterns, terms.inn, scan)
    companies = [c for c in firms if may_see(actor, await company_holders(uow, c))][:limit]
    return ClientResults(contacts, companies)
