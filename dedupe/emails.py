"""E-mail addresses: trimmed, lowercased, syntax-checked; malformed ones stay raw."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Deliberately simple: one @, a dotted domain, no spaces. Exotic RFC 5322 forms are not leads.
ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")


@dataclass(frozen=True, slots=True)
class NormalizedEmail:
    """An address as received and, when well-formed, its normalized form."""

    raw: str
    address: str | None

    @property
    def valid(self) -> bool:
        """True when the address is well-formed."""
        return self.address is not None


def normalize_email(raw: str) -> NormalizedEmail:
    """Trim, strip a mailto: prefix and lowercase; None address when malformed."""
    text = raw.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    if len(text) > 254 or not ADDRESS.match(text) or ".." in text:
        return NormalizedEmail(raw=raw, address=None)
    return NormalizedEmail(raw=raw, address=text)
