"""A quote's records: its status, as stored, and as about to be stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from crm_core.money import Line, Totals, VatMode, compute_totals


class QuoteStatus(StrEnum):
    """Where a quote is: draft, sent to the client, accepted or rejected by them."""

    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        """As managers read it."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    QuoteStatus.DRAFT: "Черновик",
    QuoteStatus.SENT: "Отправлено",
    QuoteStatus.ACCEPTED: "Принято",
    QuoteStatus.REJECTED: "Отклонено",
}
# Which status may follow which.
TRANSITIONS: Mapping[QuoteStatus, frozenset[QuoteStatus]] = {
    QuoteStatus.DRAFT: frozenset({QuoteStatus.SENT}),
    QuoteStatus.SENT: frozenset({QuoteStatus.ACCEPTED, QuoteStatus.REJECTED}),
    QuoteStatus.ACCEPTED: frozenset(),
    QuoteStatus.REJECTED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class NewQuote:
    """A quote about to be stored: its number taken, its lines priced."""

    deal_id: int
    number: str
    year: int
    sequence: int
    vat_mode: VatMode
    discount_percent: Decimal
    price_list_id: int | None
    valid_until: date | None
    contact_id: int | None
    company_id: int | None
    lines: tuple[Line, ...]
    totals: Totals
    created_by: str


@dataclass(frozen=True, slots=True)
class QuoteTerms:
    """What editing a draft quote replaces: its lines, priced, and its terms."""

    vat_mode: VatMode
    discount_percent: Decimal
    price_list_id: int | None
    valid_until: date
    lines: tuple[Line, ...]
    totals: Totals


@dataclass(frozen=True, slots=True)
class Quote:
    """A stored quote; its amounts follow from its lines (`totals`)."""

    id: int
    deal_id: int
    number: str
    year: int
    sequence: int
    status: QuoteStatus
    vat_mode: VatMode
    discount_percent: Decimal
    price_list_id: int | None
    valid_until: date | None
    contact_id: int | None
    company_id: int | None
    lines: tuple[Line, ...]
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    rejection_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def totals(self) -> Totals:
        """Every amount of the quote, computed from its lines."""
        return compute_totals(self.lines, self.vat_mode, self.discount_percent)


def quote_number(prefix: str, year: int, sequence: int) -> str:
    """КП-2026-0001: prefix, year, the year's sequence (four digits at least)."""
    return f"{prefix}{year}-{sequence:04d}"
