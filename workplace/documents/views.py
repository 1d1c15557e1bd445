"""What a printed document shows: plain values a quote, an invoice or an act maps into.

The views know nothing of storage: a quote (and later an invoice) is turned into one by a
small mapping function, and the templates print only what the view holds. Amounts are the
ones `crm_core.money.compute_totals` computed (`document_amounts` maps them), never
recomputed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from crm_core.amount_words import amount_in_words
from crm_core.money import Totals, VatMode, VatRate


@dataclass(frozen=True, slots=True)
class DocumentParty:
    """A side of a document (seller, buyer, executor, customer) with its requisites; only
    `name` is required, an absent requisite prints as an empty place."""

    name: str
    inn: str | None = None
    kpp: str | None = None
    address: str | None = None
    bank: str | None = None
    bik: str | None = None
    correspondent_account: str | None = None
    account: str | None = None

    @property
    def line(self) -> str:
        """The party in one line, as «Поставщик» and «Покупатель» print it."""
        parts = [self.name]
        if self.inn:
            parts.append(f"ИНН {self.inn}")
        if self.kpp:
            parts.append(f"КПП {self.kpp}")
        if self.address:
            parts.append(self.address)
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One row of a document's table: `discount` is the line's whole discount in roubles,
    `vat` its own VAT (None when VAT is computed on the total), `amount` after discounts."""

    number: int
    name: str
    quantity: Decimal
    unit: str
    price: Decimal
    discount: Decimal
    vat_rate: VatRate
    vat: Decimal | None
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DocumentVat:
    """VAT of one rate as the totals print it."""

    rate: VatRate
    base: Decimal
    vat: Decimal


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    """A document's totals: `subtotal` without VAT, `total` with it, whatever the mode."""

    vat_mode: VatMode
    discount: Decimal
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    vat_groups: tuple[DocumentVat, ...]

    @property
    def without_vat(self) -> bool:
        """True when no line carries VAT (every line «Без НДС»): the document says so."""
        return all(g.rate is VatRate.NONE for g in self.vat_groups)

    @property
    def in_words(self) -> str:
        """The total in words: "Сто рублей 00 копеек"."""
        return amount_in_words(self.total)


@dataclass(frozen=True, slots=True)
class DocumentImages:
    """Optional pictures as data: URIs (nothing is fetched while rendering)."""

    logo: str | None = None
    stamp: str | None = None
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteView:
    """A commercial offer (Коммерческое предложение) as printed."""

    number: str
    date: dt.date
    seller: DocumentParty
    client: DocumentParty | None
    lines: tuple[DocumentLine, ...]
    totals: DocumentTotals
    valid_until: dt.date | None
    director: str | None = None
    images: DocumentImages = DocumentImages()


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice (Счёт на оплату) as printed: the seller's bank block on top, `basis` an
    optional «Основание» line, `terms` the notes under the totals."""

    number: str
    date: dt.date
    seller: DocumentParty
    buyer: DocumentParty
    lines: tuple[DocumentLine, ...]
    totals: DocumentTotals
    due_date: dt.date | None = None
    basis: str | None = None
    director: str | None = None
    accountant: str | None = None
    terms: tuple[str, ...] = ()
    images: DocumentImages = DocumentImages()


@dataclass(frozen=True, slots=True)
class ActView:
    """An act of work done or services rendered (Акт выполненных работ) as printed; `basis`
    names what it closes (an invoice or a contract)."""

    number: str
    date: dt.date
    executor: DocumentParty
    customer: DocumentParty
    lines: tuple[DocumentLine, ...]
    totals: DocumentTotals
    basis: str | None = None
    director: str | None = None
    images: DocumentImages = DocumentImages()


def document_amounts(totals: Totals) -> tuple[tuple[DocumentLine, ...], DocumentTotals]:
    """The rows and totals of a document from the amounts crm_core computed."""
    lines = tuple(
        DocumentLine(
            number=n,
            name=t.line.name,
            quantity=t.line.quantity,
            unit=t.line.unit,
            price=t.line.price,
            discount=t.discount,
            vat_rate=t.line.vat_rate,
            vat=t.vat,
            amount=t.amount,
        )
        for n, t in enumerate(totals.lines, start=1)
    )
    return lines, DocumentTotals(
        vat_mode=totals.mode,
        discount=totals.discount,
        subtotal=totals.subtotal,
        vat_total=totals.vat_total,
        total=totals.total,
        vat_groups=tuple(DocumentVat(g.rate, g.base, g.vat) for g in totals.vat_groups),
    )


@dataclass(frozen=True, slots=True)
class ShipmentView:
    """A shipment of goods (Товарная накладная) as printed, a simple layout rather than the
    full ТОРГ-12 grid; `basis` names the invoice it ships."""

    number: str
    date: dt.date
    supplier: DocumentParty
    consignee: DocumentParty
    lines: tuple[DocumentLine, ...]
    totals: DocumentTotals
    basis: str | None = None
    director: str | None = None
    images: DocumentImages = DocumentImages()
