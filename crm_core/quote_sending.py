"""A quote sent to the client by e-mail from its deal, its PDF attached.

The e-mail goes through the replies outbox (crm_core.document_sending), sent once. The send
is in the deal's timeline (`quote_sent`), and a draft quote becomes «Отправлено».

The PDF is rendered by the caller (the service shell) from `printable_quote` before the
transaction: a quote's lines never change after it is made, so what was rendered is what is
sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crm_core.deals import visible_deal
from crm_core.document_sending import DocumentMail, queue_document
from crm_core.model import Company, Contact, Manager
from crm_core.money import format_rub
from crm_core.quotes import change_quote_status, visible_quote
from crm_core.quotes_model import Quote, QuoteStatus
from crm_core.replies_model import NewAttachment, OutgoingMessage

if TYPE_CHECKING:
    from crm_core.storage.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class PrintableQuote:
    """A quote with the client it is made out to (the company, or else the contact)."""

    quote: Quote
    company: Company | None
    contact: Contact | None


@dataclass(frozen=True, slots=True)
class SentQuote:
    """A quote after `send_quote`: its state and the e-mail queued (or found queued under
    the same idempotency key: `duplicate`)."""

    quote: Quote
    message: OutgoingMessage
    duplicate: bool


async def printable_quote(uow: UnitOfWork, quote_id: int, actor: Manager) -> PrintableQuote:
    """A quote the actor may see, with its client's records; NotFound otherwise."""
    quote = await visible_quote(uow, quote_id, actor)
    company = await uow.identity.get_company(quote.company_id) if quote.company_id else None
    contact = await uow.identity.get_contact(quote.contact_id) if quote.contact_id else None
    return PrintableQuote(quote, company, contact)


def default_message(quote: Quote) -> str:
    """The e-mail's text when the manager wrote none."""
    text = (
        "Добрый день!\n\nНаправляем коммерческое предложение № "
        f"{quote.number} на сумму {format_rub(quote.total)} руб."
    )
    if quote.valid_until:
        text += f" Предложение действительно до {quote.valid_until.strftime('%d.%m.%Y')}."
    return text + "\nФайл предложения во вложении."


async def send_quote(
    uow: UnitOfWork,
    actor: Manager,
    quote_id: int,
    *,
    to: str,
    message: str | None,
    pdf: NewAttachment,
    mailbox: str,
    now: datetime,
    idempotency_key: str,
) -> SentQuote:
    """Queue the quote's e-mail from `mailbox` to `to` with the PDF, by whoever may work on
    its deal; log it on the deal and mark a draft sent. Raises NotFound, DomainError naming
    `message`, RuleError `idempotency_conflict` for a key used for another send."""
    found = await visible_quote(uow, quote_id, actor)
    deal = await visible_deal(uow, found.deal_id, actor)  # may change it; locks it
    text = (message or "").strip() or default_message(found)
    mail = DocumentMail(to, text, subject(found), pdf, mailbox)
    audit = ("quote_sent", {"quote_id": found.id, "number": found.number})
    stored, duplicate = await queue_document(uow, actor, deal, mail, audit, now, idempotency_key)
    quote = found
    if not duplicate and found.status is QuoteStatus.DRAFT:
        quote = await change_quote_status(uow, found.id, actor, QuoteStatus.SENT, None, now)
    return SentQuote(quote, stored, duplicate=duplicate)


def subject(quote: Quote) -> str:
    """The e-mail's subject."""
    return f"Коммерческое предложение № {quote.number}"
