"""Quotes (КП) on a deal: the request that makes one, a status change, the quote as stored."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from crm_core.money import QUANTITY_MAX, MoneyError, percent, quantity
from crm_core.quotes_model import QuoteStatus
from intake.http.schemas.base import Body, Flag, Id, Shape, enum_schema
from intake.http.schemas.catalogue import MoneyText, Price, VatRateName
from intake.http.schemas.conversations import QueuedMessage


def _quantity(value: object) -> Decimal:
    try:
        return quantity(str(value) if isinstance(value, float) else value)
    except MoneyError as err:
        raise PydanticCustomError("quantity", err.message) from err


def _percent(value: object) -> Decimal:
    try:
        return percent(str(value) if isinstance(value, float) else value)
    except MoneyError as err:
        raise PydanticCustomError("percent", err.message) from err


Quantity = Annotated[
    Decimal,
    PlainValidator(_quantity),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": float(QUANTITY_MAX)},
                {"type": "string", "pattern": "^[0-9]{1,9}(\\.[0-9]{1,3})?$"},
            ],
            "description": "Above 0, at most 3 decimals",
        }
    ),
]
Percent = Annotated[
    Decimal,
    PlainValidator(_percent),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9]{1,2})?$"},
            ],
            "description": "0..100, at most 2 decimals",
        }
    ),
]


def _optional_percent(value: object) -> Decimal | None:
    return None if value is None else _percent(value)


# The same, or null (one flat anyOf, as the document's readers expect).
OptionalPercent = Annotated[
    Decimal | None,
    PlainValidator(_optional_percent),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100},
                {"type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9]{1,2})?$"},
                {"type": "null"},
            ],
            "description": "0..100, at most 2 decimals",
        }
    ),
]
VatModeName = Literal["per_line", "on_total", "included"]
QuoteStatusName = Annotated[str, WithJsonSchema(enum_schema(QuoteStatus))]
DecimalText = Annotated[str, WithJsonSchema({"type": "string", "examples": ["2.5"]})]


class QuoteItem(Body):
    """A line: a catalogue product (its name, unit, VAT rate and price from the chosen price
    list unless given here) or a free line (name, price and vat_rate required)."""

    product_id: Id | None = None
    name: str | None = None
    quantity: Quantity
    price: Price | None = Field(
        default=None, description="Without VAT, or with it in `included` mode"
    )
    vat_rate: VatRateName | None = None
    discount_percent: OptionalPercent = None
    unit: str | None = None
    delivery: Flag = Field(default=False, description="Delivery: no document discount on it")


class NewQuote(Body):
    """POST: a draft quote on the deal."""

    vat_mode: VatModeName = Field(
        description="per_line (НДС по строкам), on_total (на итог), included (в т.ч. НДС)"
    )
    items: list[QuoteItem] = Field(max_length=200, description="At least one line")
    discount_percent: OptionalPercent = Field(
        default=None, description="On every line but delivery"
    )
    price_list_id: Id | None = Field(default=None, description="Where catalogue prices come from")
    valid_until: date | None = Field(
        default=None, description="YYYY-MM-DD; today + [documents] quote_valid_days if absent"
    )


class QuoteStatusChange(Body):
    """POST: the quote's next status; a rejection needs its reason."""

    status: Literal["draft", "sent", "accepted", "rejected"]
    reason: str | None = None


class StoredQuoteLine(Shape):
    """A line with its amounts (decimal strings, kopeck-exact)."""

    position: int
    product_id: int | None
    name: str
    sku: str | None
    unit: str
    quantity: DecimalText
    price: MoneyText
    discount_percent: MoneyText
    vat_rate: VatRateName
    delivery: bool
    gross: MoneyText = Field(description="quantity × price")
    discount: MoneyText = Field(description="The line's own discount and its share of the quote's")
    amount: MoneyText = Field(description="After discounts")
    vat: MoneyText | None = Field(description="The line's VAT; null in on_total mode")


class VatGroup(Shape):
    """The lines of one VAT rate: base without VAT and the VAT."""

    vat_rate: VatRateName
    base: MoneyText
    vat: MoneyText


class Quote(Shape):
    """A quote with its lines and amounts."""

    id: int
    deal_id: int
    number: str = Field(examples=["КП-2026-0001"])
    status: QuoteStatusName
    status_name: str = Field(examples=["Черновик"])
    vat_mode: VatModeName
    discount_percent: MoneyText
    price_list_id: int | None
    valid_until: date | None
    contact_id: int | None
    company_id: int | None
    items: list[StoredQuoteLine]
    gross: MoneyText = Field(description="Before discounts")
    discount_total: MoneyText
    subtotal: MoneyText = Field(description="Without VAT")
    vat_total: MoneyText
    total: MoneyText = Field(description="With VAT")
    total_in_words: str = Field(
        examples=["Две тысячи восемьсот восемьдесят семь рублей 64 копейки"]
    )
    vat_groups: list[VatGroup]
    rejection_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class QuotePage(Shape):
    """A deal's quotes, oldest first."""

    items: list[Quote]


class SendQuote(Body):
    """POST: e-mail the quote's PDF to the client from a mailbox that can send."""

    to: str | None = Field(
        default=None,
        max_length=254,
        description="The recipient's e-mail; default: the deal's contact's (else company's)",
    )
    message: str | None = Field(
        default=None,
        max_length=10_000,
        description="The e-mail's text; default: a short covering note with the total",
    )
    mailbox: str | None = Field(
        default=None,
        description="The [[email.mailboxes]] name to send from; default: the first with SMTP",
    )


class SentQuote(Shape):
    """The quote after the send (a draft becomes sent) and the e-mail queued with its PDF."""

    quote: Quote
    message: QueuedMessage
    to: str = Field(description="The address the e-mail goes to")
