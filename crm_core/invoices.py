"""Invoices (счета на оплату) on a deal: made from an accepted quote (every line, the VAT mode
and the discount copied) or directly, numbered per year without gaps like quotes, with the
seller's requisites from the settings and the buyer's from the deal's company.

Statuses: Черновик → Выставлен → Оплачен частично → Оплачен, or Отклонён / Отменён. A person
issues, rejects or cancels; the paid ones follow from the payments (crm_core.payments). Each
change is an audit entry on the deal (`invoice_created`, `invoice_status`), which the deal's
timeline shows, and an issued invoice moves the deal to its pipeline's `on_invoice` stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from crm_core.deals import follow_money, seen_deal, visible_deal
from crm_core.document_events import invoice_status_event
from crm_core.errors import DomainError, RuleError
from crm_core.invoices_model import (
    MANUAL_TRANSITIONS,
    WITHDRAWN,
    Invoice,
    InvoiceStatus,
    NewInvoice,
    invoice_number,
)
from crm_core.model import Manager
from crm_core.money import Line, Totals, VatMode, compute_totals
from crm_core.pipelines import Pipeline
from crm_core.quotes import (
    QuoteRequest,
    document_audit,
    document_year,
    priced_request,
    visible_quote,
)
from crm_core.quotes_model import QuoteStatus
from crm_core.requisites import Requisites
from crm_core.sales import Deal, DealStatus

if TYPE_CHECKING:  # the storage ports import this module's records
    from crm_core.storage.ports import UnitOfWork

INVOICE_COUNTER = "invoice"


@dataclass(frozen=True, slots=True)
class InvoiceTerms:
    """What the settings say about invoices: number prefix, the company's time zone, days to
    pay, and the seller (None: not configured, so no invoice can be made)."""

    prefix: str
    timezone: str
    due_days: int
    seller: Requisites | None


@dataclass(frozen=True, slots=True)
class _Document:
    """An invoice's content before it is numbered."""

    vat_mode: VatMode
    discount_percent: Decimal
    lines: tuple[Line, ...]
    totals: Totals
    quote_id: int | None = None


async def create_invoice(
    uow: UnitOfWork,
    deal_id: int,
    actor: Manager,
    request: QuoteRequest,
    due_date: date | None,
    terms: InvoiceTerms,
    now: datetime,
) -> Invoice:
    """A draft invoice on an open deal the actor may work on, its lines as a quote's are
    given (catalogue products or free lines)."""
    deal = await visible_deal(uow, deal_id, actor)
    lines, totals = await priced_request(uow, request)
    document = _Document(request.vat_mode, request.discount_percent, lines, totals)
    return await _make(uow, deal, actor, document, due_date, terms, now)


async def invoice_from_quote(
    uow: UnitOfWork,
    quote_id: int,
    actor: Manager,
    due_date: date | None,
    terms: InvoiceTerms,
    now: datetime,
) -> Invoice:
    """A draft invoice from an accepted quote: every line, its VAT mode and discount copied.
    A quote gets one invoice (another once that one is rejected or cancelled)."""
    quote = await visible_quote(uow, quote_id, actor)
    deal = await visible_deal(uow, quote.deal_id, actor)
    if quote.status is not QuoteStatus.ACCEPTED:
        raise RuleError(
            "quote_not_accepted",
            "quote_id",
            f"счёт выставляют по принятому КП; КП {quote.number} в статусе «{quote.status.label}»",
        )
    for existing in await uow.invoices.invoices_of_deal(deal.id):
        if existing.quote_id == quote.id and existing.status not in WITHDRAWN:
            raise RuleError(
                "quote_invoiced",
                "quote_id",
                f"по КП {quote.number} уже есть счёт {existing.number}",
            )
    totals = compute_totals(quote.lines, quote.vat_mode, quote.discount_percent)
    document = _Document(quote.vat_mode, quote.discount_percent, quote.lines, totals, quote.id)
    return await _make(uow, deal, actor, document, due_date, terms, now)


async def visible_invoice(uow: UnitOfWork, invoice_id: int, actor: Manager) -> Invoice:
    """An invoice whose deal the actor may see; NotFound (as if absent) otherwise."""
    invoice = await uow.invoices.get_invoice(invoice_id)
    missing = f"no invoice {invoice_id}"
    await seen_deal(uow, invoice.deal_id if invoice else None, actor, "invoice_id", missing)
    assert invoice is not None
    return invoice


async def deal_invoices(uow: UnitOfWork, deal_id: int, actor: Manager) -> list[Invoice]:
    """A deal's invoices, oldest first, if the actor may see the deal."""
    await seen_deal(uow, deal_id, actor, "deal_id", f"no deal {deal_id}")
    return await uow.invoices.invoices_of_deal(deal_id)


