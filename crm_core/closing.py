"""Shipments (товарные накладные) and acts (акты выполненных работ): the closing documents
made from an invoice, numbered per year like invoices.

A document is made from a paid invoice (or an issued, partly paid one when the pipeline has
`ship_before_payment`) and takes every invoice line of its kind not yet closed by a live
document: goods go to a shipment and services (and delivery) to an act, as the catalogue
product says; a free line, with no catalogue product, goes with whichever document the
caller makes first. Statuses: Черновик → Отгружено / Подписан, or Отменён (which frees the
lines). Each change is an audit entry on the deal (`closing_created`, `closing_status`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from crm_core.catalogue import ProductKind
from crm_core.closing_model import (
    LIVE,
    TRANSITIONS,
    ClosingDocument,
    ClosingKind,
    ClosingStatus,
    NewClosingDocument,
    closing_number,
    positions_for,
)
from crm_core.deals import seen_deal, visible_deal
from crm_core.errors import NotFound, RuleError
from crm_core.invoices import visible_invoice
from crm_core.invoices_model import Invoice, InvoiceStatus
from crm_core.model import Manager
from crm_core.pipelines import Pipeline
from crm_core.quotes import document_audit, document_year

if TYPE_CHECKING:  # the storage ports import this module's records
    from crm_core.storage.ports import UnitOfWork

SHIPPABLE_AFTER_PAYMENT = frozenset({InvoiceStatus.PAID})
SHIPPABLE_BEFORE_PAYMENT = frozenset(
    {InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID}
)


@dataclass(frozen=True, slots=True)
class ClosingTerms:
    """What the settings say: number prefixes per kind and the company's time zone."""

    shipment_prefix: str
    act_prefix: str
    timezone: str

    def prefix(self, kind: ClosingKind) -> str:
        """The number prefix of a kind of document."""
        return self.shipment_prefix if kind is ClosingKind.SHIPMENT else self.act_prefix


async def create_closing_document(
    uow: UnitOfWork,
    invoice_id: int,
    kind: ClosingKind,
    actor: Manager,
    document_date: date | None,
    pipelines: Mapping[str, Pipeline],
    terms: ClosingTerms,
    now: datetime,
) -> ClosingDocument:
    """A draft shipment or act of the invoice's lines of its kind not yet closed, by whoever
    may work on the invoice's deal."""
    found = await visible_invoice(uow, invoice_id, actor)
    deal = await visible_deal(uow, found.deal_id, actor)  # locks the deal: one at a time
    invoice = await uow.invoices.get_invoice(invoice_id, for_update=True)
    assert invoice is not None
    pipeline = pipelines.get(deal.pipeline)
    early = pipeline is not None and pipeline.ship_before_payment
    if not may_close(invoice, pipeline):
        needed = "выставленному или оплаченному" if early else "оплаченному"
        raise RuleError(
            "invoice_not_paid" if not early else "invoice_not_issued",
            "invoice_id",
            f"{kind.label.lower()} оформляют по {needed} счёту; счёт {invoice.number}"
            f" в статусе «{invoice.status.label}»",
        )
    positions = await _free_positions(uow, invoice, kind)
    if not positions:
        what = "товаров для отгрузки" if kind is ClosingKind.SHIPMENT else "услуг для акта"
        raise RuleError(
            "nothing_to_close", "invoice_id", f"в счёте {invoice.number} не осталось {what}"
        )
    year = document_year(now, terms.timezone)
    sequence = await uow.sales_documents.next_number(kind.value, year)
    number = closing_number(terms.prefix(kind), year, sequence)
    document_id = await uow.closing.add_document(
        NewClosingDocument(
            invoice_id=invoice.id,
            deal_id=invoice.deal_id,
            kind=kind,
            number=number,
            year=year,
            sequence=sequence,
            document_date=document_date or now.astimezone(ZoneInfo(terms.timezone)).date(),
            positions=positions,
            created_by=actor.login,
        ),
        now,
    )
    after = {
        "document_id": document_id,
        "kind": kind.value,
        "number": number,
        "invoice_number": invoice.number,
    }
    await document_audit(uow, actor, invoice.deal_id, "closing_created", None, after, now)
    return await _reload(uow, document_id)


