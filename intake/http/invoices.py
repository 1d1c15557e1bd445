"""Invoices (счета) over HTTP: made from an accepted quote or on a deal, read, issued,
rejected or cancelled."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.amount_words import amount_in_words
from crm_core.invoices import (
    InvoiceTerms,
    change_invoice_status,
    create_invoice,
    deal_invoices,
    invoice_from_quote,
    visible_invoice,
)
from crm_core.invoices_model import Invoice, InvoiceStatus
from crm_core.quotes import quote_request
from intake.clock import utcnow
from intake.http.body import BadBody, json_body, required_path_id
from intake.http.catalogue import plain_numbers
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.quotes import amounts_json, run_command
from intake.http.responses import json_response

# Statuses whose due date can pass.
AWAITING = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID})


def invoice_terms(request: web.Request) -> InvoiceTerms:
    """What `[documents]` says about invoices."""
    documents = request.app[SERVICES].settings.documents
    return InvoiceTerms(
        documents.invoice_prefix,
        documents.timezone,
        documents.invoice_due_days,
        documents.seller_party,
    )


def due_date_field(body: dict[str, Any]) -> date | None:
    """`due_date` of a body: YYYY-MM-DD or absent."""
    raw = body.get("due_date")
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as err:
        raise BadBody("due_date", "due_date must be a date, YYYY-MM-DD") from err


@require_manager
async def create_invoice_route(request: web.Request) -> web.StreamResponse:
    """A draft invoice on the deal, its lines given as a quote's; 201."""
    deal_id = required_path_id(request, "deal_id")
    body: dict[str, Any] = plain_numbers(await json_body(request))
    due = due_date_field(body)
    actor = current_manager(request)
    terms = invoice_terms(request)
    result = await run_command(
        request,
        lambda uow: create_invoice(uow, deal_id, actor, quote_request(body), due, terms, utcnow()),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(invoice_json(result, terms.timezone), status=201)


@require_manager
async def invoice_from_quote_route(request: web.Request) -> web.StreamResponse:
    """A draft invoice from the accepted quote, every line copied; 201."""
    quote_id = required_path_id(request, "quote_id")
    due = due_date_field(await json_body(request))
    actor = current_manager(request)
    terms = invoice_terms(request)
    result = await run_command(
        request,
        lambda uow: invoice_from_quote(uow, quote_id, actor, due, terms, utcnow()),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(invoice_json(result, terms.timezone), status=201)


@require_manager
async def list_deal_invoices_route(request: web.Request) -> web.StreamResponse:
    """The deal's invoices, oldest first."""
    deal_id = required_path_id(request, "deal_id")
    actor = current_manager(request)
    result = await run_command(
        request, lambda uow: deal_invoices(uow, deal_id, actor), write=False
    )
    if isinstance(result, web.Response):
        return result
    timezone = invoice_terms(request).timezone
    return json_response({"items": [invoice_json(i, timezone) for i in result]})


@require_manager
async def get_invoice_route(request: web.Request) -> web.StreamResponse:
    """One invoice with its parties, lines, amounts and payments' sum."""
    invoice_id = required_path_id(request, "invoice_id")
    actor = current_manager(request)
    result = await run_command(
        request, lambda uow: visible_invoice(uow, invoice_id, actor), write=False
    )
    if isinstance(result, web.Response):
        return result
    return json_response(invoice_json(result, invoice_terms(request).timezone))


@require_manager
async def change_invoice_status_route(request: web.Request) -> web.StreamResponse:
    """Issue, reject or cancel the invoice."""
    invoice_id = required_path_id(request, "invoice_id")
    body = await json_body(request)
    raw = body.get("status")
    if not isinstance(raw, str) or raw not in {s.value for s in InvoiceStatus}:
        values = ", ".join(s.value for s in InvoiceStatus)
        raise BadBody("status", f"status must be one of: {values}")
    actor = current_manager(request)
    pipelines = request.app[SERVICES].sales.pipelines
    result = await run_command(
        request,
        lambda uow: change_invoice_status(
            uow, invoice_id, actor, InvoiceStatus(raw), pipelines, utcnow()
        ),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(invoice_json(result, invoice_terms(request).timezone))


def invoice_json(invoice: Invoice, timezone: str) -> dict[str, Any]:
    """An invoice as the API shows it: amounts as decimal strings, the parties' requisites,
    what is paid and due; `overdue` by today in the company's time zone."""
    today = utcnow().astimezone(ZoneInfo(timezone)).date()
    return {
        "id": invoice.id,
        "deal_id": invoice.deal_id,
        "quote_id": invoice.quote_id,
        "number": invoice.number,
        "status": invoice.status.value,
        "status_name": invoice.status.label,
        "vat_mode": invoice.vat_mode.value,
        "discount_percent": str(invoice.discount_percent),
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "overdue": invoice.status in AWAITING and invoice.due_date < today,
        "contact_id": invoice.contact_id,
        "company_id": invoice.company_id,
        "seller": invoice.seller.to_json(),
        "buyer": invoice.buyer.to_json(),
        **amounts_json(invoice.totals),
        "amount_in_words": amount_in_words(invoice.total),
        "paid": str(invoice.paid),
        "due": str(invoice.due),
        "overpaid": invoice.overpaid_by > 0,
        "overpaid_amount": str(invoice.overpaid_by),
        "created_by": invoice.created_by,
        "created_at": invoice.created_at.isoformat(),
        "updated_at": invoice.updated_at.isoformat(),
    }
