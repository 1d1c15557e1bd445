"""A quote's PDF from its page: «Скачать PDF» and «Отправить клиенту» (by e-mail).

Both run the API's flow (intake.quote_mail): the same access rule, the same PDF, the same
outbox. A send form carries a key made when the page was drawn, so a double click or a
resent form queues one e-mail.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from crm_core.errors import DomainError, NotFound
from intake.http.keys import SERVICES
from intake.http.pdf_files import pdf_file_name, pdf_response
from intake.quote_mail import email_quote, quote_document
from workplace.documents import DocumentRenderError
from workplace.pages.quote_page import render_quote
from workplace.pages.sales_texts import problem_text
from workplace.pages.shared import not_found, path_id
from workplace.viewer import viewer

KEY_MAX = 64
RENDER_FAILED = "PDF не получился: проверьте реквизиты и картинки в [documents.seller]."


async def pdf(request: web.Request) -> web.StreamResponse:
    """The quote as a PDF download, for a manager who may see it."""
    me = await viewer(request)
    quote_id = path_id(request, "quote_id")
    if quote_id is None:
        return not_found(request, me)
    try:
        printable, content = await quote_document(request.app[SERVICES], me, quote_id)
    except NotFound:
        return not_found(request, me)
    except DocumentRenderError:
        return await render_quote(request, me, RENDER_FAILED, status=500)
    return pdf_response(content, pdf_file_name(printable.quote.number))


async def send(request: web.Request) -> web.StreamResponse:
    """Отправить клиенту: the PDF by e-mail; back to the quote, or the quote with why not."""
    me = await viewer(request)
    quote_id = path_id(request, "quote_id")
    if quote_id is None:
        return not_found(request, me)
    form = await request.post()
    key = str(form.get("send_key") or "")[:KEY_MAX] or uuid.uuid4().hex
    try:
        await email_quote(
            request.app[SERVICES],
            me,
            quote_id,
            to=str(form.get("to") or "").strip() or None,
            message=str(form.get("message") or "").strip() or None,
            mailbox=None,
            idempotency_key=f"page:{me.id}:{key}",
        )
    except NotFound:
        return not_found(request, me)
    except DomainError as err:
        return await render_quote(request, me, refusal_text(err), status=422)
    except DocumentRenderError:
        return await render_quote(request, me, RENDER_FAILED, status=500)
    raise web.HTTPSeeOther(f"/quotes/{quote_id}")


def refusal_text(err: DomainError) -> str:
    """A refused send as a Russian sentence."""
    rule = getattr(err, "rule", None)
    if rule == "no_email":
        return "У клиента сделки нет e-mail: укажите адрес получателя."
    if rule == "no_mailbox":
        return "Письмо не отправить: ни у одного почтового ящика нет настроек SMTP."
    if err.field == "to":
        return "Это не адрес e-mail: проверьте получателя."
    if err.field == "message":
        return "Текст письма слишком длинный."
    return problem_text(err)
