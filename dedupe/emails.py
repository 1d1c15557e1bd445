"""E-mail addresses: trimmed, lowercased, syntax-checked; malformed ones stay raw.

Beyond the address itself, three derived facts help duplicate detection:
``canonical`` (provider aliases folded, used only as an extra match key, never instead of the
address), ``is_role`` (a shared mailbox such as info@ says little about the person) and
``is_free_provider`` (a gmail.com domain says nothing about the company).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Deliberately simple: one @, a dotted domain, no spaces. Exotic RFC 5322 forms are not leads.
ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Every Yandex account receives mail at each of these. narod.ru is left out on purpose: only
# some old accounts have it, and a wrong fold would merge two people.
YANDEX_DOMAINS = frozenset(
    {"yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua"}
)
# mail.ru, bk.ru, inbox.ru, list.ru and internet.ru are separate mailboxes with the same
# login, and they have no +tags, so they are free providers but get no canonical rule.
MAIL_RU_DOMAINS = frozenset({"mail.ru", "bk.ru", "inbox.ru", "list.ru", "internet.ru"})
FREE_DOMAINS = (
    GMAIL_DOMAINS
    | YANDEX_DOMAINS
    | MAIL_RU_DOMAINS
    | frozenset(
        {
            "narod.ru", "yandex.com.tr",
            "rambler.ru", "rambler.ua", "ro.ru", "lenta.ru", "autorambler.ru", "myrambler.ru",
            "icloud.com", "me.com", "mac.com",
            "msn.com", "ymail.com", "rocketmail.com", "aol.com",
            "proton.me", "protonmail.com", "protonmail.ch", "pm.me",
            "gmx.com", "gmx.net", "gmx.de", "zoho.com", "mail.com",
            "ukr.net", "i.ua", "meta.ua", "tut.by", "mail.kz",
        }
    )
)  # fmt: skip
# Microsoft and Yahoo have one domain per country: hotmail.co.uk, live.ru, yahoo.com.au ...
FREE_DOMAIN_FAMILIES = re.compile(
    r"^(?:hotmail|outlook|live|windowslive|yahoo)\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$"
)

# Shared mailboxes, matched on the local part before any +tag (see ``_is_role_local``).
ROLE_LOCAL_PARTS = frozenset(
    {
        "info", "information", "sales", "sale", "office", "support", "hello", "mail",
        "email", "contact", "contacts", "admin", "administrator", "manager", "managers",
        "zakaz", "zakazy", "order", "orders", "buh", "bux", "buhgalter", "buhgalteria",
        "buhgalteriya", "accounting", "accounts", "billing", "finance", "secretary",
        "secretar", "sekretar", "reception", "priem", "priemnaya", "priyemnaya", "hr",
        "kadry", "job", "jobs", "career", "careers", "rabota", "resume", "noreply",
        "donotreply", "mailer", "postmaster", "webmaster", "team", "help", "helpdesk",
        "marketing", "pr", "press", "media", "service", "servis", "post", "welcome",
        "client", "clients", "klient", "customer", "customers", "shop", "store", "opt",
        "optom", "tender", "tenders", "zakupki", "purchase", "purchasing", "snab",
        "supply", "logistics", "dostavka", "delivery", "partner", "partners", "dealer",
        "feedback", "request", "requests", "zapros", "director", "ceo",
        "reklama", "ads", "hotline", "call", "callcenter", "company", "corp", "kontakt",
        "otdel", "prodazhi", "mngr",
        # Cyrillic local parts on .рф domains.
        "инфо", "почта", "заказ", "продажи", "офис", "приемная", "бухгалтерия", "отдел",
    }
)  # fmt: skip
# A role word, then optionally a short tag: info1, sales-msk, office.spb, zakaz_2, info-2024.
SEPARATORS = re.compile(r"[-_.]")
ROLE_WITH_TAG = re.compile(r"^(?P<word>[^\W\d_]+?)(?:[-_.]?\d{1,4}|[-_.][^\W\d_]{1,4}\d{0,2})?$")


@dataclass(frozen=True, slots=True)
class NormalizedEmail:
    """An address as received and, when well-formed, its normalized form."""

    raw: str
    address: str | None

    @property
    def valid(self) -> bool:
        """True when the address is well-formed."""
        return self.address is not None

    @property
    def local_part(self) -> str | None:
        """The part before the @ of the normalized address."""
        return None if self.address is None else self.address.rpartition("@")[0]

    @property
    def domain(self) -> str | None:
        """The part after the @ of the normalized address."""
        return None if self.address is None else self.address.rpartition("@")[2]

    @property
    def canonical(self) -> str | None:
        """Provider aliases folded (gmail dots, +tags, Yandex domains); an extra key only."""
        if self.address is None:
            return None
        return canonical_address(self.address)

    @property
    def is_role(self) -> bool:
        """True for a shared mailbox (info@, sales-msk@, noreply@) rather than a person's."""
        local = self.local_part
        return local is not None and _is_role_local(local)

    @property
    def is_free_provider(self) -> bool:
        """True when the domain is a public mail service and says nothing about the company."""
        domain = self.domain
        return domain is not None and (
            domain in FREE_DOMAINS or FREE_DOMAIN_FAMILIES.match(domain) is not None
        )


def normalize_email(raw: str) -> NormalizedEmail:
    """Trim, strip a mailto: prefix and lowercase; None address when malformed."""
    text = raw.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    if len(text) > 254 or not ADDRESS.match(text) or ".." in text:
        return NormalizedEmail(raw=raw, address=None)
    return NormalizedEmail(raw=raw, address=text)


def canonical_address(address: str) -> str:
    """The provider-specific canonical form of an already normalized address."""
    local, _, domain = address.rpartition("@")
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    elif domain in YANDEX_DOMAINS:
        # Yandex treats "." and "-" in a login as the same character.
        local = local.split("+", 1)[0].replace(".", "-")
        domain = "yandex.ru"
    if not local:
        # "+tag@gmail.com" has no mailbox left; keep the address rather than invent one.
        return address
    return f"{local}@{domain}"


def _is_role_local(local: str) -> bool:
    base = local.split("+", 1)[0]
    compact = SEPARATORS.sub("", base)
    if base in ROLE_LOCAL_PARTS or compact in ROLE_LOCAL_PARTS:
        return True  # also no-reply, do_not_reply, call-center
    match = ROLE_WITH_TAG.match(base)
    return match is not None and match.group("word") in ROLE_LOCAL_PARTS
