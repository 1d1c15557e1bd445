"""A product or service of the catalogue: its form (new or existing) and saving it, with its
prices in each price list; the same crm_core commands as POST/PUT /api/v1/products."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from crm_core.access import may_edit_catalogue
from crm_core.catalogue import PriceList, Product, create_product, product_fields, update_product
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.money import MoneyError, money
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.catalogue import SECTION
from workplace.pages.sales_texts import RATE_NAMES, plain_amount, problem_text
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

TEXT_FIELDS = ("name", "kind", "unit", "sku", "price", "vat_rate", "description")
HEADS_ONLY = "Менять каталог может только руководитель отдела продаж."


@dataclass(frozen=True, slots=True)
class Refusal:
    """What the form says is wrong: the field (for its place on the form) and why."""

    field: str
    message: str


async def new_page(request: web.Request) -> web.StreamResponse:
    """An empty product form."""
    me = await viewer(request)
    values = {"kind": "product", "unit": "шт", "vat_rate": "20", "active": True}
    return await _form(request, me, None, values, {})


async def edit_page(request: web.Request) -> web.StreamResponse:
    """A product's form (read-only for a manager who may not edit the catalogue)."""
    me = await viewer(request)
    product_id = path_id(request, "product_id")
    async with request.app[SERVICES].storage.reader() as uow:
        product = await uow.catalogue.get_product(product_id) if product_id else None
    if product is None:
        return not_found(request, me)
    prices = {str(k): plain_amount(v) for k, v in product.prices.items()}
    return await _form(request, me, product, _values(product), prices)


async def create(request: web.Request) -> web.StreamResponse:
    """Save a new product; back to the catalogue, or the form with what is wrong."""
    return await _save(request, None)


async def update(request: web.Request) -> web.StreamResponse:
    """Save a product's fields and list prices."""
    product_id = path_id(request, "product_id")
    if product_id is None:
        return not_found(request, await viewer(request))
    return await _save(request, product_id)


async def _save(request: web.Request, product_id: int | None) -> web.StreamResponse:
    me = await viewer(request)
    form = await request.post()
    values = _form_values(form)
    prices_entered = {
        key.removeprefix("list_"): str(value).strip()
        for key, value in form.items()
        if key.startswith("list_")
    }
    if not may_edit_catalogue(me):
        return await _form(
            request, me, None, values, prices_entered, Refusal("", HEADS_ONLY), status=403
        )
    try:
        fields = product_fields({k: v for k, v in values.items() if v != ""})
        prices = _list_prices(prices_entered)
        async with request.app[SERVICES].storage.transaction() as uow:
            if product_id is None:
                saved = await create_product(uow, me, fields, prices, utcnow())
            else:
                saved = await update_product(uow, me, product_id, fields, prices, utcnow())
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        product = await _product(request, product_id)
        refusal = Refusal(err.field, problem_text(err))
        return await _form(request, me, product, values, prices_entered, refusal, status=422)
    raise web.HTTPSeeOther(f"{SECTION}?search={quote(saved.fields.name)}&saved=1#products")


async def _product(request: web.Request, product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    async with request.app[SERVICES].storage.reader() as uow:
        return await uow.catalogue.get_product(product_id)


def _list_prices(entered: dict[str, str]) -> dict[int, Decimal]:
    """The list prices filled in (an empty one: the list takes the product's own price)."""
    prices: dict[int, Decimal] = {}
    for key, value in entered.items():
        if key.isdecimal() and value:
            try:
                prices[int(key)] = money(value, "price")
            except MoneyError as err:
                raise MoneyError(f"list_{key}", err.message) from err
    return prices


def _form_values(form: MultiDictProxy[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    values["active"] = form.get("active") == "on"
    values["vat_included"] = form.get("vat_included") == "on"
    return values


def _values(product: Product) -> dict[str, Any]:
    f = product.fields
    return {
        "name": f.name,
        "kind": f.kind.value,
        "unit": f.unit,
        "sku": f.sku or "",
        "price": plain_amount(f.price),
        "vat_rate": f.vat_rate.value,
        "description": f.description or "",
        "active": f.active,
        "vat_included": f.vat_included,
    }


async def _form(
    request: web.Request,
    me: Manager,
    product: Product | None,
    values: dict[str, Any],
    prices: dict[str, str],
    refusal: Refusal | None = None,
    *,
    status: int = 200,
) -> web.Response:
    async with request.app[SERVICES].storage.reader() as uow:
        price_lists: list[PriceList] = await uow.catalogue.list_price_lists()
    product_id = path_id(request, "product_id")
    context = {
        "product": product,
        "action": f"/catalogue/products/{product_id}" if product_id else "/catalogue/products",
        "values": values,
        "prices": prices,
        "price_lists": price_lists,
        "refusal": refusal,
        "may_edit": may_edit_catalogue(me),
        "rate_names": RATE_NAMES,
    }
    return render(request, "catalogue_product.html", me, context, status=status, section=SECTION)
