"""An invoice's PDF for the API and the pages alike: rendered off the event loop, or e-mailed
to the client through the replies outbox (crm_core.invoice_sending) from a mailbox that can
send."""

from __future__ import annotations

from crm_core.document_sending import DocumentMail, recipient
from crm_core.invoice_sending import (
    PrintableInvoice,
    SentInvoice,
    printable_invoice,
    send_invoice,
)
from crm_core.model import Manager
from crm_core.replies_model import NewAttachment
from intake.bootstrap import Services
from intake.clock import utcnow
from intake.http.pdf_files import pdf_file_name
from intake.quote_mail import sending_mailbox
from workplace.documents import PDF_MEDIA_TYPE, invoice_pdf, render_off_loop
from workplace.documents.invoice_view import invoice_view


async def invoice_document(
    services: Services, actor: Manager, invoice_id: int
) -> tuple[PrintableInvoice, bytes]:
    """The invoice the actor may see and its PDF; NotFound, DocumentRenderError."""
    async with services.storage.reader() as uow:
        printable = await printable_invoice(uow, invoice_id, actor)
    return printable, await render(services, printable)


async def render(services: Services, printable: PrintableInvoice) -> bytes:
    """The invoice's PDF, on the documents' thread."""
    documents = services.settings.documents
    view = invoice_view(printable.invoice, printable.quote, documents.seller, documents.timezone)
    return await render_off_loop(lambda: invoice_pdf(view))


async def email_invoice(
    services: Services,
    actor: Manager,
    invoice_id: int,
    *,
    to: str | None,
    message: str | None,
    mailbox: str | None,
    idempotency_key: str,
) -> SentInvoice:
    """Render the invoice and queue it to the client (default: the deal's contact's e-mail);
    a draft is issued; the replies dispatcher is woken to send it. DomainError naming the
    field, DocumentRenderError."""
    async with services.storage.reader() as uow:
        printable = await printable_invoice(uow, invoice_id, actor)
    # After the invoice: one the actor may not see is 404 whatever the mailboxes are.
    sender = sending_mailbox(services.settings.email_mailboxes, mailbox)
    address = recipient(to, printable)
    pdf = NewAttachment(
        pdf_file_name(printable.invoice.number),
        PDF_MEDIA_TYPE,
        await render(services, printable),
    )
    mail = DocumentMail(address, message or "", "", pdf, sender.name)
    async with services.storage.transaction() as uow:
        sent = await send_invoice(
            uow,
            actor,
            invoice_id,
            mail,
            services.sales.pipelines,
            utcnow(),
            idempotency_key,
        )
    services.outgoing_wakeup.set()
    return sent
