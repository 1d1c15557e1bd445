"""Invoices (счета) and payments: the requests that make and settle them, and their shapes."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from crm_core.invoices_model import InvoiceStatus
from intake.http.schemas.base import Body, Id, Shape, enum_schema
from intake.http.schemas.catalogue import MoneyText, Price
from intake.http.schemas.conversations import QueuedMessage
from intake.http.schemas.quotes import NewQuote, StoredQuoteLine, VatGroup, VatModeName

InvoiceStatusName = Annotated[str, WithJsonSchema(enum_schema(InvoiceStatus))]
DUE_DATE = "YYYY-MM-DD, not in the past; today + [documents] invoice_due_days if absent"


class NewInvoice(NewQuote):
    """POST: a draft invoice on the deal, its lines given as a quote's are."""

    due_date: date | None = Field(default=None, description=DUE_DATE)


class InvoiceFromQuote(Body):
    """POST: an invoice from the accepted quote (the body may be empty)."""

    due_date: date | None = Field(default=None, description=DUE_DATE)


class InvoiceStatusChange(Body):
    """POST: the invoice's next status (paid and partially_paid come from payments only)."""

    status: Literal["draft", "issued", "partially_paid", "paid", "rejected", "cancelled"]


class Party(Shape):
    """Requisites as the invoice prints them (null: not known)."""

    name: str
    inn: str | None
    kpp: str | None
    ogrn: str | None
    address: str | None
    bank: str | None
    bik: str | None
    correspondent_account: str | None
    account: str | None
    director: str | None
    accountant: str | None


class Invoice(Shape):
    """An invoice with its parties, lines, amounts and what is paid on it."""

    id: int
    deal_id: int
    quote_id: int | None
    number: str = Field(examples=["СЧ-2026-0001"])
    status: InvoiceStatusName
    status_name: str = Field(examples=["Выставлен"])
    vat_mode: VatModeName
    discount_percent: MoneyText
    invoice_date: date
    due_date: date
    overdue: bool = Field(description="Due date passed with money still due")
    contact_id: int | None
    company_id: int | None
    seller: Party
    buyer: Party
    items: list[StoredQuoteLine]
    gross: MoneyText = Field(description="Before discounts")
    discount_total: MoneyText
    subtotal: MoneyText = Field(description="Without VAT")
    vat_total: MoneyText
    total: MoneyText = Field(description="With VAT")
    total_in_words: str
    amount_in_words: str = Field(examples=["Сто пятьдесят тысяч рублей 50 копеек"])
    vat_groups: list[VatGroup]
    paid: MoneyText = Field(description="Sum of the payments that settle it")
    due: MoneyText = Field(description="Still to be paid (0.00 when paid or overpaid)")
    overpaid: bool
    overpaid_amount: MoneyText = Field(description="Paid over the total (0.00 if not)")
    created_by: str
    created_at: datetime
    updated_at: datetime


class InvoicePage(Shape):
    """A deal's invoices, oldest first."""

    items: list[Invoice]


class NewPayment(Body):
    """POST: a payment received for an issued (or partly paid) invoice."""

    invoice_id: Id
    amount: Price = Field(description="Above 0, whole kopecks")
    date: dt.date
    payer: str | None = Field(default=None, max_length=1000)
    purpose: str | None = Field(default=None, max_length=1000)


class PaymentMatch(Body):
    """POST: the invoice a waiting payment settles."""

    invoice_id: Id


PaymentOutcome = Literal["matched", "partial", "overpaid", "unmatched", "duplicate", "skipped"]


class Payment(Shape):
    """A payment: by hand or from a statement, settling an invoice or waiting (unmatched)."""

    id: int
    invoice_id: int | None
    status: Literal["matched", "unmatched"]
    amount: MoneyText
    date: dt.date
    document_number: str | None = Field(description="The bank document's Номер")
    payer: str | None
    payer_inn: str | None
    purpose: str | None
    source: Literal["manual", "import"]
    matched_by: str | None
    matched_at: datetime | None
    created_by: str
    created_at: datetime


class PaymentPage(Shape):
    """Payments, newest first."""

    items: list[Payment]


class AppliedPayment(Shape):
    """A payment and the invoice it settles, as they are after it."""

    payment: Payment
    invoice: Invoice | None
    outcome: PaymentOutcome


class ImportedPayment(Shape):
    """One document of the statement and what became of it."""

    number: str
    date: dt.date
    amount: MoneyText
    payer_inn: str | None
    payment_id: int | None = Field(description="null: a duplicate, or not to our account")
    outcome: PaymentOutcome


class ImportSummary(Shape):
    """What an imported statement did: counts per outcome (`matched` counts every payment
    that settles an invoice, `partial` and `overpaid` those of them leaving it partly paid
    or overpaid), then every document in order."""

    matched: int
    partial: int
    overpaid: int
    unmatched: int
    duplicates: int
    skipped: int = Field(description="Documents not to the seller's account (outgoing)")
    items: list[ImportedPayment]


class SentInvoice(Shape):
    """The invoice after the send (a draft becomes issued) and the e-mail queued with its PDF."""

    invoice: Invoice
    message: QueuedMessage
    to: str = Field(description="The address the e-mail goes to")
