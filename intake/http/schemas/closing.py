"""Shipments (товарные накладные) and acts: the requests that make and close them, and their
shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from crm_core.closing_model import ClosingKind, ClosingStatus
from intake.http.schemas.base import Body, Shape, enum_schema
from intake.http.schemas.catalogue import MoneyText, VatRateName
from intake.http.schemas.quotes import DecimalText

ClosingKindName = Annotated[str, WithJsonSchema(enum_schema(ClosingKind))]
ClosingStatusName = Annotated[str, WithJsonSchema(enum_schema(ClosingStatus))]


class NewClosingDocument(Body):
    """POST: a shipment or act of the invoice (the body may be empty)."""

    date: dt.date | None = Field(default=None, description="YYYY-MM-DD; today if absent")


class ClosingStatusChange(Body):
    """POST: `done` (shipped / signed) or `cancelled`."""

    status: Literal["draft", "done", "cancelled"]


class ClosingLine(Shape):
    """An invoice line the document closes (`position` on the invoice)."""

    position: int
    product_id: int | None
    name: str
    unit: str
    quantity: DecimalText
    price: MoneyText
    vat_rate: VatRateName
    amount: MoneyText


class ClosingDocument(Shape):
    """A shipment or act with the invoice lines it closes and their amounts."""

    id: int
    kind: ClosingKindName
    kind_name: str = Field(examples=["Акт"])
    invoice_id: int
    invoice_number: str
    deal_id: int
    number: str = Field(examples=["АКТ-2026-0001"])
    status: ClosingStatusName
    status_name: str = Field(examples=["Подписан"])
    date: dt.date
    items: list[ClosingLine]
    subtotal: MoneyText
    vat_total: MoneyText
    total: MoneyText
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ClosingPage(Shape):
    """A deal's shipments and acts, oldest first."""

    items: list[ClosingDocument]
