"""Money reports: revenue by period and manager, receivables, quote → invoice → payment."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from crm_core.money_reports import Grouping, Overdue
from intake.http.schemas.base import Shape, enum_schema
from intake.http.schemas.catalogue import MoneyText
from intake.http.schemas.reports import PeriodRange, Scope, Share

BucketName = Annotated[str, WithJsonSchema(enum_schema(Overdue))]
Login = Annotated[str | None, Field(description="The deal owner's login; null: no owner")]
Name = Annotated[str | None, Field(description="The deal owner's name; null: no owner")]


class DayRange(Shape):
    """The company's days the period covers: `first` inclusive, `end` exclusive."""

    first: date
    end: date


class RevenuePeriod(Shape):
    """Money received in the days [start, end) of one day, week or month."""

    start: date
    end: date
    amount: MoneyText
    payments: int


class ManagerRevenue(Shape):
    """Money received on one owner's deals."""

    manager: Login
    name: Name
    amount: MoneyText
    payments: int


class RevenueReport(Shape):
    """Matched payments dated in the period, by period and by the deal's current owner."""

    period: PeriodRange
    days: DayRange
    timezone: str = Field(description="[documents] timezone: the days of the dates")
    group: Annotated[str, WithJsonSchema(enum_schema(Grouping))]
    scope: Scope
    attribution: Literal["deal_owner"] = Field(
        description="Money counts for the deal's current owner"
    )
    currency: Literal["RUB"]
    total: MoneyText
    payments: int
    periods: list[RevenuePeriod]
    managers: list[ManagerRevenue]


class BucketSum(Shape):
    """Unpaid invoices in one overdue bucket (not_due: due on as_of or later)."""

    bucket: BucketName
    invoices: int
    due: MoneyText


class ManagerReceivables(Shape):
    """One owner's unpaid invoices by bucket."""

    manager: Login
    name: Name
    due: MoneyText
    invoices: int
    buckets: list[BucketSum]


class OverdueInvoice(Shape):
    """An invoice past its due date and not fully paid."""

    invoice_id: int
    number: str
    deal_id: int
    deal_title: str
    manager: Login
    invoice_date: date
    due_date: date
    total: MoneyText
    paid: MoneyText
    due: MoneyText
    days_overdue: int
    bucket: BucketName


class ReceivablesReport(Shape):
    """Invoices issued by as_of and not fully paid on it (payments dated after as_of do not
    count; cancelled and rejected invoices are left out)."""

    as_of: date
    scope: Scope
    currency: Literal["RUB"]
    due: MoneyText
    invoices: int
    buckets: list[BucketSum]
    managers: list[ManagerReceivables]
    most_overdue: list[OverdueInvoice]


class QuoteConversion(Shape):
    """Quotes created in the period and how far they went."""

    created: int
    sent: int
    accepted: int
    rejected: int
    invoiced: int = Field(description="Quotes with an invoice that is not cancelled")
    quote_to_invoice_rate: Share


class InvoiceConversion(Shape):
    """Invoices dated in the period (not drafts, not cancelled) and how many were paid."""

    issued: int
    issued_amount: MoneyText
    partially_paid: int
    paid: int
    paid_amount: MoneyText
    rejected: int
    invoice_to_payment_rate: Share
    average_days_to_payment: str | None = Field(
        description="Days from the invoice date to full payment, averaged, one decimal"
    )


class DocumentsConversion(Shape):
    """Quote → invoice and invoice → payment over a period."""

    period: PeriodRange
    days: DayRange
    timezone: str
    scope: Scope
    quotes: QuoteConversion
    invoices: InvoiceConversion
