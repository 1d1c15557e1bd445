"""A quote sent to the client by e-mail from its deal, its PDF attached.

The e-mail goes through the replies outbox: logged as a message on the deal and queued with
its file in the caller's transaction, sent after by the replies dispatcher, marked sent only
on the SMTP server's answer, so it is sent once (an Idempotency-Key repeated gives back the
message already queued). The send is in the deal's timeline (`quote_sent`), and a draft
quote becomes «Отправлено».

The PDF is rendered by the caller (the service shell) from `printable_quote` before the
transaction: a quote's lines never change after it is made, so what was rendered is what is
sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crm_core.deals import visible_deal
from crm_core.errors import DomainError, RuleError
from crm_core.model import AuditEntry, Company, Contact, Manager
from crm_core.money import format_rub
from crm_core.quotes import change_quote_status, visible_quote
from crm_core.quotes_model import Quote, QuoteStatus
from crm_core.replies import EMAIL, check_attachments, queue_message
from crm_core.replies_model import NewAttachment, OutgoingMessage, ReplyTarget
from crm_core.sales import RecordKind
from dedupe.emails import normalize_email

if TYPE_CHECKING:
    from crm_core.storage.ports import UnitOfWork

MESSAGE_MAX = 10_000
# The e-mail's own subject: a quote starts a thread, it does not answer one (the e-mail
# channel reads this key of the outgoing message's context).
SUBJECT_KEY = "new_subject"


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


def recipient(given: str | None, printable: PrintableQuote) -> str:
    """The address to send to: the one given, or the contact's (else the company's) first
    e-mail; DomainError naming `to` when there is none or it is not an address."""
    if given is not None:
        address = normalize_email(given).address
        if address is None:
            raise DomainError("to", "to must be an e-mail address")
        return address
    for record in (printable.contact, printable.company):
        for raw in record.emails if record else ():
            address = normalize_email(raw).address
            if address:
                return address
    raise RuleError(
        "no_email", "to", "у клиента сделки нет e-mail: укажите адрес получателя (to)", 422
    )


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
    if len(text) > MESSAGE_MAX:
        raise DomainError("message", f"message may be at most {MESSAGE_MAX} characters")
    existing = await uow.replies.by_key(idempotency_key)
    if existing is not None:
        if (existing.entity, existing.entity_id, existing.address) != (
            RecordKind.DEAL,
            deal.id,
            to,
        ) or existing.context.get(SUBJECT_KEY) != subject(found):
            raise RuleError(
                "idempotency_conflict", "Idempotency-Key", "this key was used for another send"
            )
        return SentQuote(found, existing, duplicate=True)
    target = ReplyTarget(EMAIL, mailbox, to, now, {SUBJECT_KEY: subject(found)})
    stored = await queue_message(
        uow,
        actor,
        RecordKind.DEAL,
        deal.id,
        target,
        text,
        now,
        idempotency_key,
        check_attachments([pdf]),
    )
    await uow.audit.add_many(
        [
            AuditEntry(
                actor.login,
                "deal",
                deal.id,
                "quote_sent",
                now,
                after={
                    "quote_id": found.id,
                    "number": found.number,
                    "to": to,
                    "message_id": stored.id,
                },
            )
        ]
    )
    quote = found
    if found.status is QuoteStatus.DRAFT:
        quote = await change_quote_status(uow, found.id, actor, QuoteStatus.SENT, None, now)
    return SentQuote(quote, stored, duplicate=False)


def subject(quote: Quote) -> str:
    """The e-mail's subject."""
    return f"Коммерческое предложение № {quote.number}"
