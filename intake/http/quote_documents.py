"""A quote's PDF over HTTP: downloaded, or e-mailed to the client from the deal.

`GET /api/v1/quotes/{id}/pdf` answers whoever may see the quote. `POST .../send` renders the
same PDF, then queues it in one transaction (crm_core.quote_sending) and wakes the replies
dispatcher, which sends it from a mailbox of `[[email.mailboxes]]` that has SMTP settings.
The PDF is laid out on the documents' own thread, so the event loop keeps serving.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from channels.email.settings import EmailMailboxSettings
from crm_core.errors import DomainError, RuleError
from crm_core.quote_sending import PrintableQuote, printable_quote, recipient
from crm_core.quote_sending import send_quote as queue_quote
from crm_core.replies_model import NewAttachment
from intake.clock import utcnow
from intake.http.body import BadBody, json_body, required_path_id
from intake.http.conversations import idempotency_key, outgoing_json
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.pdf_files import pdf_file_name, pdf_response
from intake.http.quotes import quote_json
from intake.http.responses import json_response
from workplace.documents import PDF_MEDIA_TYPE, DocumentRenderError, quote_pdf, render_off_loop
from workplace.documents.quote_view import client_party, quote_view

log = logging.getLogger(__name__)


@require_manager
async def quote_pdf_route(request: web.Request) -> web.StreamResponse:
    """The quote as a PDF file (Коммерческое предложение)."""
    quote_id = required_path_id(request, "quote_id")
    actor = current_manager(request)
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            printable = await printable_quote(uow, quote_id, actor)
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    rendered = await _render(request, printable)
    if isinstance(rendered, web.Response):
        return rendered
    return pdf_response(rendered, pdf_file_name(printable.quote.number))


@require_manager
async def send_quote_route(request: web.Request) -> web.StreamResponse:
    """E-mail the quote's PDF to the client (`to`, default the deal's contact's address)."""
    quote_id = required_path_id(request, "quote_id")
    body = await json_body(request)
    to, message, mailbox_name = (_optional_text(body, k) for k in ("to", "message", "mailbox"))
    actor = current_manager(request)
    key = idempotency_key(request, actor.id)
    services = request.app[SERVICES]
    try:
        mailbox = sending_mailbox(services.settings.email_mailboxes, mailbox_name)
        async with services.storage.reader() as uow:
            printable = await printable_quote(uow, quote_id, actor)
        address = recipient(to, printable)
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    rendered = await _render(request, printable)
    if isinstance(rendered, web.Response):
        return rendered
    pdf = NewAttachment(pdf_file_name(printable.quote.number), PDF_MEDIA_TYPE, rendered)
    try:
        async with services.storage.transaction() as uow:
            sent = await queue_quote(
                uow,
                actor,
                quote_id,
                to=address,
                message=message,
                pdf=pdf,
                mailbox=mailbox.name,
                now=utcnow(),
                idempotency_key=key,
            )
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    services.outgoing_wakeup.set()
    return json_response(
        {
            "quote": quote_json(sent.quote),
            "message": {**outgoing_json(sent.message), "duplicate": sent.duplicate},
            "to": address,
        },
        status=202,
    )


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


async def _render(request: web.Request, printable: PrintableQuote) -> bytes | web.Response:
    documents = request.app[SERVICES].settings.documents
    try:
        view = quote_view(
            printable.quote,
            documents.seller,
            client_party(printable.company, printable.contact),
            documents.timezone,
        )
        return await render_off_loop(lambda: quote_pdf(view))
    except DocumentRenderError as err:
        log.error("quote_pdf_failed quote_id=%s error=%s", printable.quote.id, err)
        return error_response(500, "document_failed", str(err))


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadBody(key, f"{key} must be a string")
    return value.strip() or None
