"""Каталог: products and services with search and an active filter, the price lists, and the
CSV import (Bitrix24 / 1C exports), which shows what it created, updated or refused.

Every manager reads it; only who `crm_core.access.may_edit_catalogue` sees the forms, and the
crm_core commands (the same as /api/v1/products/import) refuse anyone else anyway.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm_core.access import may_edit_catalogue
from crm_core.catalogue_import import ImportRefused, ImportResult, import_products, parse_csv
from crm_core.errors import DomainError
from crm_core.model import Manager
from intake.clock import utcnow
from intake.http.body import parse_int
from intake.http.keys import SERVICES
from workplace.pages.sales_texts import RATE_NAMES, problem_text, russian
from workplace.pages.shared import render
from workplace.viewer import viewer

SECTION = "/catalogue"
PAGE_SIZE = 100
ACTIVE_FILTERS = {"": None, "yes": True, "no": False}


async def page(request: web.Request) -> web.StreamResponse:
    """The catalogue, filtered by `?search=&active=yes|no&offset=`."""
    me = await viewer(request)
    return await render_catalogue(request, me, {})


async def upload(request: web.Request) -> web.StreamResponse:
    """Import a CSV file as a head; the catalogue page shows the result or every refused row."""
    me = await viewer(request)
    if not may_edit_catalogue(me):
        return await render_catalogue(
            request, me, {"import_error": "Загружать каталог может только руководитель."}, 403
        )
    form = await request.post()
    file = form.get("file")
    data = file.file.read() if isinstance(file, web.FileField) else b""
    if not data:
        return await render_catalogue(request, me, {"import_error": "Выберите файл CSV."}, 422)
    price_list_id = parse_int(str(form.get("price_list_id") or ""))
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            result = await import_products(uow, me, parse_csv(data), price_list_id, utcnow())
    except ImportRefused as err:
        rows = [(e.row, e.column, russian(e.message)) for e in err.errors]
        refusal = {"import_error": f"Файл не загружен: {russian(err.message)}.", "refused": rows}
        return await render_catalogue(request, me, refusal, 422)
    except DomainError as err:
        return await render_catalogue(request, me, {"import_error": problem_text(err)}, 422)
    return await render_catalogue(request, me, {"imported": _imported(result)})


def _imported(result: ImportResult) -> dict[str, Any]:
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "ignored": result.ignored_columns,
    }


async def render_catalogue(
    request: web.Request, me: Manager, extra: dict[str, Any], status: int = 200
) -> web.Response:
    """The catalogue page with its filters applied, and whatever an action adds."""
    search = request.query.get("search", "").strip()
    active_key = request.query.get("active", "")
    active = ACTIVE_FILTERS.get(active_key)
    offset = parse_int(request.query.get("offset", "0"), minimum=0, maximum=1_000_000) or 0
    async with request.app[SERVICES].storage.reader() as uow:
        products = await uow.catalogue.list_products(
            search=search or None,
            active=active,
            price_list_id=None,
            limit=PAGE_SIZE + 1,
            offset=offset,
        )
        price_lists = await uow.catalogue.list_price_lists()
    context = {
        "products": products[:PAGE_SIZE],
        "next_offset": offset + PAGE_SIZE if len(products) > PAGE_SIZE else None,
        "offset": offset,
        "search": search,
        "active": active_key if active_key in ACTIVE_FILTERS else "",
        "price_lists": price_lists,
        "may_edit": may_edit_catalogue(me),
        "saved": request.query.get("saved") == "1",
        "rate_names": RATE_NAMES,
        **extra,
    }
    return render(request, "catalogue.html", me, context, status=status, section=SECTION)
