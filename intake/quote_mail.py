"""A quote's PDF for the API and the pages alike: rendered off the event loop, or e-mailed to
the client through the replies outbox (crm_core.quote_sending) from a mailbox that can send."""

from __future__ import annotations

from channels.email.settings import EmailMailboxSettings
from crm_core.document_sending import recipient
from crm_core.errors import RuleError
from crm_core.model import Manager
from crm_core.quote_sending import PrintableQuote, SentQuote, printable_quote, send_quote
from crm_core.replies_model import NewAttachment
from intake.bootstrap import Services
from intake.clock import utcnow
from intake.http.pdf_files import pdf_file_name
from workplace.documents import PDF_MEDIA_TYPE, quote_pdf, render_off_loop
from workplace.documents.quote_view import client_party, quote_view


async def quote_document(
    services: Services, actor: Manager, quote_id: int
) -> tuple[PrintableQuote, bytes]:
    """The quote the actor may see and its PDF; NotFound, DocumentRenderError."""
    async with services.storage.reader() as uow:
        printable = await printable_quote(uow, quote_id, actor)
    return printable, await render(services, printable)


async def render(services: Services, printable: PrintableQuote) -> bytes:
    """The quote's PDF with the seller's requisites, on the documents' thread."""
    documents = services.settings.documents
    view = quote_view(
        printable.quote,
        documents.seller,
        client_party(printable.company, printable.contact),
        documents.timezone,
    )
    return await render_off_loop(lambda: quote_pdf(view))


async def email_quote(
    services: Services,
    actor: Manager,
    quote_id: int,
    *,
    to: str | None,
    message: str | None,
    mailbox: str | None,
    idempotency_key: str,
) -> SentQuote:
    """Render the quote and queue it to the client (default: the deal's contact's e-mail);
    the replies dispatcher is woken to send it. DomainError naming the field,
    DocumentRenderError."""
    async with services.storage.reader() as uow:
        printable = await printable_quote(uow, quote_id, actor)
    # After the quote: a quote the actor may not see is 404 whatever the mailboxes are.
    sender = sending_mailbox(services.settings.email_mailboxes, mailbox)
    address = recipient(to, printable)
    pdf = NewAttachment(
        pdf_file_name(printable.quote.number), PDF_MEDIA_TYPE, await render(services, printable)
    )
    async with services.storage.transaction() as uow:
        sent = await send_quote(
            uow,
            actor,
            quote_id,
            to=address,
            message=message,
            pdf=pdf,
            mailbox=sender.name,
            now=utcnow(),
            idempotency_key=idempotency_key,
        )
    services.outgoing_wakeup.set()
    return sent


def sending_mailbox(
    mailboxes: tuple[EmailMailboxSettings, ...], name: str | None
) -> EmailMailboxSettings:
    """The mailbox asked for, or the first one that can send; RuleError naming `mailbox`."""
    usable = [m for m in mailboxes if m.can_reply]
    if name is not None:
        usable = [m for m in usable if m.name == name]
    if not usable:
        which = f"the mailbox {name!r}" if name else "no mailbox"
        raise RuleError(
            "no_mailbox",
            "mailbox",
            f"{which} can send e-mail: set smtp_host and address in [[email.mailboxes]]",
            422,
        )
    return usable[0]
