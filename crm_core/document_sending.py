"""A printed document (quote, invoice) e-mailed to the client from its deal, its PDF attached.

The e-mail goes through the replies outbox: logged as a message on the deal and queued with
its file in the caller's transaction, sent after by the replies dispatcher, marked sent only
on the SMTP server's answer, so it is sent once (an Idempotency-Key repeated gives back the
message already queued). The send is an audit entry on the deal, which its timeline shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from crm_core.errors import DomainError, RuleError
from crm_core.model import AuditEntry, Company, Contact, Manager
from crm_core.replies import EMAIL, check_attachments, queue_message
from crm_core.replies_model import NewAttachment, OutgoingMessage, ReplyTarget
from crm_core.sales import Deal, RecordKind
from dedupe.emails import normalize_email

if TYPE_CHECKING:
    from crm_core.storage.ports import UnitOfWork

MESSAGE_MAX = 10_000
# The e-mail's own subject: a document starts a thread, it does not answer one (the e-mail
# channel reads this key of the outgoing message's context).
SUBJECT_KEY = "new_subject"


class Addressee(Protocol):
    """A document's client records: whose e-mail it goes to by default."""

    @property
    def company(self) -> Company | None:
        """The deal's company, if any."""

    @property
    def contact(self) -> Contact | None:
        """The deal's contact, if any."""


@dataclass(frozen=True, slots=True)
class DocumentMail:
    """What to queue: the recipient, the text (already defaulted), subject and PDF."""

    to: str
    text: str
    subject: str
    pdf: NewAttachment
    mailbox: str


def recipient(given: str | None, client: Addressee) -> str:
    """The address to send to: the one given, or the contact's (else the company's) first
    e-mail; DomainError naming `to` when there is none or it is not an address."""
    if given is not None:
        address = normalize_email(given).address
        if address is None:
            raise DomainError("to", "to must be an e-mail address")
        return address
    for record in (client.contact, client.company):
        for raw in record.emails if record else ():
            address = normalize_email(raw).address
            if address:
                return address
    raise RuleError(
        "no_email", "to", "у клиента сделки нет e-mail: укажите адрес получателя (to)", 422
    )


async def queue_document(
    uow: UnitOfWork,
    actor: Manager,
    deal: Deal,
    mail: DocumentMail,
    audit: tuple[str, Mapping[str, Any]],
    now: datetime,
    idempotency_key: str,
) -> tuple[OutgoingMessage, bool]:
    """Queue the e-mail on the deal and log `audit` (kind, details; the message id added):
    (the message, True when this key had queued it already). DomainError naming `message`,
    RuleError `idempotency_conflict` for a key used for another send."""
    if len(mail.text) > MESSAGE_MAX:
        raise DomainError("message", f"message may be at most {MESSAGE_MAX} characters")
    existing = await uow.replies.by_key(idempotency_key)
    if existing is not None:
        if (existing.entity, existing.entity_id, existing.address) != (
            RecordKind.DEAL,
            deal.id,
            mail.to,
        ) or existing.context.get(SUBJECT_KEY) != mail.subject:
            raise RuleError(
                "idempotency_conflict", "Idempotency-Key", "this key was used for another send"
            )
        return existing, True
    target = ReplyTarget(EMAIL, mail.mailbox, mail.to, now, {SUBJECT_KEY: mail.subject})
    stored = await queue_message(
        uow,
        actor,
        RecordKind.DEAL,
        deal.id,
        target,
        mail.text,
        now,
        idempotency_key,
        check_attachments([mail.pdf]),
    )
    kind, details = audit
    await uow.audit.add_many(
        [
            AuditEntry(
                actor.login,
                "deal",
                deal.id,
                kind,
                now,
                after={**details, "to": mail.to, "message_id": stored.id},
            )
        ]
    )
    return stored, False
