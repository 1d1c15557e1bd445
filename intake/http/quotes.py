"""Quotes (КП) over HTTP: made on a deal, read, moved through their statuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from crm_core.amount_words import amount_in_words
from crm_core.errors import DomainError
from crm_core.money import Totals
from crm_core.quotes import (
    change_quote_status,
    create_quote,
    deal_quotes,
    edit_quote,
    quote_request,
    visible_quote,
)
from crm_core.quotes_model import Quote, QuoteStatus
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.body import BadBody, json_body, required_path_id
from intake.http.catalogue import plain_numbers
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response

T = TypeVar("T")


async def run_command(
    request: web.Request, command: Callable[[UnitOfWork], Awaitable[T]], *, write: bool
) -> T | web.Response:
    """The command in a transaction (or a read), or the error answer it raised."""
    storage = request.app[SERVICES].storage
    try:
        async with storage.transaction() if write else storage.reader() as uow:
            return await command(uow)
    except DomainError as err:
        return error_response(
            err.status, error_code(err, "invalid_field"), err.message, field=err.field
        )


@require_manager
async def create_quote_route(request: web.Request) -> web.StreamResponse:
    """A draft quote on the deal, numbered; 201 with its amounts."""
    deal_id = required_path_id(request, "deal_id")
    body: dict[str, Any] = plain_numbers(await json_body(request))
    documents = request.app[SERVICES].settings.documents
    actor = current_manager(request)
    result = await run_command(
        request,
        lambda uow: create_quote(
            uow,
            deal_id,
            actor,
            quote_request(body),
            documents.quote_prefix,
            documents.timezone,
            documents.quote_valid_days,
            utcnow(),
        ),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(quote_json(result), status=201)


@require_manager
async def edit_quote_route(request: web.Request) -> web.StreamResponse:
    """Replace a draft quote's lines and terms; 409 once it is sent or decided."""
    quote_id = required_path_id(request, "quote_id")
    body: dict[str, Any] = plain_numbers(await json_body(request))
    documents = request.app[SERVICES].settings.documents
    actor = current_manager(request)
    result = await run_command(
        request,
        lambda uow: edit_quote(
            uow,
            quote_id,
            actor,
            quote_request(body),
            documents.timezone,
            documents.quote_valid_days,
            utcnow(),
        ),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(quote_json(result))


@require_manager
async def list_deal_quotes_route(request: web.Request) -> web.StreamResponse:
    """The deal's quotes, oldest first."""
    deal_id = required_path_id(request, "deal_id")
    actor = current_manager(request)
    result = await run_command(request, lambda uow: deal_quotes(uow, deal_id, actor), write=False)
    if isinstance(result, web.Response):
        return result
    return json_response({"items": [quote_json(q) for q in result]})


@require_manager
async def get_quote_route(request: web.Request) -> web.StreamResponse:
    """One quote with its lines and amounts."""
    quote_id = required_path_id(request, "quote_id")
    actor = current_manager(request)
    result = await run_command(
        request, lambda uow: visible_quote(uow, quote_id, actor), write=False
    )
    if isinstance(result, web.Response):
        return result
    return json_response(quote_json(result))


@require_manager
async def change_status_route(request: web.Request) -> web.StreamResponse:
    """Move the quote on: sent, then accepted or rejected (with `reason`)."""
    quote_id = required_path_id(request, "quote_id")
    body = await json_body(request)
    raw = body.get("status")
    if not isinstance(raw, str) or raw not in {s.value for s in QuoteStatus}:
        raise BadBody("status", "status must be one of: draft, sent, accepted, rejected")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise BadBody("reason", "reason must be a string")
    actor = current_manager(request)
    result = await run_command(
        request,
        lambda uow: change_quote_status(uow, quote_id, actor, QuoteStatus(raw), reason, utcnow()),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(quote_json(result))


def quote_json(quote: Quote) -> dict[str, Any]:
    """A quote as the API shows it: amounts as decimal strings, recomputed from its lines."""
    return {
        "id": quote.id,
        "deal_id": quote.deal_id,
        "number": quote.number,
        "status": quote.status.value,
        "status_name": quote.status.label,
        "vat_mode": quote.vat_mode.value,
        "discount_percent": str(quote.discount_percent),
        "price_list_id": quote.price_list_id,
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "contact_id": quote.contact_id,
        "company_id": quote.company_id,
        **amounts_json(quote.totals),
        "rejection_reason": quote.rejection_reason,
        "created_by": quote.created_by,
        "created_at": quote.created_at.isoformat(),
        "updated_at": quote.updated_at.isoformat(),
    }


def amounts_json(totals: Totals) -> dict[str, Any]:
    """A document's lines and amounts as decimal strings: items, gross, discount_total,
    subtotal, vat_total, total, total_in_words, vat_groups."""
    return {
        "items": [
            {
                "position": n,
                "product_id": t.line.product_id,
                "name": t.line.name,
                "sku": t.line.sku,
                "unit": t.line.unit,
                "quantity": str(t.line.quantity),
                "price": str(t.line.price),
                "discount_percent": str(t.line.discount_percent),
                "vat_rate": t.line.vat_rate.value,
                "delivery": t.line.delivery,
                "gross": str(t.gross),
                "discount": str(t.discount),
                "amount": str(t.amount),
                "vat": None if t.vat is None else str(t.vat),
            }
            for n, t in enumerate(totals.lines, start=1)
        ],
        "gross": str(totals.gross),
        "discount_total": str(totals.discount),
        "subtotal": str(totals.subtotal),
        "vat_total": str(totals.vat_total),
        "total": str(totals.total),
        "total_in_words": amount_in_words(totals.total),
        "vat_groups": [
            {"vat_rate": g.rate.value, "base": str(g.base), "vat": str(g.vat)}
            for g in totals.vat_groups
        ],
    }
