"""Payments received for invoices: entered by hand or imported from a bank statement
(`crm_core.bank_statement`), matched to an invoice by its number in the purpose of payment,
then by the payer's INN and an amount equal to what the invoice still asks. Unmatched
payments wait for a person. A payment makes its invoice partly paid or paid (an overpaid
invoice stays paid, the excess shown); a paid invoice moves the deal to the pipeline's
`on_payment` stage with that stage's tasks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from crm_core.access import may_change, may_import_statements, may_see
from crm_core.bank_statement import StatementDocument, parse_statement
from crm_core.deals import follow_money, visible_deal
from crm_core.document_events import payment_received_event
from crm_core.errors import DomainError, NotFound, RuleError
from crm_core.holders import deal_holders
from crm_core.invoices import set_status, visible_invoice
from crm_core.invoices_model import (
    PAYABLE,
    Invoice,
    InvoiceStatus,
    NewPayment,
    Payment,
    PaymentSource,
    paid_status,
)
from crm_core.model import Manager
from crm_core.pipelines import Pipeline
from crm_core.quotes import document_audit
from crm_core.requisites import Requisites

if TYPE_CHECKING:  # the storage ports import this module's records
    from crm_core.storage.ports import UnitOfWork

TEXT_MAX = 1000


class Outcome:
    """What became of a payment (the import's summary counts them)."""

    MATCHED = "matched"
    PARTIAL = "partial"
    OVERPAID = "overpaid"
    UNMATCHED = "unmatched"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ManualPayment:
    """A payment entered by hand for an invoice."""

    invoice_id: int
    amount: Decimal
    paid_on: date
    payer: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """A stored payment and what it did to its invoice (None: waiting for a person)."""

    payment: Payment
    invoice: Invoice | None
    outcome: str


@dataclass(slots=True)
class ImportSummary:
    """An imported statement: how many payments of each outcome, and each one in order
    (payment id, or None for a duplicate or one not to the company's account)."""

    counts: Counter[str] = field(default_factory=Counter)
    items: list[tuple[StatementDocument, int | None, str]] = field(default_factory=list)


def invoice_numbers(purpose: str, prefix: str) -> Iterator[tuple[int, int]]:
    """(year, sequence) of every invoice number a purpose of payment mentions: with the
    prefix, in any case ("сч-2026-7"), or bare as printed ("2026-0007")."""
    with_prefix = re.compile(re.escape(prefix) + r"\s*(20[0-9]{2})-([0-9]{1,9})(?![0-9])", re.I)
    bare = re.compile(r"(?<![0-9.\-])(20[0-9]{2})-([0-9]{4,9})(?![0-9\-])")
    for pattern in (with_prefix, bare):
        for found in pattern.finditer(purpose):
            yield int(found.group(1)), int(found.group(2))


async def matching_invoice(
    uow: UnitOfWork,
    amount: Decimal,
    payer_inn: str | None,
    purpose: str | None,
    prefix: str,
) -> Invoice | None:
    """The invoice a payment settles: the one its purpose names (if it waits for money),
    else the oldest one to the payer's INN whose due amount is the payment's."""
    for year, sequence in invoice_numbers(purpose or "", prefix):
        invoice = await uow.invoices.invoice_by_sequence(year, sequence)
        if invoice is not None and invoice.status in PAYABLE:
            return invoice
    if payer_inn:
        for invoice in await uow.invoices.open_invoices_of_buyer(payer_inn):
            if invoice.due == amount:
                return invoice
    return None


async def record_payment(
    uow: UnitOfWork,
    actor: Manager,
    entry: ManualPayment,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
) -> Applied:
    """A payment entered by hand for an issued (or partly paid) invoice of a deal the actor
    may work on."""
    invoice = await _payable_invoice(uow, entry.invoice_id, actor)
    # Stored waiting, then settled as any payment is (its sum counted once).
    payment_id = await uow.invoices.add_payment(
        NewPayment(
            invoice_id=None,
            amount=entry.amount,
            paid_on=entry.paid_on,
            document_number=None,
            payer_name=_text(entry.payer, "payer"),
            payer_inn=None,
            purpose=_text(entry.purpose, "purpose"),
            source=PaymentSource.MANUAL,
            identity_key=None,
            created_by=actor.login,
        ),
        now,
    )
    assert payment_id is not None
    return await _settle(uow, payment_id, invoice.id, actor, pipelines, now)


async def import_statement(
    uow: UnitOfWork,
    actor: Manager,
    data: bytes,
    seller: Requisites | None,
    prefix: str,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
) -> ImportSummary:
    """Record a bank statement's incoming payments to the seller's account (heads only):
    each matched to an invoice when one fits, else left waiting; a payment already recorded
    (same date, number, amount and payer INN) is counted as a duplicate, not stored again."""
    if not may_import_statements(actor):
        raise RuleError(
            "forbidden", "Authorization", "bank statements are imported by a head of sales", 403
        )
    if seller is None or seller.account is None:
        raise RuleError(
            "seller_not_configured",
            "seller",
            "счёт продавца не задан: заполните [documents.seller] account в настройках",
        )
    summary = ImportSummary()
    for document in parse_statement(data):
        if document.recipient_account != seller.account:
            summary.counts[Outcome.SKIPPED] += 1
            summary.items.append((document, None, Outcome.SKIPPED))
            continue
        invoice = await matching_invoice(
            uow, document.amount, document.payer_inn, document.purpose, prefix
        )
        payment_id = await uow.invoices.add_payment(
            NewPayment(
                invoice_id=None,
                amount=document.amount,
                paid_on=document.date,
                document_number=document.number[:TEXT_MAX],
                payer_name=(document.payer_name or "")[:TEXT_MAX] or None,
                payer_inn=(document.payer_inn or "")[:TEXT_MAX] or None,
                purpose=(document.purpose or "")[:TEXT_MAX] or None,
                source=PaymentSource.IMPORT,
                identity_key=document.identity_key,
                created_by=actor.login,
            ),
            now,
        )
        if payment_id is None:
            outcome = Outcome.DUPLICATE
        elif invoice is None:
            outcome = Outcome.UNMATCHED
        else:
            outcome = (await _settle(uow, payment_id, invoice.id, actor, pipelines, now)).outcome
        summary.counts[outcome] += 1
        summary.items.append((document, payment_id, outcome))
    return summary


async def match_payment(
    uow: UnitOfWork,
    payment_id: int,
    invoice_id: int,
    actor: Manager,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
) -> Applied:
    """A person settles an invoice (of a deal they may work on) with a waiting payment."""
    await visible_payment(uow, payment_id, actor)  # another's settled payment: as if absent
    payment = await uow.invoices.get_payment(payment_id, for_update=True)
    assert payment is not None
    if payment.invoice_id is not None:
        raise RuleError(
            "payment_matched", "payment_id", f"payment {payment_id} already settles an invoice"
        )
    invoice = await _payable_invoice(uow, invoice_id, actor)
    return await _settle(uow, payment_id, invoice.id, actor, pipelines, now)


async def visible_payments(
    uow: UnitOfWork,
    actor: Manager,
    matched: bool | None,
    invoice_id: int | None,
    limit: int,
    offset: int,
) -> list[Payment]:
    """Payments, newest first: a head sees all; a manager the waiting ones and those of
    invoices on deals they may see."""
    payments = await uow.invoices.list_payments(
        matched=matched, invoice_id=invoice_id, limit=limit, offset=offset
    )
    if actor.is_head:
        return payments
    seen: dict[int, bool] = {}
    visible = []
    for payment in payments:
        if payment.invoice_id is not None and payment.invoice_id not in seen:
            invoice = await uow.invoices.get_invoice(payment.invoice_id)
            deal = await uow.sales.get_deal(invoice.deal_id) if invoice else None
            seen[payment.invoice_id] = deal is not None and may_see(actor, deal_holders(deal))
        if payment.invoice_id is None or seen[payment.invoice_id]:
            visible.append(payment)
    return visible


async def matchable_invoices(uow: UnitOfWork, actor: Manager, limit: int) -> list[Invoice]:
    """What a waiting payment may be matched to: invoices waiting for money (issued, partly
    paid) on deals the actor may work on, the soonest due first."""
    invoices = await uow.invoices.open_invoices(limit)
    if not actor.is_head:
        deals = {i.deal_id: await uow.sales.get_deal(i.deal_id) for i in invoices}
        invoices = [
            i
            for i in invoices
            if (deal := deals[i.deal_id]) is not None and may_change(actor, deal_holders(deal))
        ]
    return sorted(invoices, key=lambda i: (i.due_date, i.id))


async def visible_payment(uow: UnitOfWork, payment_id: int, actor: Manager) -> Payment:
    """One payment the actor may see (as `visible_payments` decides)."""
    payment = await uow.invoices.get_payment(payment_id)
    if payment is not None and payment.invoice_id is not None and not actor.is_head:
        try:
            await visible_invoice(uow, payment.invoice_id, actor)
        except NotFound:
            payment = None
    if payment is None:
        raise NotFound("payment_id", f"no payment {payment_id}")
    return payment


async def _settle(
    uow: UnitOfWork,
    payment_id: int,
    invoice_id: int,
    actor: Manager,
    pipelines: Mapping[str, Pipeline],
    now: datetime,
) -> Applied:
    """The payment settles the invoice: its status follows what is paid, the deal's
    timeline shows the payment, and a paid invoice moves the deal on."""
    before = await uow.invoices.get_invoice(invoice_id)
    assert before is not None
    deal = await uow.sales.get_deal(before.deal_id, for_update=True)  # one change at a time
    assert deal is not None
    invoice = await uow.invoices.get_invoice(invoice_id, for_update=True)
    assert invoice is not None
    await uow.invoices.match_payment(payment_id, invoice_id, actor.login, now)
    payment = await uow.invoices.get_payment(payment_id)
    assert payment is not None
    paid = invoice.paid + payment.amount
    await document_audit(
        uow,
        actor,
        invoice.deal_id,
        "payment_received",
        None,
        {
            "payment_id": payment_id,
            "invoice_id": invoice.id,
            "number": invoice.number,
            "amount": str(payment.amount),
            "paid": str(paid),
            "overpaid_by": str(max(paid - invoice.total, Decimal("0.00"))),
        },
        now,
    )
    uow.webhooks.record(payment_received_event(payment, invoice, paid, deal.pipeline, now))
    status = paid_status(invoice.total, paid)
    if status is not invoice.status:
        await set_status(uow, invoice, status, actor, now, {"paid": str(paid)})
        if status is InvoiceStatus.PAID:
            await follow_money(uow, invoice.deal_id, "on_payment", pipelines, actor, now)
    after = await uow.invoices.get_invoice(invoice_id)
    assert after is not None
    if after.overpaid_by > 0:
        outcome = Outcome.OVERPAID
    elif after.status is InvoiceStatus.PARTIALLY_PAID:
        outcome = Outcome.PARTIAL
    else:
        outcome = Outcome.MATCHED
    return Applied(payment, after, outcome)


async def _payable_invoice(uow: UnitOfWork, invoice_id: int, actor: Manager) -> Invoice:
    """An invoice on a deal the actor may work on, waiting for money (or paid already)."""
    invoice = await visible_invoice(uow, invoice_id, actor)
    await visible_deal(uow, invoice.deal_id, actor)
    if invoice.status not in PAYABLE:
        raise RuleError(
            "invoice_not_payable",
            "invoice_id",
            f"счёт {invoice.number} в статусе «{invoice.status.label}»: оплату принимают по"
            " выставленному счёту",
        )
    return invoice


def _text(value: str | None, name: str) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > TEXT_MAX:
        raise DomainError(name, f"{name} may be at most {TEXT_MAX} characters")
    return text or None
