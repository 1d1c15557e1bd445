"""The catalogue: products and services with their price and VAT rate, and price lists.

Heads of sales edit it, every manager reads it (`crm_core.access.may_edit_catalogue`). Values
arrive as mappings (an API body, a CSV row) and are checked here, so every way in refuses
the same things with the same field named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from crm_core.access import may_edit_catalogue
from crm_core.errors import DomainError, NotFound, RuleError
from crm_core.model import AuditEntry, Manager
from crm_core.money import MoneyError, VatRate, money, parse_vat_rate

if TYPE_CHECKING:  # the storage ports import this module's records
    from crm_core.storage.ports import UnitOfWork

NAME_MAX = 500
UNIT_MAX = 20
SKU_MAX = 100
DESCRIPTION_MAX = 5000
DEFAULT_UNIT = "шт"


class ProductKind(StrEnum):
    """A thing sold (товар) or work done (услуга)."""

    PRODUCT = "product"
    SERVICE = "service"

    @property
    def label(self) -> str:
        """As managers and 1C call it."""
        return "Товар" if self is ProductKind.PRODUCT else "Услуга"


@dataclass(frozen=True, slots=True)
class ProductFields:
    """What a head enters for a product or service (its own price: sold without a list)."""

    name: str
    price: Decimal
    vat_rate: VatRate
    kind: ProductKind = ProductKind.PRODUCT
    unit: str = DEFAULT_UNIT
    sku: str | None = None
    vat_included: bool = False
    active: bool = True
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    """A stored product with its prices per price list (list id → price)."""

    id: int
    fields: ProductFields
    prices: Mapping[int, Decimal]
    created_at: datetime
    updated_at: datetime
    updated_by: str

    def price_in(self, price_list_id: int | None) -> Decimal:
        """Its price in a list, or its own price where the list has none (or no list)."""
        if price_list_id is None:
            return self.fields.price
        return self.prices.get(price_list_id, self.fields.price)


@dataclass(frozen=True, slots=True)
class PriceListFields:
    """What a head enters for a price list."""

    name: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class PriceList:
    """A stored price list; `items` (product id → price) when loaded with them."""

    id: int
    fields: PriceListFields
    created_at: datetime
    updated_at: datetime
    updated_by: str
    items: Mapping[int, Decimal] = field(default_factory=dict)


def search_text(name: str, sku: str | None) -> str:
    """What a catalogue search matches: the name and SKU, case-folded (ё as е)."""
    return " ".join(p for p in (name, sku or "") if p).casefold().replace("ё", "е")


def require_editor(actor: Manager) -> None:
    """Refuse (403) a change to the catalogue by someone who may only read it."""
    if not may_edit_catalogue(actor):
        raise RuleError(
            "forbidden",
            "Authorization",
            "only a head of sales changes the catalogue; managers read it",
            403,
        )


# ---------------------------------------------------------------- reading values


def product_fields(data: Mapping[str, Any], prefix: str = "") -> ProductFields:
    """A product's fields from a mapping (an API body or an import row); MoneyError or
    DomainError naming the field (with `prefix`, e.g. "items.2.")."""
    try:
        return ProductFields(
            name=_text(data, "name", NAME_MAX, required=True) or "",
            price=money(data.get("price"), "price"),
            vat_rate=parse_vat_rate(data.get("vat_rate"), "vat_rate"),
            kind=_kind(data.get("kind", ProductKind.PRODUCT.value)),
            unit=_text(data, "unit", UNIT_MAX) or DEFAULT_UNIT,
            sku=_text(data, "sku", SKU_MAX),
            vat_included=_flag(data, "vat_included", False),
            active=_flag(data, "active", True),
            description=_text(data, "description", DESCRIPTION_MAX),
        )
    except DomainError as err:
        raise type(err)(prefix + err.field, err.message, err.status) from err


def price_list_fields(data: Mapping[str, Any]) -> PriceListFields:
    """A price list's fields from an API body; DomainError naming the field."""
    return PriceListFields(
        name=_text(data, "name", NAME_MAX, required=True) or "",
        active=_flag(data, "active", True),
    )


