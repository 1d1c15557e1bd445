"""A party's requisites on a document (реквизиты): the seller's from the settings, the
buyer's from the deal's company, with the format checks of Russian identifiers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from crm_core.errors import DomainError

# Digits each identifier has: ИНН of a company 10 (of a sole trader 12), КПП 9, БИК 9,
# a settlement or correspondent account 20.
DIGITS = {
    "kpp": (9,),
    "ogrn": (13, 15),
    "bik": (9,),
    "correspondent_account": (20,),
    "account": (20,),
    "inn": (10, 12),
}
FIELDS = (
    "name",
    "inn",
    "kpp",
    "ogrn",
    "address",
    "bank",
    "bik",
    "correspondent_account",
    "account",
    "director",
    "accountant",
)


@dataclass(frozen=True, slots=True)
class Requisites:
    """A party as a document prints it; anything unknown is None."""

    name: str
    inn: str | None = None
    kpp: str | None = None
    ogrn: str | None = None
    address: str | None = None
    bank: str | None = None
    bik: str | None = None
    correspondent_account: str | None = None
    account: str | None = None
    director: str | None = None
    accountant: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Every field by name (None where unknown)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Requisites:
        """The inverse of to_json (unknown keys ignored)."""
        optional = {k: data.get(k) for k in FIELDS if k != "name"}
        return cls(str(data.get("name") or ""), **optional)


def digits_problem(field: str, value: str) -> str | None:
    """What is wrong with an identifier's digits, or None when it has the right count."""
    counts = DIGITS.get(field)
    if counts is None:
        return None
    if not re.fullmatch(r"[0-9]+", value) or len(value) not in counts:
        wanted = " or ".join(str(c) for c in counts)
        return f"{field} must be {wanted} digits"
    return None


def requisites(data: Mapping[str, Any]) -> Requisites:
    """Requisites from a mapping of strings; DomainError naming the first wrong field."""
    values: dict[str, str | None] = {}
    for field in FIELDS:
        raw = data.get(field)
        if raw is None or raw == "":
            values[field] = None
            continue
        if not isinstance(raw, str):
            raise DomainError(field, f"{field} must be a string")
        text = " ".join(raw.split())
        problem = digits_problem(field, text)
        if problem:
            raise DomainError(field, problem)
        values[field] = text
    name = values.pop("name")
    if not name:
        raise DomainError("name", "name is required")
    return Requisites(name=name, **values)
