"""`[documents.seller]`: the company's requisites printed on quotes, invoices and acts."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from config.reader import Section
from crm_core.requisites import Requisites, digits_problem

TEXT_KEYS = (
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
IMAGE_KEYS = ("logo", "stamp", "signature")
KEYS = TEXT_KEYS + IMAGE_KEYS
_TEXT_MAX = 500


@dataclass(frozen=True, slots=True)
class SellerRequisites:
    """Who sells: name, tax ids, address, bank and accounts, who signs; optional images
    (logo, stamp, signature) as paths to PNG, JPEG or SVG files. Every field may be absent:
    a document then prints an empty place for it."""

    name: str | None = None
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
    logo: Path | None = None
    stamp: Path | None = None
    signature: Path | None = None

    def party(self) -> Requisites | None:
        """The requisites an invoice records (no images); None while the name is unset."""
        if not self.name:
            return None
        texts = {f.name: getattr(self, f.name) for f in fields(Requisites) if f.name != "name"}
        return Requisites(self.name, **texts)


def seller_requisites(s: Section) -> SellerRequisites:
    """`[documents.seller]`: requisites checked for their digits; image paths relative to the
    configuration file, which must exist."""
    for key in s.data:
        if key not in KEYS:
            raise s.error(key, f"unknown key; expected one of {', '.join(KEYS)}")
    texts: dict[str, str | None] = {}
    for key in TEXT_KEYS:
        value = s.data.get(key)
        if value is None or value == "":
            texts[key] = None
            continue
        if not isinstance(value, str) or len(value) > _TEXT_MAX:
            raise s.error(key, f"must be a string of at most {_TEXT_MAX} characters")
        value = " ".join(value.split())
        problem = digits_problem(key, value)
        if problem:
            raise s.error(key, f"{problem}, got {value!r}")
        texts[key] = value
    logo, stamp, signature = (_image(s, key) for key in IMAGE_KEYS)
    if s.data and not texts["name"]:
        # Requisites without a name cannot head an invoice: a half-filled table is a mistake.
        raise s.error("name", "required when [documents.seller] is given")
    return SellerRequisites(**texts, logo=logo, stamp=stamp, signature=signature)


def _image(s: Section, key: str) -> Path | None:
    raw = s.data.get(key)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise s.error(key, "must be a path to a PNG, JPEG or SVG file")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path(s.source).parent / path
    if path.suffix.lower() not in {".png", ".jpg", ".jpeg", ".svg"}:
        raise s.error(key, "must be a PNG, JPEG or SVG file (.png, .jpg, .jpeg, .svg)")
    if not path.is_file():
        raise s.error(key, f"no such file: {path}")
    return path