async def change_invoice_status(
    uow: UnitOfWork,
    invoice_id: int,
    actor: Manager,
    status: InvoiceStatus,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
) -> Invoice:
    """Issue, reject or cancel an invoice, by whoever may work on its deal; paid and partly
    paid follow from payments only. Asking for the status it has changes nothing. Issuing
    moves the deal to the pipeline's `on_invoice` stage when it stands before it."""
    found = await visible_invoice(uow, invoice_id, actor)
    await visible_deal(uow, found.deal_id, actor)  # locks the deal: one change at a time
    invoice = await uow.invoices.get_invoice(invoice_id, for_update=True)
    assert invoice is not None
    if invoice.status is status:
        return invoice
    if status in (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID):
        raise RuleError(
            "paid_by_payments",
            "status",
            f"статус «{status.label}» ставят платежи: внесите оплату (POST /api/v1/payments)",
            422,
        )
    if status not in MANUAL_TRANSITIONS[invoice.status]:
        raise RuleError(
            "invoice_status",
            "status",
            f"счёт в статусе «{invoice.status.label}» не может стать «{status.label}»",
        )
    await set_status(uow, invoice, status, actor, now)
    if status is InvoiceStatus.ISSUED:
        await follow_money(uow, invoice.deal_id, "on_invoice", pipelines, actor, now)
    return await _reload(uow, invoice_id)


async def set_status(
    uow: UnitOfWork,
    invoice: Invoice,
    status: InvoiceStatus,
    actor: Manager,
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Store an invoice's new status and put the change in its deal's timeline and the
    subscribers' events."""
    await uow.invoices.set_invoice_status(invoice.id, status, now)
    deal = await uow.sales.get_deal(invoice.deal_id)
    assert deal is not None
    paid = Decimal(str((details or {}).get("paid", invoice.paid)))
    uow.webhooks.record(invoice_status_event(invoice, status, paid, deal.pipeline, now))
    after = {"invoice_id": invoice.id, "number": invoice.number, "status": status.value}
    await document_audit(
        uow,
        actor,
        invoice.deal_id,
        "invoice_status",
        {"status": invoice.status.value},
        {**after, **(details or {})},
        now,
    )


async def _make(
    uow: UnitOfWork,
    deal: Deal,
    actor: Manager,
    document: _Document,
    due_date: date | None,
    terms: InvoiceTerms,
    now: datetime,
) -> Invoice:
    if deal.status is not DealStatus.OPEN:
        raise RuleError(
            "deal_closed", "deal_id", "сделка закрыта: счёт выставляют на открытой сделке"
        )
    if terms.seller is None:
        raise RuleError(
            "seller_not_configured",
            "seller",
            "реквизиты продавца не заданы: заполните [documents.seller] в настройках",
        )
    today = now.astimezone(ZoneInfo(terms.timezone)).date()
    if due_date is not None and due_date < today:
        raise DomainError("due_date", "due_date must not be in the past")
    year = document_year(now, terms.timezone)
    sequence = await uow.sales_documents.next_number(INVOICE_COUNTER, year)
    number = invoice_number(terms.prefix, year, sequence)
    invoice_id = await uow.invoices.add_invoice(
        NewInvoice(
            deal_id=deal.id,
            quote_id=document.quote_id,
            number=number,
            year=year,
            sequence=sequence,
            vat_mode=document.vat_mode,
            discount_percent=document.discount_percent,
            invoice_date=today,
            due_date=due_date or today + timedelta(days=terms.due_days),
            contact_id=deal.contact_id,
            company_id=deal.company_id,
            seller=terms.seller,
            buyer=await buyer_of(uow, deal),
            lines=document.lines,
            totals=document.totals,
            created_by=actor.login,
        ),
        now,
    )
    after: dict[str, Any] = {
        "invoice_id": invoice_id,
        "number": number,
        "total": str(document.totals.total),
    }
    if document.quote_id is not None:
        after["quote_id"] = document.quote_id
    await document_audit(uow, actor, deal.id, "invoice_created", None, after, now)
    return await _reload(uow, invoice_id)


async def buyer_of(uow: UnitOfWork, deal: Deal) -> Requisites:
    """The buyer as the deal knows them: its company (name, INN), else its contact's name,
    else the deal's title. (A company record keeps no KPP or address yet.)"""
    if deal.company_id is not None:
        company = await uow.identity.get_company(deal.company_id)
        if company is not None:
            return Requisites(name=company.name, inn=company.inn or None)
    if deal.contact_id is not None:
        contact = await uow.identity.get_contact(deal.contact_id)
        if contact is not None and contact.name:
            return Requisites(name=contact.name)
    return Requisites(name=deal.title)


async def _reload(uow: UnitOfWork, invoice_id: int) -> Invoice:
    invoice = await uow.invoices.get_invoice(invoice_id)
    assert invoice is not None
    return invoice
