"""`[documents]`: how quotes and invoices are numbered and dated, and `[documents.seller]`, the
company's requisites printed on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.reader import Section
from config.seller_settings import SellerRequisites, seller_requisites
from crm_core.requisites import Requisites

KEYS = (
    "quote_prefix",
    "invoice_prefix",
    "shipment_prefix",
    "act_prefix",
    "timezone",
    "quote_valid_days",
    "invoice_due_days",
    "seller",
)


@dataclass(frozen=True, slots=True)
class DocumentSettings:
    """Quote numbers are `{quote_prefix}{year}-{n:04d}` and invoice numbers
    `{invoice_prefix}{year}-{n:04d}`, counted per year in `timezone` (the company's: a quote
    made on 31 December at 23:30 in Moscow belongs to that year); a new quote holds for
    `quote_valid_days` and a new invoice is due in `invoice_due_days` (calendar days) unless
    they say otherwise. `seller`: the company's requisites (empty until configured)."""

    quote_prefix: str = "КП-"
    timezone: str = "Europe/Moscow"
    quote_valid_days: int = 14
    invoice_prefix: str = "СЧ-"
    invoice_due_days: int = 5
    # Shipments (товарные накладные) and acts, numbered as invoices are.
    shipment_prefix: str = "ТН-"
    act_prefix: str = "АКТ-"
    # `[documents.seller]`: the requisites the documents print.
    seller: SellerRequisites = field(default_factory=SellerRequisites)

    @property
    def seller_party(self) -> Requisites | None:
        """The seller as an invoice records it; None until `[documents.seller]` names it."""
        return self.seller.party()


def documents_settings(s: Section) -> DocumentSettings:
    """`[documents]`: number prefixes, the company's time zone, validity and due days, the
    seller's requisites."""
    for key in s.data:
        if key not in KEYS:
            raise s.error(key, f"unknown key; expected one of {', '.join(KEYS)}")
    timezone = s.string("timezone", "Europe/Moscow")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise s.error("timezone", f"unknown time zone {timezone!r}") from err
    return DocumentSettings(
        quote_prefix=_prefix(s, "quote_prefix", "КП-"),
        timezone=timezone,
        quote_valid_days=s.integer("quote_valid_days", 14, minimum=1, maximum=366),
        invoice_prefix=_prefix(s, "invoice_prefix", "СЧ-"),
        invoice_due_days=s.integer("invoice_due_days", 5, minimum=0, maximum=366),
        shipment_prefix=_prefix(s, "shipment_prefix", "ТН-"),
        act_prefix=_prefix(s, "act_prefix", "АКТ-"),
        seller=seller_requisites(s.table("seller")),
    )


def _prefix(s: Section, key: str, default: str) -> str:
    prefix = s.data.get(key, default)
    if not isinstance(prefix, str) or len(prefix) > 20 or any(c.isspace() for c in prefix):
        raise s.error(key, "must be a string of at most 20 characters, no spaces")
    return prefix
