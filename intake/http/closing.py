"""Shipments (товарные накладные) and acts over HTTP: made from an invoice, read, marked done
or cancelled, downloaded as PDF, listed on the deal."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web

from crm_core.closing import (
    ClosingTerms,
    change_closing_status,
    create_closing_document,
    deal_closing_documents,
    visible_closing_document,
)
from crm_core.closing_model import ClosingDocument, ClosingKind, ClosingStatus
from crm_core.errors import DomainError
from crm_core.invoices_model import Invoice
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.closing_pdf import closing_document_pdf
from intake.http.body import BadBody, json_body, required_path_id
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.pdf_files import pdf_file_name, pdf_response
from intake.http.quotes import run_command
from intake.http.responses import json_response
from workplace.documents import DocumentRenderError
from workplace.documents.closing_view import closing_totals

log = logging.getLogger(__name__)
Pair = tuple[ClosingDocument, Invoice]


def closing_terms(request: web.Request) -> ClosingTerms:
    """What `[documents]` says about shipments and acts."""
    documents = request.app[SERVICES].settings.documents
    return ClosingTerms(documents.shipment_prefix, documents.act_prefix, documents.timezone)


def _path_id(kind: ClosingKind) -> str:
    return f"{kind.value}_id"


async def _with_invoice(uow: UnitOfWork, document: ClosingDocument) -> Pair:
    invoice = await uow.invoices.get_invoice(document.invoice_id)
    assert invoice is not None
    return document, invoice


async def _create_closing(request: web.Request, kind: ClosingKind) -> web.StreamResponse:
    """A draft shipment or act of the invoice's lines of its kind; 201."""
    invoice_id = required_path_id(request, "invoice_id")
    document_date = _date_field(await json_body(request))
    actor = current_manager(request)
    pipelines = request.app[SERVICES].sales.pipelines
    terms = closing_terms(request)

    async def command(uow: UnitOfWork) -> Pair:
        made = await create_closing_document(
            uow, invoice_id, kind, actor, document_date, pipelines, terms, utcnow()
        )
        return await _with_invoice(uow, made)

    result = await run_command(request, command, write=True)
    if isinstance(result, web.Response):
        return result
    return json_response(closing_json(*result), status=201)


async def _get_closing(request: web.Request, kind: ClosingKind) -> web.StreamResponse:
    """One shipment or act with its lines and amounts."""
    document_id = required_path_id(request, _path_id(kind))
    actor = current_manager(request)

    async def command(uow: UnitOfWork) -> Pair:
        found = await visible_closing_document(uow, document_id, kind, actor)
        return await _with_invoice(uow, found)

    result = await run_command(request, command, write=False)
    if isinstance(result, web.Response):
        return result
    return json_response(closing_json(*result))


async def _change_closing_status(request: web.Request, kind: ClosingKind) -> web.StreamResponse:
    """Mark the shipment shipped or the act signed (`done`), or cancel it."""
    document_id = required_path_id(request, _path_id(kind))
    raw = (await json_body(request)).get("status")
    if not isinstance(raw, str) or raw not in {s.value for s in ClosingStatus}:
        values = ", ".join(s.value for s in ClosingStatus)
        raise BadBody("status", f"status must be one of: {values}")
    actor = current_manager(request)

    async def command(uow: UnitOfWork) -> Pair:
        changed = await change_closing_status(
            uow, document_id, kind, actor, ClosingStatus(raw), utcnow()
        )
        return await _with_invoice(uow, changed)

    result = await run_command(request, command, write=True)
    if isinstance(result, web.Response):
        return result
    return json_response(closing_json(*result))


@require_manager
async def list_deal_closing_route(request: web.Request) -> web.StreamResponse:
    """The deal's shipments and acts, oldest first."""
    deal_id = required_path_id(request, "deal_id")
    actor = current_manager(request)

    async def command(uow: UnitOfWork) -> list[Pair]:
        documents = await deal_closing_documents(uow, deal_id, actor)
        invoices = {i.id: i for i in await uow.invoices.invoices_of_deal(deal_id)}
        return [(d, invoices[d.invoice_id]) for d in documents]

    result = await run_command(request, command, write=False)
    if isinstance(result, web.Response):
        return result
    return json_response({"items": [closing_json(d, i) for d, i in result]})


async def _closing_pdf(request: web.Request, kind: ClosingKind) -> web.StreamResponse:
    """The shipment («Товарная накладная») or the act as a PDF file."""
    document_id = required_path_id(request, _path_id(kind))
    actor = current_manager(request)
    try:
        document, pdf = await closing_document_pdf(request.app[SERVICES], actor, document_id, kind)
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    except DocumentRenderError as err:
        log.error("closing_pdf_failed %s_id=%s error=%s", kind.value, document_id, err)
        return error_response(500, "document_failed", str(err))
    return pdf_response(pdf, pdf_file_name(document.number))


Handler = Callable[[web.Request, ClosingKind], Awaitable[web.StreamResponse]]


def _of(
    kind: ClosingKind, handler: Handler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @require_manager
    async def route(request: web.Request) -> web.StreamResponse:
        return await handler(request, kind)

    route.__doc__ = handler.__doc__
    return route


SHIPMENT, ACT = ClosingKind.SHIPMENT, ClosingKind.ACT
create_shipment_route = _of(SHIPMENT, _create_closing)
create_act_route = _of(ACT, _create_closing)
get_shipment_route = _of(SHIPMENT, _get_closing)
get_act_route = _of(ACT, _get_closing)
shipment_status_route = _of(SHIPMENT, _change_closing_status)
act_status_route = _of(ACT, _change_closing_status)
shipment_pdf_route = _of(SHIPMENT, _closing_pdf)
act_pdf_route = _of(ACT, _closing_pdf)


def closing_json(document: ClosingDocument, invoice: Invoice) -> dict[str, Any]:
    """A shipment or act as the API shows it: the invoice lines it closes (`position` on the
    invoice) and their amounts as decimal strings."""
    totals = closing_totals(document, invoice)
    return {
        "id": document.id,
        "kind": document.kind.value,
        "kind_name": document.kind.label,
        "invoice_id": document.invoice_id,
        "invoice_number": invoice.number,
        "deal_id": document.deal_id,
        "number": document.number,
        "status": document.status.value,
        "status_name": document.status_label,
        "date": document.document_date.isoformat(),
        "items": [
            {
                "position": position,
                "product_id": t.line.product_id,
                "name": t.line.name,
                "unit": t.line.unit,
                "quantity": str(t.line.quantity),
                "price": str(t.line.price),
                "vat_rate": t.line.vat_rate.value,
                "amount": str(t.amount),
            }
            for position, t in zip(document.positions, totals.lines, strict=True)
        ],
        "subtotal": str(totals.subtotal),
        "vat_total": str(totals.vat_total),
        "total": str(totals.total),
        "created_by": document.created_by,
        "created_at": document.created_at.isoformat(),
        "updated_at": document.updated_at.isoformat(),
    }


def _date_field(body: dict[str, Any]) -> date | None:
    raw = body.get("date")
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as err:
        raise BadBody("date", "date must be a date, YYYY-MM-DD") from err
