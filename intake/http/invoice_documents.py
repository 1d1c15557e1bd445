"""An invoice's PDF over HTTP: downloaded, or e-mailed to the client from the deal.

`GET /api/v1/invoices/{id}/pdf` answers whoever may see the invoice. `POST .../send` renders
the same PDF, then queues it in one transaction (a draft becoming issued) and wakes the
replies dispatcher, which sends it from a mailbox that has SMTP settings (intake.invoice_mail).
"""

from __future__ import annotations

from aiohttp import web

from crm_core.errors import DomainError
from intake.http.body import required_path_id
from intake.http.errors import error_code, error_response
from intake.http.invoices import invoice_json, invoice_terms
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.pdf_files import pdf_file_name, pdf_response
from intake.http.quote_documents import render_failed, send_request, sent_response
from intake.invoice_mail import email_invoice, invoice_document
from workplace.documents import DocumentRenderError


@require_manager
async def invoice_pdf_route(request: web.Request) -> web.StreamResponse:
    """The invoice as a PDF file (Счёт на оплату)."""
    invoice_id = required_path_id(request, "invoice_id")
    try:
        printable, pdf = await invoice_document(
            request.app[SERVICES], current_manager(request), invoice_id
        )
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    except DocumentRenderError as err:
        return render_failed(invoice_id, err, "invoice")
    return pdf_response(pdf, pdf_file_name(printable.invoice.number))


@require_manager
async def send_invoice_route(request: web.Request) -> web.StreamResponse:
    """E-mail the invoice's PDF to the client (`to`, default the deal's contact's address)."""
    invoice_id = required_path_id(request, "invoice_id")
    send = await send_request(request)
    try:
        sent = await email_invoice(
            request.app[SERVICES],
            send.actor,
            invoice_id,
            to=send.to,
            message=send.message,
            mailbox=send.mailbox,
            idempotency_key=send.idempotency_key,
        )
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    except DocumentRenderError as err:
        return render_failed(invoice_id, err, "invoice")
    document = invoice_json(sent.invoice, invoice_terms(request).timezone)
    return sent_response("invoice", document, sent.message, sent.duplicate)