def may_close(invoice: Invoice, pipeline: Pipeline | None) -> bool:
    """Whether the invoice's status lets shipments and acts be made from it: paid, or issued
    (partly paid) when its deal's pipeline has `ship_before_payment`."""
    early = pipeline is not None and pipeline.ship_before_payment
    allowed = SHIPPABLE_BEFORE_PAYMENT if early else SHIPPABLE_AFTER_PAYMENT
    return invoice.status in allowed


async def closable_kinds(
    uow: UnitOfWork, invoice: Invoice, pipeline: Pipeline | None
) -> tuple[ClosingKind, ...]:
    """The kinds of document `create_closing_document` would make from the invoice now: its
    status allows them and lines of that kind are not yet closed."""
    if not may_close(invoice, pipeline):
        return ()
    return tuple([kind for kind in ClosingKind if await _free_positions(uow, invoice, kind)])


async def visible_closing_document(
    uow: UnitOfWork, document_id: int, kind: ClosingKind, actor: Manager
) -> ClosingDocument:
    """A shipment or act (of `kind`) whose deal the actor may see; NotFound otherwise."""
    document = await uow.closing.get_document(document_id)
    field = f"{kind.value}_id"
    missing = f"no {kind.value} {document_id}"
    if document is None or document.kind is not kind:
        raise NotFound(field, missing)
    await seen_deal(uow, document.deal_id, actor, field, missing)
    return document


async def deal_closing_documents(
    uow: UnitOfWork, deal_id: int, actor: Manager
) -> list[ClosingDocument]:
    """A deal's shipments and acts, oldest first, if the actor may see the deal."""
    await seen_deal(uow, deal_id, actor, "deal_id", f"no deal {deal_id}")
    return await uow.closing.documents_of_deal(deal_id)


async def change_closing_status(
    uow: UnitOfWork,
    document_id: int,
    kind: ClosingKind,
    actor: Manager,
    status: ClosingStatus,
    now: datetime,
) -> ClosingDocument:
    """Mark a shipment shipped or an act signed, or cancel it, by whoever may work on its
    deal. Asking for the status it has changes nothing."""
    found = await visible_closing_document(uow, document_id, kind, actor)
    await visible_deal(uow, found.deal_id, actor)
    document = await uow.closing.get_document(document_id, for_update=True)
    assert document is not None
    if document.status is status:
        return document
    if status not in TRANSITIONS[document.status]:
        raise RuleError(
            "closing_status",
            "status",
            f"{kind.label.lower()} в статусе «{document.status_label}» не может стать"
            f" «{status.label(kind)}»",
        )
    await uow.closing.set_document_status(document_id, status, now)
    after = {
        "document_id": document_id,
        "kind": kind.value,
        "number": document.number,
        "status": status.value,
    }
    before = {"status": document.status.value}
    await document_audit(uow, actor, document.deal_id, "closing_status", before, after, now)
    return await _reload(uow, document_id)


async def _free_positions(uow: UnitOfWork, invoice: Invoice, kind: ClosingKind) -> tuple[int, ...]:
    taken = frozenset(
        position
        for document in await uow.closing.documents_of_invoice(invoice.id)
        if document.status in LIVE
        for position in document.positions
    )
    product_ids = [line.product_id for line in invoice.lines if line.product_id is not None]
    products = await uow.catalogue.products(product_ids)
    kinds: dict[int, ProductKind] = {pid: p.fields.kind for pid, p in products.items()}
    return positions_for(kind, invoice.lines, kinds, taken)


async def _reload(uow: UnitOfWork, document_id: int) -> ClosingDocument:
    document = await uow.closing.get_document(document_id)
    assert document is not None
    return document
