"""«Создать КП» on a deal: pick products from the catalogue (at the chosen price list's
price), add free and delivery lines, discounts, the VAT mode and the validity date; htmx asks
the server for the amounts as lines change, and saving runs crm_core's `create_quote`, as
POST /api/v1/deals/{id}/quotes does. «Изменить» on a draft quote opens the same builder
filled with it, and saving runs `edit_quote`, as PUT /api/v1/quotes/{id} does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.access import may_change
from crm_core.errors import DomainError
from crm_core.holders import deal_holders
from crm_core.model import Manager
from crm_core.quotes import (
    catalogue_price,
    create_quote,
    edit_quote,
    quote_request,
    visible_quote,
)
from crm_core.quotes_model import Quote, QuoteStatus
from crm_core.sales import Deal, DealStatus
from intake.clock import utcnow
from intake.http.body import parse_int
from intake.http.keys import SERVICES
from workplace.pages.quote_draft import (
    Draft,
    draft_of,
    empty_draft,
    preview,
    read_draft,
    repriced,
    request_body,
    with_free_line,
    with_product,
    without_line,
)
from workplace.pages.sales_texts import MODE_NAMES, RATE_NAMES, problem_text
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

PICKER_SIZE = 20


async def page(request: web.Request) -> web.StreamResponse:
    """The builder, empty, valid for the configured number of days."""
    me = await viewer(request)
    deal = await _deal(request, me)
    if deal is None:
        return not_found(request, me)
    documents = request.app[SERVICES].settings.documents
    today = utcnow().astimezone(ZoneInfo(documents.timezone)).date()
    draft = empty_draft(today + timedelta(days=documents.quote_valid_days))
    return await _builder(request, me, deal, draft, "")


async def draft(request: web.Request) -> web.StreamResponse:
    """htmx: the amounts of the draft as typed, or (after adding, removing or re-pricing a
    line) the whole editor."""
    me = await viewer(request)
    deal = await _deal(request, me)
    if deal is None:
        return not_found(request, me)
    form = await request.post()
    current = read_draft(form)
    op = str(form.get("op", ""))
    added = parse_int(str(form.get("add_product", "")))
    async with request.app[SERVICES].storage.reader() as uow:
        wanted = [*current.product_ids(), *([added] if added else [])]
        products = await uow.catalogue.products(wanted)
    if added and added in products and products[added].fields.active:
        current = with_product(current, products[added])
    elif op in ("free", "delivery"):
        current = with_free_line(current, delivery=op == "delivery")
    elif op == "remove":
        current = without_line(current, parse_int(str(form.get("index", "")), minimum=0))
    elif op == "reprice":
        current = repriced(current, products)
    else:
        context = {"deal": deal, "preview": preview(current, products), "oob": True}
        return render(request, "_quote_totals.html", me, context)
    context = {**_editor_context(deal, current), "preview": preview(current, products)}
    return render(request, "_quote_editor.html", me, context)


async def products(request: web.Request) -> web.StreamResponse:
    """htmx: active catalogue products matching `?search=`, at their price in the chosen
    list and VAT mode, each with «Добавить»."""
    me = await viewer(request)
    deal = await _deal(request, me)
    if deal is None:
        return not_found(request, me)
    shown = Draft(
        str(request.query.get("vat_mode", "")),
        str(request.query.get("price_list_id", "")),
        "",
        "",
        (),
    )
    search = request.query.get("search", "").strip()
    async with request.app[SERVICES].storage.reader() as uow:
        found = await uow.catalogue.list_products(
            search=search or None, active=True, price_list_id=None, limit=PICKER_SIZE, offset=0
        )
    offers = [(p, catalogue_price(p, shown.list_id, shown.mode)) for p in found]
    context = {"deal": deal, "offers": offers, "search": search, "rate_names": RATE_NAMES}
    return render(request, "_quote_products.html", me, context)


async def save(request: web.Request) -> web.StreamResponse:
    """Make the quote (a draft, numbered) and open it; or the builder with what is wrong."""
    me = await viewer(request)
    deal = await _deal(request, me)
    if deal is None:
        return not_found(request, me)
    current = read_draft(await request.post())
    documents = request.app[SERVICES].settings.documents
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            quote = await create_quote(
                uow,
                deal.id,
                me,
                quote_request(request_body(current)),
                documents.quote_prefix,
                documents.timezone,
                documents.quote_valid_days,
                utcnow(),
            )
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        return await _builder(request, me, deal, current, problem_text(err), status=422)
    raise web.HTTPSeeOther(f"/quotes/{quote.id}")


async def edit_page(request: web.Request) -> web.StreamResponse:
    """The builder filled with a draft quote; a quote past its draft opens as it is."""
    me = await viewer(request)
    found = await _editable(request, me)
    if found is None:
        return not_found(request, me)
    quote, deal = found
    if quote.status is not QuoteStatus.DRAFT:
        raise web.HTTPSeeOther(f"/quotes/{quote.id}")
    return await _builder(request, me, deal, draft_of(quote), "", quote=quote)


async def update(request: web.Request) -> web.StreamResponse:
    """Replace the draft quote's lines and terms and open it; or the builder with what is
    wrong."""
    me = await viewer(request)
    found = await _editable(request, me)
    if found is None:
        return not_found(request, me)
    quote, deal = found
    current = read_draft(await request.post())
    documents = request.app[SERVICES].settings.documents
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            await edit_quote(
                uow,
                quote.id,
                me,
                quote_request(request_body(current)),
                documents.timezone,
                documents.quote_valid_days,
                utcnow(),
            )
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        message = problem_text(err)
        return await _builder(request, me, deal, current, message, status=422, quote=quote)
    raise web.HTTPSeeOther(f"/quotes/{quote.id}")


async def _editable(request: web.Request, me: Manager) -> tuple[Quote, Deal] | None:
    """The quote of the path and its deal, if the viewer may change the deal."""
    quote_id = path_id(request, "quote_id")
    if quote_id is None:
        return None
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            quote = await visible_quote(uow, quote_id, me)
            deal = await uow.sales.get_deal(quote.deal_id)
    except DomainError:
        return None
    if deal is None or not may_change(me, deal_holders(deal)):
        return None
    return quote, deal


async def _deal(request: web.Request, me: Manager) -> Deal | None:
    """The deal of the path, if the viewer may make a quote on it (its owner or a head)."""
    deal_id = path_id(request, "deal_id")
    if deal_id is None:
        return None
    async with request.app[SERVICES].storage.reader() as uow:
        deal = await uow.sales.get_deal(deal_id)
    if deal is None or not may_change(me, deal_holders(deal)):
        return None
    return deal


def _editor_context(deal: Deal, current: Draft) -> dict[str, Any]:
    return {
        "deal": deal,
        "draft": current,
        "rate_names": RATE_NAMES,
        "mode_names": MODE_NAMES,
    }


async def _builder(
    request: web.Request,
    me: Manager,
    deal: Deal,
    current: Draft,
    message: str,
    *,
    status: int = 200,
    quote: Quote | None = None,
) -> web.Response:
    async with request.app[SERVICES].storage.reader() as uow:
        price_lists = [p for p in await uow.catalogue.list_price_lists() if p.fields.active]
        products = await uow.catalogue.products(current.product_ids())
    context = {
        **_editor_context(deal, current),
        "preview": preview(current, products),
        "price_lists": price_lists,
        "message": message,
        "closed": deal.status is not DealStatus.OPEN,
        "editing": quote,
    }
    return render(request, "quote_builder.html", me, context, status=status, section="/deals")
