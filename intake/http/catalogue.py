"""/api/v1/products and /api/v1/price-lists: the catalogue, read by every manager and changed
by heads (crm_core.access.may_edit_catalogue)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from crm_core.catalogue import (
    PriceList,
    Product,
    create_price_list,
    create_product,
    delete_price_list,
    delete_product,
    list_prices,
    price_list_fields,
    product_fields,
    require_editor,
    update_price_list,
    update_product,
)
from crm_core.catalogue_import import ImportRefused, import_products, parse_csv
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.body import (
    BadQuery,
    json_body,
    query_id,
    query_limit,
    query_offset,
    required_path_id,
)
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response

T = TypeVar("T")


def plain_numbers(value: Any) -> Any:
    """A JSON body with its floats as their shortest text (money never goes through float
    arithmetic; the domain refuses floats outright)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {k: plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_numbers(v) for v in value]
    return value


async def _body(request: web.Request) -> dict[str, Any]:
    body: dict[str, Any] = plain_numbers(await json_body(request))
    return body


async def _write(
    request: web.Request, command: Callable[[UnitOfWork, Manager, datetime], Awaitable[T]]
) -> T | web.Response:
    """Run a change of the catalogue: a head's only (403 before the body is looked at)."""
    try:
        require_editor(current_manager(request))
        async with request.app[SERVICES].storage.transaction() as uow:
            return await command(uow, current_manager(request), utcnow())
    except ImportRefused as err:
        return error_response(
            422,
            "invalid_file",
            err.message,
            field=err.field,
            rows=[{"row": e.row, "column": e.column, "message": e.message} for e in err.errors],
        )
    except DomainError as err:
        return error_response(
            err.status, error_code(err, "invalid_field"), err.message, field=err.field
        )


# ---------------------------------------------------------------- products


@require_manager
async def list_products_route(request: web.Request) -> web.StreamResponse:
    """Products by name (`?search=&active=&price_list_id=&limit=&offset=`)."""
    search = (request.query.get("search") or "").strip() or None
    active = _query_flag(request, "active")
    price_list_id = query_id(request, "price_list_id")
    limit = query_limit(request)
    offset = query_offset(request)
    async with request.app[SERVICES].storage.reader() as uow:
        products = await uow.catalogue.list_products(
            search=search,
            active=active,
            price_list_id=price_list_id,
            limit=limit + 1,
            offset=offset,
        )
    more = len(products) > limit
    return json_response(
        {
            "items": [product_json(p) for p in products[:limit]],
            "next_offset": offset + limit if more else None,
        }
    )


@require_manager
async def create_product_route(request: web.Request) -> web.StreamResponse:
    """Add a product or service (heads)."""
    body = await _body(request)
    result = await _write(
        request,
        lambda uow, actor, now: create_product(
            uow, actor, product_fields(body), list_prices(body, "prices", "price_list_id"), now
        ),
    )
    if isinstance(result, web.Response):
        return result
    return json_response(product_json(result), status=201)


@require_manager
async def get_product_route(request: web.Request) -> web.StreamResponse:
    """One product with its list prices."""
    product_id = required_path_id(request, "product_id")
    async with request.app[SERVICES].storage.reader() as uow:
        product = await uow.catalogue.get_product(product_id)
    if product is None:
        return error_response(404, "not_found", f"no product {product_id}", field="product_id")
    return json_response(product_json(product))


@require_manager
async def update_product_route(request: web.Request) -> web.StreamResponse:
    """Replace a product (heads); `prices`, when given, replace its list prices."""
    product_id = required_path_id(request, "product_id")
    body = await _body(request)
    result = await _write(
        request,
        lambda uow, actor, now: update_product(
            uow,
            actor,
            product_id,
            product_fields(body),
            list_prices(body, "prices", "price_list_id")
            if body.get("prices") is not None
            else None,
            now,
        ),
    )
    if isinstance(result, web.Response):
        return result
    return json_response(product_json(result))


@require_manager
async def delete_product_route(request: web.Request) -> web.StreamResponse:
    """Remove a product (heads)."""
    product_id = required_path_id(request, "product_id")
    result = await _write(
        request, lambda uow, actor, now: delete_product(uow, actor, product_id, now)
    )
    if isinstance(result, web.Response):
        return result
    return web.Response(status=204)