def list_prices(data: Mapping[str, Any], key: str, id_key: str) -> dict[int, Decimal]:
    """`[{"<id_key>": 1, "price": "10.00"}, ...]` as id → price (absent: empty); an id given
    twice is refused."""
    raw = data.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise MoneyError(key, f"{key} must be a list of {{{id_key}, price}}")
    prices: dict[int, Decimal] = {}
    for index, entry in enumerate(raw):
        where = f"{key}.{index}"
        if not isinstance(entry, Mapping):
            raise MoneyError(where, f"{where} must be an object with {id_key} and price")
        record_id = entry.get(id_key)
        if isinstance(record_id, bool) or not isinstance(record_id, int) or record_id < 1:
            raise MoneyError(f"{where}.{id_key}", f"{id_key} must be a positive integer")
        if record_id in prices:
            raise MoneyError(f"{where}.{id_key}", f"{id_key} {record_id} is given twice")
        prices[record_id] = money(entry.get("price"), f"{where}.price")
    return prices


def _text(
    data: Mapping[str, Any], key: str, maximum: int, *, required: bool = False
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise DomainError(key, f"{key} is required")
        return None
    if not isinstance(value, str):
        raise DomainError(key, f"{key} must be a string")
    text = " ".join(value.split())
    if not text:
        raise DomainError(key, f"{key} is required")
    if len(text) > maximum:
        raise DomainError(key, f"{key} may be at most {maximum} characters")
    return text


def _flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise DomainError(key, f"{key} must be true or false")
    return value


def _kind(value: object) -> ProductKind:
    for kind in ProductKind:
        if value == kind.value:
            return kind
    raise DomainError("kind", "kind must be product or service")


# ---------------------------------------------------------------- commands


async def create_product(
    uow: UnitOfWork,
    actor: Manager,
    fields: ProductFields,
    prices: Mapping[int, Decimal],
    now: datetime,
) -> Product:
    """Add a product (and its prices in lists) as a head; 409 for an SKU already used."""
    require_editor(actor)
    await _check_sku(uow, fields.sku, None)
    await _check_lists(uow, prices)
    product_id = await uow.catalogue.add_product(fields, actor.login, now)
    if product_id is None:
        raise _sku_taken(fields.sku)
    await uow.catalogue.set_product_prices(product_id, prices)
    await _audit(uow, actor, "product", product_id, "create", None, _product_audit(fields), now)
    return await _product(uow, product_id)


async def update_product(
    uow: UnitOfWork,
    actor: Manager,
    product_id: int,
    fields: ProductFields,
    prices: Mapping[int, Decimal] | None,
    now: datetime,
) -> Product:
    """Replace a product's fields (and, when given, all its list prices) as a head."""
    require_editor(actor)
    before = await uow.catalogue.get_product(product_id, for_update=True)
    if before is None:
        raise NotFound("product_id", f"no product {product_id}")
    await _check_sku(uow, fields.sku, product_id)
    if prices is not None:
        await _check_lists(uow, prices)
    await uow.catalogue.replace_product(product_id, fields, actor.login, now)
    if prices is not None:
        await uow.catalogue.set_product_prices(product_id, prices)
    await _audit(
        uow,
        actor,
        "product",
        product_id,
        "update",
        _product_audit(before.fields),
        _product_audit(fields),
        now,
    )
    return await _product(uow, product_id)


async def delete_product(uow: UnitOfWork, actor: Manager, product_id: int, now: datetime) -> None:
    """Remove a product and its list prices as a head (documents keep their own copy of
    it; to stop offering one but keep it, set `active` to false instead)."""
    require_editor(actor)
    product = await uow.catalogue.get_product(product_id, for_update=True)
    if product is None:
        raise NotFound("product_id", f"no product {product_id}")
    await uow.catalogue.delete_product(product_id)
    await _audit(
        uow, actor, "product", product_id, "delete", _product_audit(product.fields), None, now
    )


async def create_price_list(
    uow: UnitOfWork,
    actor: Manager,
    fields: PriceListFields,
    items: Mapping[int, Decimal],
    now: datetime,
) -> PriceList:
    """Add a price list (with its prices, when given) as a head; 409 for a name in use."""
    require_editor(actor)
    await _check_products(uow, items)
    list_id = await uow.catalogue.add_price_list(fields, actor.login, now)
    if list_id is None:
        raise _name_taken(fields.name)
    await uow.catalogue.set_list_prices(list_id, items)
    await _audit(uow, actor, "price_list", list_id, "create", None, {"name": fields.name}, now)
    return await _price_list(uow, list_id)


async def update_price_list(
    uow: UnitOfWork,
    actor: Manager,
    list_id: int,
    fields: PriceListFields,
    items: Mapping[int, Decimal] | None,
    now: datetime,
) -> PriceList:
    """Rename, (de)activate and, when `items` are given, replace a price list's prices."""
    require_editor(actor)
    before = await uow.catalogue.get_price_list(list_id, for_update=True)
    if before is None:
        raise NotFound("price_list_id", f"no price list {list_id}")
    await uow.catalogue.claim("price_list_name", fields.name)
    if items is not None:
        await _check_products(uow, items)
    if not await uow.catalogue.replace_price_list(list_id, fields, actor.login, now):
        raise _name_taken(fields.name)
    if items is not None:
        await uow.catalogue.set_list_prices(list_id, items)
    await _audit(
        uow,
        actor,
        "price_list",
        list_id,
        "update",
        {"name": before.fields.name, "active": before.fields.active},
        {"name": fields.name, "active": fields.active},
        now,
    )
    return await _price_list(uow, list_id)


async def delete_price_list(uow: UnitOfWork, actor: Manager, list_id: int, now: datetime) -> None:
    """Remove a price list and its prices as a head (quotes made from it keep theirs)."""
    require_editor(actor)
    before = await uow.catalogue.get_price_list(list_id, for_update=True)
    if before is None:
        raise NotFound("price_list_id", f"no price list {list_id}")
    await uow.catalogue.delete_price_list(list_id)
    await _audit(
        uow, actor, "price_list", list_id, "delete", {"name": before.fields.name}, None, now
    )


async def _product(uow: UnitOfWork, product_id: int) -> Product:
    product = await uow.catalogue.get_product(product_id)
    assert product is not None
    return product


async def _price_list(uow: UnitOfWork, list_id: int) -> PriceList:
    price_list = await uow.catalogue.get_price_list(list_id, with_items=True)
    assert price_list is not None
    return price_list


async def _check_sku(uow: UnitOfWork, sku: str | None, product_id: int | None) -> None:
    if sku is None:
        return
    await uow.catalogue.claim("product_sku", sku)  # two heads giving one SKU: one wins
    owner = await uow.catalogue.product_id_by_sku(sku)
    if owner is not None and owner != product_id:
        raise _sku_taken(sku)


async def _check_lists(uow: UnitOfWork, prices: Mapping[int, Decimal]) -> None:
    known = await uow.catalogue.existing_price_lists(sorted(prices))
    for index, list_id in enumerate(prices):
        if list_id not in known:
            raise DomainError(f"prices.{index}.price_list_id", f"no price list {list_id}")


async def _check_products(uow: UnitOfWork, items: Mapping[int, Decimal]) -> None:
    known = await uow.catalogue.existing_products(sorted(items))
    for index, product_id in enumerate(items):
        if product_id not in known:
            raise DomainError(f"items.{index}.product_id", f"no product {product_id}")


def _sku_taken(sku: str | None) -> RuleError:
    return RuleError("sku_taken", "sku", f"артикул {sku} уже есть у другого товара", 409)


def _name_taken(name: str) -> RuleError:
    return RuleError("name_taken", "name", f"прайс-лист «{name}» уже есть", 409)


def _product_audit(fields: ProductFields) -> dict[str, Any]:
    return {
        "name": fields.name,
        "sku": fields.sku,
        "price": str(fields.price),
        "vat_rate": fields.vat_rate.value,
        "active": fields.active,
    }


async def _audit(
    uow: UnitOfWork,
    actor: Manager,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    await uow.audit.add_many(
        [AuditEntry(actor.login, entity, entity_id, action, now, before=before, after=after)]
    )
