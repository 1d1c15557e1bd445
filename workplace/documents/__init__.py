"""Printed documents (quote, invoice, act, shipment): views, HTML/CSS templates, PDF rendering.

`quote_pdf`, `invoice_pdf` and `act_pdf` turn a view into PDF bytes; they block for the
layout (tens of milliseconds), so request handlers call them through `render_off_loop`.
"""

from __future__ import annotations

from workplace.documents.html import act_html, invoice_html, quote_html, shipment_html
from workplace.documents.render import (
    PDF_MEDIA_TYPE,
    DocumentRenderError,
    render_off_loop,
    render_pdf,
)
from workplace.documents.views import ActView, InvoiceView, QuoteView, ShipmentView

__all__ = [
    "PDF_MEDIA_TYPE",
    "DocumentRenderError",
    "act_pdf",
    "invoice_pdf",
    "quote_pdf",
    "render_off_loop",
    "render_pdf",
    "shipment_pdf",
]


def quote_pdf(view: QuoteView) -> bytes:
    """The commercial offer as a PDF."""
    return render_pdf(quote_html(view))


def invoice_pdf(view: InvoiceView) -> bytes:
    """The invoice («Счёт на оплату») as a PDF."""
    return render_pdf(invoice_html(view))


def act_pdf(view: ActView) -> bytes:
    """The act of work done as a PDF."""
    return render_pdf(act_html(view))


def shipment_pdf(view: ShipmentView) -> bytes:
    """The shipment («Товарная накладная») as a PDF."""
    return render_pdf(shipment_html(view))
