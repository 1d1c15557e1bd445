"""`[documents]`: how quotes (and, later, invoices and acts) are numbered and dated."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.reader import Section
from config.seller_settings import SellerRequisites, seller_requisites

KEYS = ("quote_prefix", "timezone", "quote_valid_days", "seller")


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """Quote numbers are `{quote_prefix}{year}-{n:04d}`, counted per year in `timezone` (the
    company's: a quote made on 31 December at 23:30 in Moscow belongs to that year); a new
    quote holds for `quote_valid_days` unless it says otherwise."""

    quote_prefix: str = "КП-"
    timezone: str = "Europe/Moscow"
    quote_valid_days: int = 14
    # `[documents.seller]`: the requisites the documents print.
    seller: SellerRequisites = field(default_factory=SellerRequisites)


def documents_settings(s: Section) -> DocumentSettings:
    """`[documents]`: the quote number prefix, the company's time zone, validity in days."""
    for key in s.data:
        if key not in KEYS:
            raise s.error(key, f"unknown key; expected one of {', '.join(KEYS)}")
    prefix = s.data.get("quote_prefix", "КП-")
    if not isinstance(prefix, str) or len(prefix) > 20 or any(c.isspace() for c in prefix):
        raise s.error("quote_prefix", "must be a string of at most 20 characters, no spaces")
    timezone = s.string("timezone", "Europe/Moscow")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise s.error("timezone", f"unknown time zone {timezone!r}") from err
    return DocumentSettings(
        quote_prefix=prefix,
        timezone=timezone,
        quote_valid_days=s.integer("quote_valid_days", 14, minimum=1, maximum=366),
        seller=seller_requisites(s.table("seller")),
    )
