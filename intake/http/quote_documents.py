"""A quote's PDF over HTTP: downloaded, or e-mailed to the client from the deal.

`GET /api/v1/quotes/{id}/pdf` answers whoever may see the quote. `POST .../send` renders the
same PDF, then queues it in one transaction and wakes the replies dispatcher, which sends it
from a mailbox of `[[email.mailboxes]]` that has SMTP settings (intake.quote_mail).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.replies_model import OutgoingMessage
from intake.http.body import BadBody, json_body, required_path_id
from intake.http.conversations import idempotency_key, outgoing_json
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.pdf_files import pdf_file_name, pdf_response
from intake.http.quotes import quote_json
from intake.http.responses import json_response
from intake.quote_mail import email_quote, quote_document
from workplace.documents import DocumentRenderError

log = logging.getLogger(__name__)


@require_manager
async def quote_pdf_route(request: web.Request) -> web.StreamResponse:
    """The quote as a PDF file (Коммерческое предложение)."""
    quote_id = required_path_id(request, "quote_id")
    try:
        printable, pdf = await quote_document(
            request.app[SERVICES], current_manager(request), quote_id
        )
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    except DocumentRenderError as err:
        return render_failed(quote_id, err)
    return pdf_response(pdf, pdf_file_name(printable.quote.number))


@require_manager
async def send_quote_route(request: web.Request) -> web.StreamResponse:
    """E-mail the quote's PDF to the client (`to`, default the deal's contact's address)."""
    quote_id = required_path_id(request, "quote_id")
    send = await send_request(request)
    try:
        sent = await email_quote(
            request.app[SERVICES],
            send.actor,
            quote_id,
            to=send.to,
            message=send.message,
            mailbox=send.mailbox,
            idempotency_key=send.idempotency_key,
        )
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    except DocumentRenderError as err:
        return render_failed(quote_id, err)
    return sent_response("quote", quote_json(sent.quote), sent.message, sent.duplicate)


@dataclass(frozen=True, slots=True)
class SendRequest:
    """What a document's `POST .../send` asks: who sends, to whom, the text, the mailbox."""

    actor: Manager
    to: str | None
    message: str | None
    mailbox: str | None
    idempotency_key: str


async def send_request(request: web.Request) -> SendRequest:
    """The body of a document's send (`to`, `message`, `mailbox`, all optional strings) and
    its idempotency key; BadBody naming a field that is not a string."""
    body = await json_body(request)
    to, message, mailbox = (optional_text(body, k) for k in ("to", "message", "mailbox"))
    actor = current_manager(request)
    return SendRequest(actor, to, message, mailbox, idempotency_key(request, actor.id))


def sent_response(
    name: str, document: dict[str, Any], message: OutgoingMessage, duplicate: bool
) -> web.Response:
    """202: the document after the send, the queued e-mail and its address."""
    return json_response(
        {
            name: document,
            "message": {**outgoing_json(message), "duplicate": duplicate},
            "to": message.address,
        },
        status=202,
    )


def render_failed(document_id: int, err: DocumentRenderError, kind: str = "quote") -> web.Response:
    """A PDF that could not be made: logged, 500 with the reason (no personal data in it)."""
    log.error("%s_pdf_failed %s_id=%s error=%s", kind, kind, document_id, err)
    return error_response(500, "document_failed", str(err))


def optional_text(body: dict[str, Any], key: str) -> str | None:
    """A body's optional string (stripped; empty is None); BadBody naming it otherwise."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadBody(key, f"{key} must be a string")
    return value.strip() or None
