"""Russian taxpayer numbers (ИНН): digits kept only when the official checksum holds."""

from __future__ import annotations

import re
from typing import Literal

# "ИНН", "ИНН:", "ИНН №", "ИНН/КПП", "INN" before the digits; a КПП after a slash is dropped.
PREFIX = re.compile(r"^\s*(?:инн|inn)(?:\s*/\s*(?:кпп|kpp))?\s*[:№#.]?\s*", re.IGNORECASE)
SEPARATORS = re.compile(r"[\s\-]+")
KPP_SUFFIX = re.compile(r"/\d{9}$")

WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

InnKind = Literal["legal", "individual"]


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def _checksum_ok(digits: str) -> bool:
    if len(digits) == 10:
        return _check_digit(digits, WEIGHTS_10) == int(digits[9])
    return _check_digit(digits, WEIGHTS_11) == int(digits[10]) and _check_digit(
        digits, WEIGHTS_12
    ) == int(digits[11])


def validate_inn(raw: str | None) -> str | None:
    """The INN's digits when a 10- or 12-digit INN passes the checksum, else None."""
    if raw is None:
        return None
    text = PREFIX.sub("", raw.strip()[:64])
    text = SEPARATORS.sub("", text)
    text = KPP_SUFFIX.sub("", text)
    if len(text) not in (10, 12) or not text.isascii() or not text.isdigit():
        return None
    # Region codes start at 01: "00…" (and so the all-zero string, whose checksum holds) is fake.
    if text.startswith("00"):
        return None
    return text if _checksum_ok(text) else None


def inn_kind(inn: str) -> InnKind:
    """ "legal" for a 10-digit INN (organisation), "individual" for 12 digits (person, ИП)."""
    if len(inn) == 10:
        return "legal"
    if len(inn) == 12:
        return "individual"
    raise ValueError(f"an INN has 10 or 12 digits, got {len(inn)}")
