"""An invoice (счёт): its parties, lines and amounts, what is paid and due, its payments, and
the actions on it, each a crm_core use case the API runs too: «Выставить счёт» from an
accepted quote, the status buttons (Выставить, Отклонён, Отменить, as the invoice's status
allows) and «Записать оплату». Every action answers with a redirect (Post/Redirect/Get), so a
refresh repeats none.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.access import may_change
from crm_core.amount_words import amount_in_words
from crm_core.closing import closable_kinds, may_close
from crm_core.closing_model import TRANSITIONS, ClosingDocument, ClosingStatus
from crm_core.errors import DomainError
from crm_core.holders import deal_holders
from crm_core.invoices import change_invoice_status, invoice_from_quote, visible_invoice
from crm_core.invoices_model import MANUAL_TRANSITIONS, Invoice, InvoiceStatus
from crm_core.model import Manager
from crm_core.money import MoneyError, money
from crm_core.payments import ManualPayment, record_payment
from intake.clock import utcnow
from intake.http.invoices import AWAITING, invoice_terms
from intake.http.keys import SERVICES
from workplace.pages.flash import forget_flash, take_flash
from workplace.pages.quote_page import render_quote
from workplace.pages.sales_texts import MODE_NAMES, RATE_NAMES, problem_text
from workplace.pages.shared import not_found, path_id, render
from workplace.viewer import viewer

STATUS_BUTTONS = {
    InvoiceStatus.ISSUED: "Выставить",
    InvoiceStatus.REJECTED: "Отклонён",
    InvoiceStatus.CANCELLED: "Отменить",
}
# The rule names of refusals the page words itself (the others: problem_text).
REFUSALS = {
    "quote_not_accepted": "Счёт выставляют по принятому КП.",
    "seller_not_configured": "Реквизиты продавца не заданы: заполните [documents.seller].",
    "deal_closed": "Сделка закрыта: счёт выставляют на открытой сделке.",
    "invoice_not_payable": "Оплату принимают по выставленному счёту: сначала выставьте его.",
}


# The invoice pages a flash cookie (a notice after an action) travels to.
FLASH_SCOPE = "/invoices"


def invoice_path(invoice_id: int) -> str:
    """The invoice page's path."""
    return f"/invoices/{invoice_id}"


async def from_quote(request: web.Request) -> web.StreamResponse:
    """«Выставить счёт» on an accepted quote: a draft invoice, then its page."""
    me = await viewer(request)
    quote_id = path_id(request, "quote_id")
    if quote_id is None:
        return not_found(request, me)
    terms = invoice_terms(request)
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            invoice = await invoice_from_quote(uow, quote_id, me, None, terms, utcnow())
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        return await render_quote(request, me, refusal_text(err), status=422)
    raise web.HTTPSeeOther(invoice_path(invoice.id))


async def page(request: web.Request) -> web.StreamResponse:
    """One invoice, if the viewer may see its deal, with the notice an action left once."""
    me = await viewer(request)
    flash = await take_flash(request)
    response = await render_invoice(request, me, "", notice=flash.notice if flash else "")
    forget_flash(request, response, FLASH_SCOPE)
    return response


async def status(request: web.Request) -> web.StreamResponse:
    """Issue, reject or cancel the invoice; back to its page, or the page with why not."""
    me = await viewer(request)
    invoice_id = path_id(request, "invoice_id")
    if invoice_id is None:
        return not_found(request, me)
    form = await request.post()
    raw = str(form.get("status", ""))
    if raw not in {s.value for s in STATUS_BUTTONS}:
        return await render_invoice(request, me, "Выберите новый статус счёта.", status=422)
    pipelines = request.app[SERVICES].sales.pipelines
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            await change_invoice_status(
                uow, invoice_id, me, InvoiceStatus(raw), pipelines, utcnow()
            )
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        return await render_invoice(request, me, refusal_text(err), status=422)
    raise web.HTTPSeeOther(invoice_path(invoice_id))


