"""The catalogue's bodies: products and services, price lists, a CSV import's outcome."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from crm_core.money import MONEY_MAX, MoneyError, VatRate, money
from intake.http.schemas.base import Body, Flag, Id, NonBlank, Shape, enum_schema, member_of


def _price(value: object) -> Decimal:
    try:
        return money(str(value) if isinstance(value, float) else value, "price")
    except MoneyError as err:
        raise PydanticCustomError("amount", err.message) from err


# Money in a request: a JSON number or a decimal string, whole kopecks, 0..MONEY_MAX.
Price = Annotated[
    Decimal,
    PlainValidator(_price),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": float(MONEY_MAX)},
                {"type": "string", "pattern": "^[0-9]{1,14}(\\.[0-9]{1,2})?$"},
            ]
        }
    ),
]
# Money in a response: a decimal string with two decimals.
MoneyText = Annotated[
    str,
    WithJsonSchema({"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$", "examples": ["85.40"]}),
]
VatRateName = Annotated[
    str,
    AfterValidator(member_of(VatRate)),
    WithJsonSchema(
        {**enum_schema(VatRate), "description": "VAT rate in percent, or `none` for «без НДС»"}
    ),
]
KindName = Literal["product", "service"]


class ListPrice(Body):
    """A product's price in one price list."""

    price_list_id: Id
    price: Price


class ProductPrice(Body):
    """A price list's price of one product."""

    product_id: Id
    price: Price


class ProductEdit(Body):
    """POST/PUT: a product or service, whole; `prices` (when given) replace its list prices."""

    name: NonBlank = Field(description="Up to 500 characters")
    price: Price = Field(description="Its own price, used where a price list has none")
    vat_rate: VatRateName
    kind: KindName = "product"
    unit: str | None = Field(default=None, description="Ед. изм.: шт, м, кг, усл...; шт if empty")
    sku: str | None = Field(default=None, description="Артикул, unique")
    vat_included: Flag = Field(default=False, description="Whether the price includes VAT")
    active: Flag = Field(default=True, description="Offered in new quotes")
    description: str | None = None
    prices: list[ListPrice] | None = Field(
        default=None, description="Its price per price list; absent on PUT: kept as they are"
    )


class PriceListEdit(Body):
    """POST/PUT: a price list; `items` (when given) replace all its prices."""

    name: NonBlank = Field(description="Unique")
    active: Flag = True
    items: list[ProductPrice] | None = Field(
        default=None, description="Its prices; absent on PUT: kept as they are"
    )


class StoredListPrice(Shape):
    """A product's price in a list."""

    price_list_id: int
    price: MoneyText


class StoredProductPrice(Shape):
    """A list's price of a product."""

    product_id: int
    price: MoneyText


class Product(Shape):
    """A product or service as stored."""

    id: int
    name: str
    kind: KindName
    unit: str
    sku: str | None
    price: MoneyText
    vat_rate: VatRateName
    vat_included: bool
    active: bool
    description: str | None
    prices: list[StoredListPrice]
    created_at: datetime
    updated_at: datetime
    updated_by: str = Field(description="Login of who changed it last")


class ProductPage(Shape):
    """Products in alphabetical order."""

    items: list[Product]
    next_offset: int | None = Field(description="`offset` of the next page; null at the end")


class PriceList(Shape):
    """A price list (with its prices where one list is shown)."""

    id: int
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
    updated_by: str
    items: list[StoredProductPrice] | None = Field(
        default=None, description="Its prices (on the one-list routes)"
    )


class PriceListPage(Shape):
    """Every price list by name."""

    items: list[PriceList]


class ImportResult(Shape):
    """What a CSV import did."""

    rows: int
    created: int
    updated: int
    ignored_columns: list[str] = Field(description="Columns not recognised, left aside")
