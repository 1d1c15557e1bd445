"""A price list of the catalogue: its name, whether it is in force, and its price for each
product; the same crm_core commands as POST/PUT /api/v1/price-lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from crm_core.access import may_edit_catalogue
from crm_core.catalogue import (
    PriceList,
    create_price_list,
    price_list_fields,
    update_price_list,
)
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.money import MoneyError, money
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.catalogue import SECTION, render_catalogue
from workplace.pages.catalogue_products import HEADS_ONLY, Refusal
from workplace.pages.sales_texts import RATE_NAMES, plain_amount, problem_text
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

# A price list page shows this many products; saving changes only the prices it showed.
PRODUCTS_SHOWN = 1000


async def create(request: web.Request) -> web.StreamResponse:
    """Add a price list by name (heads); then its page, to fill in the prices."""
    me = await viewer(request)
    if not may_edit_catalogue(me):
        return await render_catalogue(request, me, {"list_error": HEADS_ONLY}, 403)
    form = await request.post()
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            made = await create_price_list(
                uow, me, price_list_fields({"name": str(form.get("name", ""))}), {}, utcnow()
            )
    except DomainError as err:
        return await render_catalogue(request, me, {"list_error": problem_text(err)}, 422)
    raise web.HTTPSeeOther(f"{SECTION}/price-lists/{made.id}")


async def page(request: web.Request) -> web.StreamResponse:
    """A price list with every product's price in it (read-only for managers)."""
    me = await viewer(request)
    return await _render(request, me, None, {})


async def update(request: web.Request) -> web.StreamResponse:
    """Save the list's name, whether it is in force, and the prices shown on its page (an
    emptied price takes the product out of the list)."""
    me = await viewer(request)
    if not may_edit_catalogue(me):
        return await _render(request, me, Refusal("", HEADS_ONLY), {}, status=403)
    list_id = path_id(request, "price_list_id")
    form = await request.post()
    entered = _entered(form)
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            current = await uow.catalogue.get_price_list(list_id or 0, with_items=True)
            if current is None:
                return not_found(request, me)
            fields = price_list_fields(
                {"name": str(form.get("name", "")), "active": form.get("active") == "on"}
            )
            items = _merged(current, entered)
            await update_price_list(uow, me, current.id, fields, items, utcnow())
    except DomainError as err:
        return await _render(request, me, Refusal(err.field, problem_text(err)), entered, 422)
    raise web.HTTPSeeOther(f"{SECTION}/price-lists/{current.id}?saved=1")


def _entered(form: MultiDictProxy[Any]) -> dict[int, str]:
    return {
        int(key.removeprefix("p_")): str(value).strip()
        for key, value in form.items()
        if key.startswith("p_") and key.removeprefix("p_").isdecimal()
    }


def _merged(current: PriceList, entered: dict[int, str]) -> dict[int, Decimal]:
    """The list's prices with the page's entries applied (products not shown keep theirs)."""
    items = dict(current.items)
    for product_id, text in entered.items():
        if not text:
            items.pop(product_id, None)
            continue
        try:
            items[product_id] = money(text, "price")
        except MoneyError as err:
            raise MoneyError(f"p_{product_id}", err.message) from err
    return items


async def _render(
    request: web.Request,
    me: Manager,
    refusal: Refusal | None,
    entered: dict[int, str],
    status: int = 200,
) -> web.Response:
    list_id = path_id(request, "price_list_id")
    async with request.app[SERVICES].storage.reader() as uow:
        price_list = await uow.catalogue.get_price_list(list_id or 0, with_items=True)
        products = await uow.catalogue.list_products(
            search=None, active=None, price_list_id=None, limit=PRODUCTS_SHOWN, offset=0
        )
    if price_list is None:
        return not_found(request, me)
    prices = {pid: plain_amount(price) for pid, price in price_list.items.items()}
    prices.update(entered)
    context = {
        "price_list": price_list,
        "products": products,
        "prices": prices,
        "refusal": refusal,
        "may_edit": may_edit_catalogue(me),
        "saved": request.query.get("saved") == "1",
        "rate_names": RATE_NAMES,
    }
    return render(request, "price_list.html", me, context, status=status, section=SECTION)