async def payment(request: web.Request) -> web.StreamResponse:
    """«Записать оплату»: a payment by hand (amount, date, payer, purpose)."""
    me = await viewer(request)
    invoice_id = path_id(request, "invoice_id")
    if invoice_id is None:
        return not_found(request, me)
    form = await request.post()
    try:
        entry = ManualPayment(
            invoice_id=invoice_id,
            amount=_amount(str(form.get("amount") or "")),
            paid_on=_date(str(form.get("paid_on") or "")),
            payer=str(form.get("payer") or "").strip() or None,
            purpose=str(form.get("purpose") or "").strip() or None,
        )
        pipelines = request.app[SERVICES].sales.pipelines
        async with request.app[SERVICES].storage.transaction() as uow:
            await record_payment(uow, me, entry, pipelines, utcnow())
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        return await render_invoice(request, me, refusal_text(err), status=422, form=form)
    raise web.HTTPSeeOther(invoice_path(invoice_id) + "#payments")


def refusal_text(err: DomainError) -> str:
    """A refused invoice action as a Russian sentence."""
    rule = getattr(err, "rule", None)
    if rule in REFUSALS:
        return REFUSALS[str(rule)]
    if err.field == "paid_on":
        return "Дата оплаты: укажите дату."
    if err.field == "amount":
        return f"Сумма оплаты: {problem_text(err)}"
    return problem_text(err)


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Issued (or partly paid) and its due date has passed."""
    return invoice.status in AWAITING and invoice.due_date < today


async def render_invoice(
    request: web.Request,
    me: Manager,
    message: str,
    *,
    status: int = 200,
    form: Any = None,
    notice: str = "",
    invoice_id: int | None = None,
) -> web.Response:
    """The invoice (of the request's `{invoice_id}` unless given) with a message (why an
    action was refused) or a notice (what one did) and, after a refused payment, what was
    typed."""
    if invoice_id is None:
        invoice_id = path_id(request, "invoice_id")
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            invoice = await visible_invoice(uow, invoice_id or 0, me)
            deal = await uow.sales.get_deal(invoice.deal_id)
            quote = (
                await uow.sales_documents.get_quote(invoice.quote_id) if invoice.quote_id else None
            )
            payments = await uow.invoices.list_payments(
                matched=True, invoice_id=invoice.id, limit=200, offset=0
            )
            closing = await uow.closing.documents_of_invoice(invoice.id)
            pipeline = request.app[SERVICES].sales.pipelines.get(deal.pipeline) if deal else None
            closable = await closable_kinds(uow, invoice, pipeline)
    except DomainError:
        return not_found(request, me)
    assert deal is not None
    timezone = invoice_terms(request).timezone
    today = utcnow().astimezone(ZoneInfo(timezone)).date()
    may_act = may_change(me, deal_holders(deal))
    context: dict[str, Any] = {
        "invoice": invoice,
        "deal": deal,
        "quote": quote,
        "totals": invoice.totals,
        "words": amount_in_words(invoice.total),
        "mode_name": MODE_NAMES[invoice.vat_mode.value],
        "rate_names": RATE_NAMES,
        "overdue": is_overdue(invoice, today),
        "payments": payments,
        "next_statuses": [
            (s, STATUS_BUTTONS[s]) for s in sorted(MANUAL_TRANSITIONS[invoice.status])
        ],
        "may_act": may_act,
        # A paid invoice takes more money only from a statement (flagged as overpaid).
        "payable": may_act and invoice.status in AWAITING,
        "sendable": may_act and invoice.status in (InvoiceStatus.DRAFT, *AWAITING),
        "send_key": uuid.uuid4().hex,
        "today": today.isoformat(),
        "typed": dict(form) if form is not None else {},
        "message": message,
        "notice": notice,
        "closing": closing,
        "closing_next": {d.id: _closing_buttons(d) for d in closing},
        "closable": closable if may_act else (),
        "closing_allowed": may_close(invoice, pipeline),
    }
    return render(request, "invoice.html", me, context, status=status, section="/deals")


def _closing_buttons(document: ClosingDocument) -> list[tuple[str, str]]:
    """(status, button label) a shipment or act may move to: «Отгружено»/«Подписан» first."""
    done = ClosingStatus.DONE.label(document.kind)
    labels = {ClosingStatus.DONE: done, ClosingStatus.CANCELLED: "Отменить"}
    return [(s.value, labels[s]) for s in labels if s in TRANSITIONS[document.status]]


def _amount(text: str) -> Decimal:
    try:
        amount = money(text, "amount")
    except MoneyError as err:
        raise DomainError("amount", err.message) from err
    if amount <= 0:
        raise DomainError("amount", "amount must be above 0")
    return amount


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise DomainError("paid_on", "paid_on must be a date") from err
