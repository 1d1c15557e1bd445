"""Payments over HTTP: entered by hand, imported from a bank statement (the 1C exchange
file), listed (the unmatched ones wait for a person) and matched by hand.

A statement is larger than the service's other bodies: this route alone reads up to
STATEMENT_MAX_BYTES (the body timeout middleware leaves a body over `[http] max_body_bytes`
unread, and the route reads it here under its own cap and the same timeout).
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

from aiohttp import web

from crm_core.invoices_model import Payment
from crm_core.money import MoneyError, money
from crm_core.payments import (
    Applied,
    ImportSummary,
    ManualPayment,
    Outcome,
    import_statement,
    match_payment,
    record_payment,
    visible_payments,
)
from intake.clock import utcnow
from intake.http.body import (
    BadBody,
    BadQuery,
    int_field,
    json_body,
    query_id,
    query_limit,
    query_offset,
    required_path_id,
)
from intake.http.errors import error_response
from intake.http.inbound import BodyTooLarge
from intake.http.invoices import invoice_json, invoice_terms
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.quotes import run_command
from intake.http.responses import json_response

STATEMENT_MAX_BYTES = 2 * 1024 * 1024


@require_manager
async def create_payment_route(request: web.Request) -> web.StreamResponse:
    """Record a payment for an invoice by hand; 201 with the invoice as it is after it."""
    body = await json_body(request)
    entry = ManualPayment(
        invoice_id=int_field(body, "invoice_id"),
        amount=_amount(body),
        paid_on=_date(body),
        payer=_optional_text(body, "payer"),
        purpose=_optional_text(body, "purpose"),
    )
    actor = current_manager(request)
    pipelines = request.app[SERVICES].sales.pipelines
    result = await run_command(
        request,
        lambda uow: record_payment(uow, actor, entry, pipelines, utcnow()),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(applied_json(result, request), status=201)


@require_manager
async def import_payments_route(request: web.Request) -> web.StreamResponse:
    """Import a bank statement (1CClientBankExchange, cp1251) of up to 2 MiB (heads)."""
    data = await statement_body(request)
    if isinstance(data, web.Response):
        return data
    actor = current_manager(request)
    documents = request.app[SERVICES].settings.documents
    pipelines = request.app[SERVICES].sales.pipelines
    result = await run_command(
        request,
        lambda uow: import_statement(
            uow,
            actor,
            data,
            documents.seller_party,
            documents.invoice_prefix,
            pipelines,
            utcnow(),
        ),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(summary_json(result))


@require_manager
async def list_payments_route(request: web.Request) -> web.StreamResponse:
    """Payments, newest first (`?status=unmatched|matched&invoice_id=&limit=&offset=`)."""
    raw = request.query.get("status")
    if raw not in (None, "", "matched", "unmatched"):
        raise BadQuery("status", "status must be matched or unmatched")
    matched = None if not raw else raw == "matched"
    invoice_id = query_id(request, "invoice_id")
    limit, offset = query_limit(request), query_offset(request)
    actor = current_manager(request)
    result = await run_command(
        request,
        lambda uow: visible_payments(uow, actor, matched, invoice_id, limit, offset),
        write=False,
    )
    if isinstance(result, web.Response):
        return result
    return json_response({"items": [payment_json(p) for p in result]})


@require_manager
async def match_payment_route(request: web.Request) -> web.StreamResponse:
    """Settle an invoice with a waiting payment (`{"invoice_id": ...}`)."""
    payment_id = required_path_id(request, "payment_id")
    invoice_id = int_field(await json_body(request), "invoice_id")
    actor = current_manager(request)
    pipelines = request.app[SERVICES].sales.pipelines
    result = await run_command(
        request,
        lambda uow: match_payment(uow, payment_id, invoice_id, actor, pipelines, utcnow()),
        write=True,
    )
    if isinstance(result, web.Response):
        return result
    return json_response(applied_json(result, request))


async def statement_body(request: web.Request) -> bytes | web.Response:
    """The statement's bytes, up to STATEMENT_MAX_BYTES, read within the body timeout."""
    if (request.content_length or 0) > STATEMENT_MAX_BYTES:
        return BodyTooLarge(STATEMENT_MAX_BYTES).response()
    http = request.app[SERVICES].settings.http
    if (request.content_length or 0) <= http.max_body_bytes:
        # The body timeout middleware has read it under the usual cap (a body without a
        # length, too: a statement larger than the cap needs a Content-Length).
        return await request.read()
    larger = request.clone(client_max_size=STATEMENT_MAX_BYTES + 1)
    try:
        async with asyncio.timeout(http.body_timeout_seconds):
            data = await larger.read()
    except TimeoutError:
        response = error_response(
            408,
            "request_timeout",
            f"the body did not arrive within {http.body_timeout_seconds:g} s",
            field="body",
        )
        response.force_close()
        return response
    except web.HTTPRequestEntityTooLarge:
        return BodyTooLarge(STATEMENT_MAX_BYTES).response()
    if len(data) > STATEMENT_MAX_BYTES:
        return BodyTooLarge(STATEMENT_MAX_BYTES).response()
    return data


def payment_json(payment: Payment) -> dict[str, Any]:
    """A payment as the API shows it."""
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "status": "unmatched" if payment.invoice_id is None else "matched",
        "amount": str(payment.amount),
        "date": payment.paid_on.isoformat(),
        "document_number": payment.document_number,
        "payer": payment.payer_name,
        "payer_inn": payment.payer_inn,
        "purpose": payment.purpose,
        "source": payment.source.value,
        "matched_by": payment.matched_by,
        "matched_at": payment.matched_at.isoformat() if payment.matched_at else None,
        "created_by": payment.created_by,
        "created_at": payment.created_at.isoformat(),
    }


def applied_json(applied: Applied, request: web.Request) -> dict[str, Any]:
    """A payment, the invoice it settles (as it is after it) and what it did."""
    timezone = invoice_terms(request).timezone
    return {
        "payment": payment_json(applied.payment),
        "invoice": invoice_json(applied.invoice, timezone) if applied.invoice else None,
        "outcome": applied.outcome,
    }


def summary_json(summary: ImportSummary) -> dict[str, Any]:
    """An import's counts and every document's outcome."""
    counts = summary.counts
    return {
        "matched": counts[Outcome.MATCHED] + counts[Outcome.PARTIAL] + counts[Outcome.OVERPAID],
        "partial": counts[Outcome.PARTIAL],
        "overpaid": counts[Outcome.OVERPAID],
        "unmatched": counts[Outcome.UNMATCHED],
        "duplicates": counts[Outcome.DUPLICATE],
        "skipped": counts[Outcome.SKIPPED],
        "items": [
            {
                "number": document.number,
                "date": document.date.isoformat(),
                "amount": str(document.amount),
                "payer_inn": document.payer_inn,
                "payment_id": payment_id,
                "outcome": outcome,
            }
            for document, payment_id, outcome in summary.items
        ],
    }


def _amount(body: dict[str, Any]) -> Decimal:
    value = body.get("amount")
    try:
        amount = money(str(value) if isinstance(value, float) else value, "amount")
    except MoneyError as err:
        raise BadBody("amount", err.message) from err
    if amount <= 0:
        raise BadBody("amount", "amount must be above zero")
    return amount


def _date(body: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(body.get("date")))
    except ValueError as err:
        raise BadBody("date", "date must be a date, YYYY-MM-DD") from err


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadBody(name, f"{name} must be a string")
    return value
