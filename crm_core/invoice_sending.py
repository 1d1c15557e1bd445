"""An invoice sent to the client by e-mail from its deal, its PDF attached.

The e-mail goes through the replies outbox (crm_core.document_sending), sent once. The send
is in the deal's timeline (`invoice_sent`); a draft invoice becomes «Выставлен» (as issuing it
by hand does, the deal moving to its pipeline's `on_invoice` stage). A rejected or cancelled
invoice asks for no money and is not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crm_core.deals import visible_deal
from crm_core.document_sending import DocumentMail, queue_document
from crm_core.errors import RuleError
from crm_core.invoices import change_invoice_status, visible_invoice
from crm_core.invoices_model import WITHDRAWN, Invoice, InvoiceStatus
from crm_core.model import Company, Contact, Manager
from crm_core.money import format_rub
from crm_core.pipelines import Pipeline
from crm_core.quotes_model import Quote
from crm_core.replies_model import OutgoingMessage

if TYPE_CHECKING:
    from crm_core.storage.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class PrintableInvoice:
    """An invoice with the quote it was made from (its «Основание») and the deal's client."""

    invoice: Invoice
    quote: Quote | None
    company: Company | None
    contact: Contact | None


@dataclass(frozen=True, slots=True)
class SentInvoice:
    """An invoice after `send_invoice`: its state and the e-mail queued (or found queued
    under the same idempotency key: `duplicate`)."""

    invoice: Invoice
    message: OutgoingMessage
    duplicate: bool


async def printable_invoice(uow: UnitOfWork, invoice_id: int, actor: Manager) -> PrintableInvoice:
    """An invoice the actor may see, with its quote and client records; NotFound otherwise."""
    invoice = await visible_invoice(uow, invoice_id, actor)
    quote = await uow.sales_documents.get_quote(invoice.quote_id) if invoice.quote_id else None
    company = await uow.identity.get_company(invoice.company_id) if invoice.company_id else None
    contact = await uow.identity.get_contact(invoice.contact_id) if invoice.contact_id else None
    return PrintableInvoice(invoice, quote, company, contact)


def default_message(invoice: Invoice) -> str:
    """The e-mail's text when the manager wrote none."""
    return (
        f"Добрый день!\n\nНаправляем счёт на оплату № {invoice.number} на сумму "
        f"{format_rub(invoice.total)} руб. Оплатить не позднее "
        f"{invoice.due_date.strftime('%d.%m.%Y')}.\nСчёт во вложении."
    )


def subject(invoice: Invoice) -> str:
    """The e-mail's subject."""
    return f"Счёт на оплату № {invoice.number}"


async def send_invoice(
    uow: UnitOfWork,
    actor: Manager,
    invoice_id: int,
    mail: DocumentMail,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
    idempotency_key: str,
) -> SentInvoice:
    """Queue the invoice's e-mail (`mail.text` empty: the default text), by whoever may work
    on its deal; log it on the deal and issue a draft. Raises NotFound, RuleError
    `invoice_withdrawn` for a rejected or cancelled one, and what `queue_document` raises."""
    found = await visible_invoice(uow, invoice_id, actor)
    deal = await visible_deal(uow, found.deal_id, actor)  # may change it; locks it
    if found.status in WITHDRAWN:
        raise RuleError(
            "invoice_withdrawn",
            "invoice_id",
            f"счёт {found.number} в статусе «{found.status.label}»: его не отправляют",
        )
    text = mail.text.strip() or default_message(found)
    full = DocumentMail(mail.to, text, subject(found), mail.pdf, mail.mailbox)
    audit = ("invoice_sent", {"invoice_id": found.id, "number": found.number})
    stored, duplicate = await queue_document(uow, actor, deal, full, audit, now, idempotency_key)
    invoice = found
    if not duplicate and found.status is InvoiceStatus.DRAFT:
        invoice = await change_invoice_status(
            uow, found.id, actor, InvoiceStatus.ISSUED, pipelines, now
        )
    return SentInvoice(invoice, stored, duplicate=duplicate)
