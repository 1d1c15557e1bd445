"""The deal card's quotes: each one's PDF, and sending it to the client by e-mail.

Both run the API's flow (intake.quote_mail): the same access rule, the same PDF, the same
outbox. A send form carries a key made when the card was drawn, so a double click or a
resent form queues one e-mail.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from crm_core.errors import DomainError, NotFound
from crm_core.model import Manager
from intake.http.keys import SERVICES
from intake.http.pdf_files import pdf_file_name, pdf_response
from intake.quote_mail import email_quote, quote_document
from workplace.documents import DocumentRenderError
from workplace.pages.deal_actions import rule_text
from workplace.pages.deal_card import load_card
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

KEY_MAX = 64


async def pdf(request: web.Request) -> web.StreamResponse:
    """A quote of the deal as a PDF download."""
    me = await viewer(request)
    deal_id, quote_id = path_id(request, "deal_id"), path_id(request, "quote_id")
    if deal_id is None or quote_id is None:
        return not_found(request, me)
    try:
        printable, content = await quote_document(request.app[SERVICES], me, quote_id)
    except NotFound:
        return not_found(request, me)
    except DocumentRenderError:
        return await _card(request, me, deal_id, "PDF не получился: проверьте [documents.seller].")
    if printable.quote.deal_id != deal_id:
        return not_found(request, me)
    return pdf_response(content, pdf_file_name(printable.quote.number))


async def send(request: web.Request) -> web.StreamResponse:
    """Отправить клиенту: the quote's PDF by e-mail; back to the card, or the card with why."""
    me = await viewer(request)
    deal_id, quote_id = path_id(request, "deal_id"), path_id(request, "quote_id")
    if deal_id is None or quote_id is None:
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
        return await _card(request, me, deal_id, refusal_text(err))
    except DocumentRenderError:
        return await _card(request, me, deal_id, "PDF не получился: проверьте [documents.seller].")
    raise web.HTTPSeeOther(f"/deals/{deal_id}")


def refusal_text(err: DomainError) -> str:
    """A refused send as a Russian sentence."""
    rule = getattr(err, "rule", None)
    if rule == "no_email":
        return err.message
    if rule == "no_mailbox":
        return "Письмо не отправить: ни у одного почтового ящика нет настроек SMTP."
    if err.field == "to":
        return "Это не адрес e-mail: проверьте получателя."
    if err.field == "message":
        return "Текст письма слишком длинный."
    return rule_text(err, None)


async def _card(request: web.Request, me: Manager, deal_id: int, message: str) -> web.Response:
    card = await load_card(request, me, deal_id)
    if card is None:
        return not_found(request, me)
    return render(request, "deal_card.html", me, {**card, "message": message}, section="/deals")