@require_manager
async def import_products_route(request: web.Request) -> web.StreamResponse:
    """Create or update products from a CSV file (heads); `?price_list_id=` puts the prices in
    that list."""
    price_list_id = query_id(request, "price_list_id")
    data = await request.read()
    result = await _write(
        request,
        lambda uow, actor, now: import_products(uow, actor, parse_csv(data), price_list_id, now),
    )
    if isinstance(result, web.Response):
        return result
    return json_response(
        {
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "ignored_columns": result.ignored_columns,
        }
    )


# ---------------------------------------------------------------- price lists


@require_manager
async def list_price_lists_route(request: web.Request) -> web.StreamResponse:
    """Every price list by name."""
    async with request.app[SERVICES].storage.reader() as uow:
        lists = await uow.catalogue.list_price_lists()
    return json_response({"items": [price_list_json(p, items=False) for p in lists]})


@require_manager
async def create_price_list_route(request: web.Request) -> web.StreamResponse:
    """Add a price list (heads), with its prices when given."""
    body = await _body(request)
    result = await _write(
        request,
        lambda uow, actor, now: create_price_list(
            uow, actor, price_list_fields(body), list_prices(body, "items", "product_id"), now
        ),
    )
    if isinstance(result, web.Response):
        return result
    return json_response(price_list_json(result), status=201)


@require_manager
async def get_price_list_route(request: web.Request) -> web.StreamResponse:
    """One price list with its prices."""
    list_id = required_path_id(request, "price_list_id")
    async with request.app[SERVICES].storage.reader() as uow:
        price_list = await uow.catalogue.get_price_list(list_id, with_items=True)
    if price_list is None:
        return error_response(404, "not_found", f"no price list {list_id}", field="price_list_id")
    return json_response(price_list_json(price_list))


@require_manager
async def update_price_list_route(request: web.Request) -> web.StreamResponse:
    """Rename or (de)activate a price list (heads); `items`, when given, replace its prices."""
    list_id = required_path_id(request, "price_list_id")
    body = await _body(request)
    result = await _write(
        request,
        lambda uow, actor, now: update_price_list(
            uow,
            actor,
            list_id,
            price_list_fields(body),
            list_prices(body, "items", "product_id") if body.get("items") is not None else None,
            now,
        ),
    )
    if isinstance(result, web.Response):
        return result
    return json_response(price_list_json(result))


@require_manager
async def delete_price_list_route(request: web.Request) -> web.StreamResponse:
    """Remove a price list and its prices (heads)."""
    list_id = required_path_id(request, "price_list_id")
    result = await _write(
        request, lambda uow, actor, now: delete_price_list(uow, actor, list_id, now)
    )
    if isinstance(result, web.Response):
        return result
    return web.Response(status=204)


# ---------------------------------------------------------------- shapes


def product_json(product: Product) -> dict[str, Any]:
    """A product as the API shows it (money as decimal strings)."""
    f = product.fields
    return {
        "id": product.id,
        "name": f.name,
        "kind": f.kind.value,
        "unit": f.unit,
        "sku": f.sku,
        "price": str(f.price),
        "vat_rate": f.vat_rate.value,
        "vat_included": f.vat_included,
        "active": f.active,
        "description": f.description,
        "prices": [
            {"price_list_id": list_id, "price": str(price)}
            for list_id, price in sorted(product.prices.items())
        ],
        "created_at": product.created_at.isoformat(),
        "updated_at": product.updated_at.isoformat(),
        "updated_by": product.updated_by,
    }


def price_list_json(price_list: PriceList, *, items: bool = True) -> dict[str, Any]:
    """A price list as the API shows it, with its prices unless `items` is false."""
    body: dict[str, Any] = {
        "id": price_list.id,
        "name": price_list.fields.name,
        "active": price_list.fields.active,
        "created_at": price_list.created_at.isoformat(),
        "updated_at": price_list.updated_at.isoformat(),
        "updated_by": price_list.updated_by,
    }
    if items:
        body["items"] = [
            {"product_id": product_id, "price": str(price)}
            for product_id, price in sorted(price_list.items.items())
        ]
    return body


def _query_flag(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if not raw:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise BadQuery(name, f"{name} must be true or false")
