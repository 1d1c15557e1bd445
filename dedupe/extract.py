"""Contacts found in free text: phones (E.164), e-mails and Telegram usernames.

Used on message bodies, e-mail signatures and comment fields. Precision matters more than
recall: a wrongly extracted phone links a lead to a stranger, so numbers written after
"ИНН", "заказ №", "счёт" and the like are skipped, and only numbers phonenumbers calls valid
are kept (dates, prices, postal codes and times are not valid numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from dedupe.emails import normalize_email
from dedupe.messengers import telegram_username
from dedupe.phones import normalize_phone

MAX_TEXT_LENGTH = 20_000
CONTEXT_WINDOW = 40

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"(?:https?://|www\.|(?<![\w.])(?:t|telegram|wa)\.me/)\S+", re.IGNORECASE)
WHATSAPP_LINK = re.compile(
    r"(?:wa\.me/|whatsapp\.com/send/?\?phone=)\+?(?P<digits>\d{10,15})(?!\d)", re.IGNORECASE
)
TELEGRAM_LINK = re.compile(
    r"(?<![\w.])(?:https?://)?(?:www\.)?(?:t|telegram)\.me/@?(?P<name>[A-Za-z]\w{4,31})(?!\w)",
    re.IGNORECASE,
)
# "@ivan_petrov", not the @ of an address and not "@yandex.ru".
TELEGRAM_MENTION = re.compile(r"(?<![\w@.+-])@(?P<name>[A-Za-z]\w{4,31})(?![\w@]|\.[A-Za-z])")
TELEGRAM_LABELLED = re.compile(
    r"(?<!\w)(?:tg|telegram|телеграм+|телега|тг)\s*[:\-–—]\s*(?P<name>[A-Za-z]\w{4,31})"
    r"(?![\w@]|\.[A-Za-z])",
    re.IGNORECASE,
)
# An @name right after these words belongs to another network.
OTHER_NETWORK = re.compile(
    r"(?:inst\w*|insta|инст\w*|ig|vk|вк|вконтакте|twitter|твиттер|tiktok|тикток|youtube|ютуб)"
    r"\W*$",
    re.IGNORECASE,
)
# Russian trunk-prefix forms the matcher misses when the default region is not RU or KZ.
RUSSIAN_PHONE = re.compile(
    r"(?<![\d+])(?:\+7|8)[\s\-–.]*\(?\s*(?P<code>\d{3})\s*\)?[\s\-–.]*(?P<a>\d{3})[\s\-–.]*"
    r"(?P<b>\d{2})[\s\-–.]*(?P<c>\d{2})(?!\d)"
)
ENOUGH_DIGITS = re.compile(r"\d(?:\D{0,4}\d){6}")
# A number right after these is an INN, an order, an account…, not a phone.
NOT_A_PHONE_BEFORE = re.compile(
    r"(?:инн|inn|огрнип|огрн|кпп|бик|окпо|снилс|паспорт\w*|р\s*/\s*с|к\s*/\s*с|сч[её]т\w*"
    r"|заказ\w*|order|invoice|артикул\w*|арт|договор\w*|трек\w*|накладн\w*|ttn|ттн)"
    r"[\s:.№#-]*(?:номер\w*|no)?[\s:.№#-]*$",
    re.IGNORECASE,
)
NUMBER_SIGN_BEFORE = re.compile(r"[№#]\s*$")
# The writer presents the number or address as their own: "мой номер", "перезвоните мне",
# "ответьте на почту", "свяжитесь со мной по". Someone else's ("номер бухгалтера") is not.
OWN_BEFORE = re.compile(
    r"(?:(?<!\w)(?:мой|моя|мои|мою|моему|моей|мне|меня|со\s+мной)(?!\w)|(?<!\w)ответьте(?!\w))"
    r"[^.!?\n]{0,30}$",
    re.IGNORECASE,
)
PHONE_WORD_BEFORE = re.compile(r"(?:тел\w*|phone|моб\w*|сот\w*|whatsapp|ватсап)\W*$", re.I)


@dataclass(frozen=True, slots=True)
class ExtractedContacts:
    """Contacts found in a text, each kind deduplicated in order of appearance."""

    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    telegram_usernames: tuple[str, ...] = ()
    # Phones and e-mails the writer calls their own ("мой номер …", "ответьте на почту …").
    own: frozenset[str] = frozenset()


def extract_contacts(text: str | None, region: str = "RU") -> ExtractedContacts:
    """Find phones (E.164), normalized e-mails and Telegram usernames in free text."""
    if not text:
        return ExtractedContacts()
    text = text[:MAX_TEXT_LENGTH]
    emails: list[tuple[int, str]] = []
    usernames: list[tuple[int, str]] = []
    masked = text
    if "@" in text:
        for match in EMAIL.finditer(text):
            address = _email_address(match.group())
            if address:
                emails.append((match.start(), address))
        # Blank addresses (and links below) so their digits and @ are not read again.
        masked = EMAIL.sub(lambda m: " " * len(m.group()), masked)
    phones = _whatsapp_links(text)
    if ".me/" in text.lower():
        usernames += [(m.start(), m.group("name")) for m in TELEGRAM_LINK.finditer(text)]
    masked = URL.sub(lambda m: " " * len(m.group()), masked)
    if "@" in masked:
        for match in TELEGRAM_MENTION.finditer(masked):
            before = masked[max(0, match.start() - CONTEXT_WINDOW) : match.start()]
            if not OTHER_NETWORK.search(before):
                usernames.append((match.start(), match.group("name")))
    usernames += [(m.start(), m.group("name")) for m in TELEGRAM_LABELLED.finditer(masked)]
    if ENOUGH_DIGITS.search(masked):
        phones += _phones(masked, region)
    own = frozenset(
        value
        for position, value in (*phones, *emails)
        if OWN_BEFORE.search(text[max(0, position - CONTEXT_WINDOW) : position])
    )
    return ExtractedContacts(
        own=own,
        phones=_ordered_unique(phones),
        emails=_ordered_unique(emails),
        telegram_usernames=_ordered_unique(
            [(pos, name) for pos, raw in usernames if (name := telegram_username(raw))]
        ),
    )


def _email_address(found: str) -> str | None:
    local, _, domain = found.strip(".").partition("@")
    labels = domain.split(".")
    if labels[0].isascii():
        # "ivan@mail.ru.Спасибо": a Latin domain ends before the first Cyrillic label.
        labels = labels[: next((i for i, lab in enumerate(labels) if not lab.isascii()), None)]
    return normalize_email(f"{local}@{'.'.join(labels)}").address


def _whatsapp_links(text: str) -> list[tuple[int, str]]:
    if "wa.me" not in text and "whatsapp.com" not in text:
        return []
    found = []
    for match in WHATSAPP_LINK.finditer(text):
        e164 = normalize_phone("+" + match.group("digits")).e164
        if e164:
            found.append((match.start(), e164))
    return found


def _looks_like_other_number(text: str, start: int) -> bool:
    before = text[max(0, start - CONTEXT_WINDOW) : start]
    if NOT_A_PHONE_BEFORE.search(before):
        return True
    return bool(NUMBER_SIGN_BEFORE.search(before)) and not PHONE_WORD_BEFORE.search(
        NUMBER_SIGN_BEFORE.sub("", before)
    )


def _phones(text: str, region: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    for candidate in matcher:
        spans.append((candidate.start, candidate.end))
        if not _looks_like_other_number(text, candidate.start):
            number = candidate.number
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            found.append((candidate.start, e164))
    for match in RUSSIAN_PHONE.finditer(text):
        if any(s < match.end() and match.start() < e for s, e in spans):
            continue
        if _looks_like_other_number(text, match.start()):
            continue
        digits = "".join(match.group("code", "a", "b", "c"))
        fallback = normalize_phone("+7" + digits, "RU").e164
        if fallback:
            found.append((match.start(), fallback))
    return found


def _ordered_unique(items: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for _, value in sorted(items, key=lambda item: item[0])))
