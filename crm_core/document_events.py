"""Outbound webhook events of the sales documents: a quote's or an invoice's status changed,
a payment settled an invoice. Each is ordered with its deal's own events (`deal:<id>`), so a
subscriber sees `payment.received` before the `deal.stage_changed` it caused, and each carries
the deal's pipeline for subscription filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_core.invoices_model import Invoice, InvoiceStatus, Payment
from crm_core.quotes_model import Quote, QuoteStatus
from crm_core.webhooks import EventType, WebhookEvent, record_key


def quote_status_event(
    quote: Quote, previous: QuoteStatus, status: QuoteStatus, pipeline: str, now: datetime
) -> WebhookEvent:
    """A quote went from `previous` to `status` (sent, accepted, rejected with its reason)."""
    data = {
        "quote_id": quote.id,
        "deal_id": quote.deal_id,
        "number": quote.number,
        "status": status.value,
        "previous_status": previous.value,
        "total": str(quote.total),
        "rejection_reason": quote.rejection_reason if status is QuoteStatus.REJECTED else None,
    }
    return _on_deal(EventType.QUOTE_STATUS_CHANGED, quote.deal_id, data, pipeline, now)


def invoice_status_event(
    invoice: Invoice,
    status: InvoiceStatus,
    paid: Decimal,
    pipeline: str,
    now: datetime,
) -> WebhookEvent:
    """An invoice went from its stored status to `status` (issued, paid in part or in full,
    rejected, cancelled), with what is paid on it by then."""
    data = {
        "invoice_id": invoice.id,
        "deal_id": invoice.deal_id,
        "quote_id": invoice.quote_id,
        "number": invoice.number,
        "status": status.value,
        "previous_status": invoice.status.value,
        "total": str(invoice.total),
        "paid": str(paid),
        "due_date": invoice.due_date.isoformat(),
    }
    return _on_deal(EventType.INVOICE_STATUS_CHANGED, invoice.deal_id, data, pipeline, now)


def payment_received_event(
    payment: Payment, invoice: Invoice, paid: Decimal, pipeline: str, now: datetime
) -> WebhookEvent:
    """A payment was matched to an invoice (by hand, by a bank statement, or by a person
    from the unmatched list)."""
    data = {
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "deal_id": invoice.deal_id,
        "invoice_number": invoice.number,
        "amount": str(payment.amount),
        "paid_on": payment.paid_on.isoformat(),
        "source": payment.source.value,
        "invoice_paid": str(paid),
        "invoice_total": str(invoice.total),
    }
    return _on_deal(EventType.PAYMENT_RECEIVED, invoice.deal_id, data, pipeline, now)


def _on_deal(
    type_: EventType, deal_id: int, data: Mapping[str, Any], pipeline: str, now: datetime
) -> WebhookEvent:
    return WebhookEvent(type_, record_key("deal", deal_id), now, data, pipeline=pipeline)
