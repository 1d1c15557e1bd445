"""A quote (КП): its lines and amounts, the total in words, and its status buttons
(Отправлено, Принято, Отклонено with a reason), each a crm_core `change_quote_status`, as
POST /api/v1/quotes/{id}/status; every change lands in the deal's timeline.

«Скачать PDF» and «Выставить счёт» belong to other parts of the product: the page shows
them only when the workplace has their routes (`workplace.quote_pdf`, GET, and
`workplace.quote_invoice`, POST, each with `{quote_id}`), so nothing broken is offered.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from crm_core.access import may_change
from crm_core.amount_words import amount_in_words
from crm_core.errors import DomainError
from crm_core.holders import deal_holders
from crm_core.invoices_model import WITHDRAWN
from crm_core.model import Manager
from crm_core.quotes import change_quote_status, visible_quote
from crm_core.quotes_model import TRANSITIONS, QuoteStatus
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.sales_texts import MODE_NAMES, RATE_NAMES, problem_text
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

# The route names another part of the workplace may add; see the module's docstring.
PDF_ROUTE = "workplace.quote_pdf"
SEND_ROUTE = "workplace.quote_send"
INVOICE_ROUTE = "workplace.quote_invoice"
STATUS_BUTTONS = {
    QuoteStatus.SENT: "Отправлено",
    QuoteStatus.ACCEPTED: "Принято",
    QuoteStatus.REJECTED: "Отклонено",
}


async def page(request: web.Request) -> web.StreamResponse:
    """One quote, if the viewer may see its deal."""
    me = await viewer(request)
    return await render_quote(request, me, "")


async def status(request: web.Request) -> web.StreamResponse:
    """Move the quote on; back to its page, or the page with why not."""
    me = await viewer(request)
    quote_id = path_id(request, "quote_id")
    if quote_id is None:
        return not_found(request, me)
    form = await request.post()
    raw = str(form.get("status", ""))
    reason = str(form.get("reason", "")) or None
    if raw not in {s.value for s in QuoteStatus}:
        return await render_quote(request, me, "Выберите новый статус КП.", status=422)
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            await change_quote_status(uow, quote_id, me, QuoteStatus(raw), reason, utcnow())
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        return await render_quote(request, me, problem_text(err), status=422)
    raise web.HTTPSeeOther(f"/quotes/{quote_id}")


def document_links(app: web.Application, quote_id: int) -> dict[str, str]:
    """The PDF and invoice actions the workplace has for a quote (name → URL)."""
    links = {}
    for key, name in (("pdf", PDF_ROUTE), ("send", SEND_ROUTE), ("invoice", INVOICE_ROUTE)):
        resource = app.router.named_resources().get(name)
        if resource is not None:
            links[key] = str(resource.url_for(quote_id=str(quote_id)))
    return links


async def render_quote(
    request: web.Request, me: Manager, message: str, *, status: int = 200
) -> web.Response:
    """The quote of the request's `{quote_id}` with a message (why an action was refused)."""
    quote_id = path_id(request, "quote_id")
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            quote = await visible_quote(uow, quote_id or 0, me)
            deal = await uow.sales.get_deal(quote.deal_id)
            clients = await uow.sales.deal_clients([quote.deal_id])
            invoices = [
                i
                for i in await uow.invoices.invoices_of_deal(quote.deal_id)
                if i.quote_id == quote.id
            ]
    except DomainError:
        return not_found(request, me)
    assert deal is not None
    totals = quote.totals
    context: dict[str, Any] = {
        "quote": quote,
        "deal": deal,
        "client": clients.get(deal.id, ""),
        "totals": totals,
        "words": amount_in_words(totals.total),
        "mode_name": MODE_NAMES[quote.vat_mode.value],
        "rate_names": RATE_NAMES,
        "next_statuses": [(s, STATUS_BUTTONS[s]) for s in sorted(TRANSITIONS[quote.status])],
        "may_act": may_change(me, deal_holders(deal)),
        "documents": document_links(request.app, quote.id),
        "invoices": invoices,
        # One invoice per quote unless it was withdrawn (crm_core.invoices.invoice_from_quote).
        "invoiced": any(i.status not in WITHDRAWN for i in invoices),
        # A key per drawn send form: the same form posted twice queues one e-mail.
        "send_key": uuid.uuid4().hex,
        "message": message,
    }
    return render(request, "quote.html", me, context, status=status, section="/deals")
