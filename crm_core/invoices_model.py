"""An invoice's records (счёт на оплату): its status, the parties, as stored and as about to be
stored, and a payment received."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from crm_core.money import ZERO, Line, Totals, VatMode, compute_totals
from crm_core.requisites import Requisites


class InvoiceStatus(StrEnum):
    """Where an invoice is; `partially_paid` and `paid` follow from its payments only."""

    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """As managers read it."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    InvoiceStatus.DRAFT: "Черновик",
    InvoiceStatus.ISSUED: "Выставлен",
    InvoiceStatus.PARTIALLY_PAID: "Оплачен частично",
    InvoiceStatus.PAID: "Оплачен",
    InvoiceStatus.REJECTED: "Отклонён",
    InvoiceStatus.CANCELLED: "Отменён",
}
# What a person may set by hand, from each status (payments set the paid ones).
MANUAL_TRANSITIONS: Mapping[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.ISSUED, InvoiceStatus.CANCELLED}),
    InvoiceStatus.ISSUED: frozenset({InvoiceStatus.REJECTED, InvoiceStatus.CANCELLED}),
    InvoiceStatus.PARTIALLY_PAID: frozenset(),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.REJECTED: frozenset(),
    InvoiceStatus.CANCELLED: frozenset(),
}
# Statuses a payment may settle (money for a draft or a withdrawn invoice waits for a person).
PAYABLE = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID})
# Statuses that no longer ask for money.
WITHDRAWN = frozenset({InvoiceStatus.REJECTED, InvoiceStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class NewInvoice:
    """An invoice about to be stored: its number taken, its lines priced, the parties copied."""

    deal_id: int
    quote_id: int | None
    number: str
    year: int
    sequence: int
    vat_mode: VatMode
    discount_percent: Decimal
    invoice_date: date
    due_date: date
    contact_id: int | None
    company_id: int | None
    seller: Requisites
    buyer: Requisites
    lines: tuple[Line, ...]
    totals: Totals
    created_by: str


@dataclass(frozen=True, slots=True)
class Invoice:
    """A stored invoice with what has been paid on it: everything a printed "Счёт на оплату"
    shows (seller with bank requisites, buyer, lines, totals)."""

    id: int
    deal_id: int
    quote_id: int | None
    number: str
    year: int
    sequence: int
    status: InvoiceStatus
    vat_mode: VatMode
    discount_percent: Decimal
    invoice_date: date
    due_date: date
    contact_id: int | None
    company_id: int | None
    seller: Requisites
    buyer: Requisites
    lines: tuple[Line, ...]
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    paid: Decimal
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def totals(self) -> Totals:
        """Every amount of the invoice, computed from its lines."""
        return compute_totals(self.lines, self.vat_mode, self.discount_percent)

    @property
    def due(self) -> Decimal:
        """What is still to be paid (never below zero)."""
        return max(self.total - self.paid, ZERO)

    @property
    def overpaid_by(self) -> Decimal:
        """How much more than the total was paid (zero if not)."""
        return max(self.paid - self.total, ZERO)


def paid_status(total: Decimal, paid: Decimal) -> InvoiceStatus:
    """The status an issued invoice has after its payments add up to `paid`."""
    if paid <= 0:
        return InvoiceStatus.ISSUED
    return InvoiceStatus.PAID if paid >= total else InvoiceStatus.PARTIALLY_PAID


def invoice_number(prefix: str, year: int, sequence: int) -> str:
    """СЧ-2026-0001: prefix, year, the year's sequence (four digits at least)."""
    return f"{prefix}{year}-{sequence:04d}"


class PaymentSource(StrEnum):
    """How a payment came in."""

    MANUAL = "manual"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class NewPayment:
    """A payment about to be stored (`invoice_id` None: unmatched, waiting for a person)."""

    invoice_id: int | None
    amount: Decimal
    paid_on: date
    document_number: str | None
    payer_name: str | None
    payer_inn: str | None
    purpose: str | None
    source: PaymentSource
    identity_key: str | None
    created_by: str


@dataclass(frozen=True, slots=True)
class Payment:
    """A stored payment."""

    id: int
    invoice_id: int | None
    amount: Decimal
    paid_on: date
    document_number: str | None
    payer_name: str | None
    payer_inn: str | None
    purpose: str | None
    source: PaymentSource
    matched_by: str | None
    matched_at: datetime | None
    created_by: str
    created_at: datetime
