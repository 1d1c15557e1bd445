"""An invoice's PDF from its page: «Скачать PDF» and «Отправить клиенту» (by e-mail).

Both run the API's flow (intake.invoice_mail): the same access rule, the same PDF, the same
outbox. A send form carries a key made when the page was drawn, so a double click or a
resent form queues one e-mail.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from crm_core.errors import DomainError, NotFound
from intake.http.keys import SERVICES
from intake.http.pdf_files import pdf_file_name, pdf_response
from intake.invoice_mail import email_invoice, invoice_document
from workplace.documents import DocumentRenderError
from workplace.pages.invoice_page import invoice_path, render_invoice
from workplace.pages.quote_documents import KEY_MAX, RENDER_FAILED, refusal_text
from workplace.pages.shared import not_found, path_id
from workplace.viewer import viewer


async def pdf(request: web.Request) -> web.StreamResponse:
    """The invoice as a PDF download, for a manager who may see it."""
    me = await viewer(request)
    invoice_id = path_id(request, "invoice_id")
    if invoice_id is None:
        return not_found(request, me)
    try:
        printable, content = await invoice_document(request.app[SERVICES], me, invoice_id)
    except NotFound:
        return not_found(request, me)
    except DocumentRenderError:
        return await render_invoice(request, me, RENDER_FAILED, status=500)
    return pdf_response(content, pdf_file_name(printable.invoice.number))


async def send(request: web.Request) -> web.StreamResponse:
    """Отправить клиенту: the PDF by e-mail (a draft is issued); back to the invoice, or the
    invoice with why not."""
    me = await viewer(request)
    invoice_id = path_id(request, "invoice_id")
    if invoice_id is None:
        return not_found(request, me)
    form = await request.post()
    key = str(form.get("send_key") or "")[:KEY_MAX] or uuid.uuid4().hex
    try:
        await email_invoice(
            request.app[SERVICES],
            me,
            invoice_id,
            to=str(form.get("to") or "").strip() or None,
            message=str(form.get("message") or "").strip() or None,
            mailbox=None,
            idempotency_key=f"page:{me.id}:{key}",
        )
    except NotFound:
        return not_found(request, me)
    except DomainError as err:
        if getattr(err, "rule", None) == "invoice_withdrawn":
            return await render_invoice(
                request, me, "Отклонённый или отменённый счёт не отправляют.", status=422
            )
        return await render_invoice(request, me, refusal_text(err), status=422)
    except DocumentRenderError:
        return await render_invoice(request, me, RENDER_FAILED, status=500)
    raise web.HTTPSeeOther(invoice_path(invoice_id))
