"""Facts in a mail signature: phones (with extensions) and a company with a legal form."""

from __future__ import annotations

import re

from channels.email.history import FORWARD_MARKER

_PHONE = re.compile(
    r"(?<![\w+.\-/])(\+\s?\d{1,3}[ \t.\-]?|[78][ \t\-]?(?=\())?"  # +7 / 8 before "(495)"
    r"(\(\d{1,5}\)[ \t.\-]?)?(\d(?:[\d \t.\-]*\d)?)(?![\w])"
)
_EXTENSION = re.compile(
    r"\A[ \t]*[,(]?[ \t]*(?:доб\.?|вн\.?|добавочный|ext\.?|x)[ \t]*(\d{1,6}(?:-\d{1,4})?)\)?",
    re.IGNORECASE,
)
_NOT_PHONE_CONTEXT = re.compile(
    r"(?:инн|кпп|огрн|огрнип|бик|окпо|р/с|к/с|сч[её]т|ust|idnr|hrb|hra|iva|c\.f\.|vat|"
    r"steuer|iban|swift|bic|№|#|капитал|capitale|индекс|zip)\W*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:с уважением|с наилучшими пожеланиями|всего доброго|best regards|kind regards"
    r"|regards|best wishes|sincerely|mit freundlichen grüßen|viele grüße|cordiali saluti"
    r"|distinti saluti|cordialement)\b[,.!]?\s*",
    re.IGNORECASE,
)
_COMPANY = re.compile(
    r"(?<!\w)(?:ООО|ОАО|ЗАО|ПАО|АО|НАО|ИП|ФГУП|ГУП|МУП|НКО|OOO|LLC)\s*[«\"“„][^»\"”“\n]{1,80}[»\"”“]",
)


def signature_facts(text: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """Phones in the text, phones (with extension) in signatures, and a named company."""
    lines = text.split("\n")
    in_signature = [False] * len(lines)
    signature = False
    for index, line in enumerate(lines):
        if FORWARD_MARKER.match(line):
            signature = False  # a forwarded message has its own signature
        elif line.rstrip() == "--" or _SIGN_OFF.match(line):
            signature = True
        in_signature[index] = signature
    phones: list[str] = []
    signature_phones: list[str] = []
    company: str | None = None
    for index, line in enumerate(lines):
        for number, with_extension in _phones_in(line):
            if number not in phones:
                phones.append(number)
            if in_signature[index] and with_extension not in signature_phones:
                signature_phones.append(with_extension)
        if in_signature[index] and company is None and (match := _COMPANY.search(line)):
            company = match.group(0).strip()
    return tuple(phones), tuple(signature_phones), company


def _phones_in(line: str) -> list[tuple[str, str]]:
    """(number, number with its extension) for each phone-like run in one line."""
    found: list[tuple[str, str]] = []
    for match in _PHONE.finditer(line):
        candidate = match.group(0).strip(" \t.-")
        if not _is_phone(candidate, match.group(1) is not None, line[: match.start()]):
            continue
        tail = line[match.end() :]
        if tail.startswith((",", ".")) and tail[1:2].isdigit():
            continue  # 1.234,56: an amount
        with_extension = candidate
        if extension := _EXTENSION.match(tail):
            with_extension = f"{candidate} {extension.group(0).strip()}"
        found.append((candidate, with_extension))
    return found


def _is_phone(candidate: str, international: bool, before: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15:
        return False
    if _NOT_PHONE_CONTEXT.search(before):
        return False
    if re.search(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b", candidate):
        return False  # a date
    if re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", candidate):
        return False  # an IP address
    if re.fullmatch(r"(?:19|20)\d\d\s*-\s*(?:19|20)\d\d|\d{5}-\d{4}", candidate):
        return False  # a range of years, a US ZIP+4 code
    if not international and re.fullmatch(r"\d{1,3}(?:[ .]\d{3})+", candidate):
        return False  # 1 000 000: an amount
    if candidate.isdigit():
        # Bare digits are a phone only in the unmistakable Russian mobile shapes.
        return bool(re.fullmatch(r"[78]9\d{9}|9\d{9}", candidate))
    return True
