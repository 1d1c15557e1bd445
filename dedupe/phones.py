"""Phone numbers to E.164 with the extension kept apart; invalid numbers stay raw."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

# "доб." / "ext" / "#" introduce an extension; phonenumbers knows "ext" and "#" but not Russian.
EXTENSION = re.compile(
    r"\s*(?:доб\.?|добавочный|вн\.?|ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.I
)
MAX_RAW_LENGTH = 64
PLAIN_NUMBER = re.compile(r"^[\d\s()+.\-]+$")
NON_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class NormalizedPhone:
    """A phone as received and, when valid, its E.164 form and extension."""

    raw: str
    e164: str | None
    extension: str | None

    @property
    def valid(self) -> bool:
        """True when the number parsed into a valid E.164 number."""
        return self.e164 is not None


# Office lines repeat across contacts; the result is immutable.
@lru_cache(maxsize=65536)
def normalize_phone(raw: str, default_region: str = "RU") -> NormalizedPhone:
    """Parse a phone written in any common Russian or international form."""
    text = raw.strip()[:MAX_RAW_LENGTH]
    extension = None
    match = EXTENSION.search(text)
    if match:
        extension = match.group(1)
        text = text[: match.start()]
    digits = NON_DIGIT.sub("", text)
    mobile = _russian_mobile(text, digits, default_region)
    if mobile is not None:
        return NormalizedPhone(raw=raw, e164=mobile, extension=extension)
    # Russian trunk prefix: 8 XXX XXX-XX-XX is +7 XXX XXX-XX-XX.
    if default_region == "RU" and len(digits) == 11 and digits.startswith("8") and "+" not in text:
        text = "+7" + digits[1:]
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return NormalizedPhone(raw=raw, e164=None, extension=extension)
    if not phonenumbers.is_valid_number(parsed):
        return NormalizedPhone(raw=raw, e164=None, extension=extension)
    if parsed.extension and not extension:
        extension = parsed.extension
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return NormalizedPhone(raw=raw, e164=e164, extension=extension)


def _russian_mobile(text: str, digits: str, region: str) -> str | None:
    """+7 9XX XXX-XX-XX written plainly: E.164 without phonenumbers' full parse.

    phonenumbers accepts every +79XXXXXXXXX as a valid Russian mobile (checked for all
    900-999 prefixes in tests), and these are most of the numbers we see; the full parse
    costs about 100 µs.
    """
    if region != "RU" or not PLAIN_NUMBER.match(text):
        return None
    if len(digits) == 11 and digits[1] == "9":
        international = text.lstrip().startswith("+")
        if digits[0] == "7" or (digits[0] == "8" and not international):
            return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9" and "+" not in text:
        return "+7" + digits
    return None
