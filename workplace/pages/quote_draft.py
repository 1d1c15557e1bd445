"""A quote being built on the page: its lines as the form holds them (text), the builder's
edits (add a product, a free line, delivery; remove; re-price), and its amounts, computed
by crm_core exactly as saving will compute them (the page never does money in the browser).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from multidict import MultiDictProxy

from crm_core.catalogue import Product
from crm_core.errors import DomainError
from crm_core.money import Line, LineTotals, Totals, VatMode, compute_totals, percent
from crm_core.quotes import MAX_LINES, catalogue_price, priced_line
from crm_core.quotes_model import Quote
from intake.http.body import parse_int
from workplace.pages.sales_texts import FIELD_NAMES, number_text, plain_amount, russian

DELIVERY_NAME = "Доставка"


@dataclass(frozen=True, slots=True)
class DraftLine:
    """One line as typed: a catalogue product's (product_id set) or a free one."""

    product_id: str = ""
    name: str = ""
    unit: str = "шт"
    quantity: str = "1"
    price: str = ""
    vat_rate: str = "20"
    discount: str = ""
    delivery: bool = False
    sku: str = ""


@dataclass(frozen=True, slots=True)
class Draft:
    """The whole quote as typed."""

    vat_mode: str
    price_list_id: str
    discount: str
    valid_until: str
    lines: tuple[DraftLine, ...]

    @property
    def mode(self) -> VatMode:
        """The VAT mode chosen (per line when the form sent none we know)."""
        known = {m.value: m for m in VatMode}
        return known.get(self.vat_mode, VatMode.PER_LINE)

    @property
    def list_id(self) -> int | None:
        """The price list chosen, if any."""
        return parse_int(self.price_list_id)

    def product_ids(self) -> list[int]:
        """The catalogue products the lines come from."""
        return [pid for line in self.lines if (pid := parse_int(line.product_id)) is not None]


@dataclass(frozen=True, slots=True)
class LinePreview:
    """A line's amounts once crm_core priced it, or why it cannot be priced."""

    totals: LineTotals | None
    problem: str


@dataclass(frozen=True, slots=True)
class Preview:
    """The draft's amounts: each line's, the document's (of the lines that are right)."""

    lines: tuple[LinePreview, ...]
    totals: Totals | None
    problem: str

    @property
    def complete(self) -> bool:
        """Every line and the discount are right: the totals are the quote's."""
        return not self.problem and all(not line.problem for line in self.lines)


_LINE_NAMES = ("product_id", "name", "unit", "quantity", "price", "vat_rate", "discount", "sku")


def read_draft(form: MultiDictProxy[Any]) -> Draft:
    """The draft from the builder's form (the line fields repeat, one per line, in order)."""
    columns = {name: [str(v) for v in form.getall(f"line_{name}", [])] for name in _LINE_NAMES}
    deliveries = [str(v) for v in form.getall("line_delivery", [])]
    count = min(len(columns["name"]), MAX_LINES)
    lines = tuple(
        DraftLine(
            **{name: _at(values, n).strip() for name, values in columns.items()},
            delivery=_at(deliveries, n) == "1",
        )
        for n in range(count)
    )
    return Draft(
        vat_mode=str(form.get("vat_mode", "")),
        price_list_id=str(form.get("price_list_id", "")),
        discount=str(form.get("discount_percent", "")).strip(),
        valid_until=str(form.get("valid_until", "")).strip(),
        lines=lines,
    )


def _at(values: Sequence[str], index: int) -> str:
    return values[index] if index < len(values) else ""


def empty_draft(valid_until: date) -> Draft:
    """A new quote: no lines, VAT per line, own prices, valid for the configured days."""
    return Draft(VatMode.PER_LINE.value, "", "", valid_until.isoformat(), ())


def draft_of(quote: Quote) -> Draft:
    """A stored quote as the builder's form holds it, to be edited."""
    lines = tuple(
        DraftLine(
            product_id=str(line.product_id) if line.product_id is not None else "",
            name=line.name,
            unit=line.unit,
            quantity=number_text(line.quantity),
            price=plain_amount(line.price),
            vat_rate=line.vat_rate.value,
            discount=number_text(line.discount_percent) if line.discount_percent else "",
            delivery=line.delivery,
            sku=line.sku or "",
        )
        for line in quote.lines
    )
    return Draft(
        vat_mode=quote.vat_mode.value,
        price_list_id=str(quote.price_list_id) if quote.price_list_id is not None else "",
        discount=number_text(quote.discount_percent) if quote.discount_percent else "",
        valid_until=quote.valid_until.isoformat() if quote.valid_until else "",
        lines=lines,
    )


def with_product(draft: Draft, product: Product) -> Draft:
    """The draft with one more line: the product at its price in the chosen list."""
    price = catalogue_price(product, draft.list_id, draft.mode)
    line = DraftLine(
        product_id=str(product.id),
        name=product.fields.name,
        unit=product.fields.unit,
        price=plain_amount(price),
        vat_rate=product.fields.vat_rate.value,
        sku=product.fields.sku or "",
    )
    return _appended(draft, line)


def with_free_line(draft: Draft, *, delivery: bool) -> Draft:
    """The draft with an empty free line (or a delivery line, which no discount touches)."""
    line = DraftLine(name=DELIVERY_NAME, unit="усл", delivery=True) if delivery else DraftLine()
    return _appended(draft, line)


def without_line(draft: Draft, index: int | None) -> Draft:
    """The draft without one line."""
    return replace(draft, lines=tuple(x for n, x in enumerate(draft.lines) if n != index))


def repriced(draft: Draft, products: Mapping[int, Product]) -> Draft:
    """Catalogue lines at their price in the chosen list and VAT mode (after either changed)."""
    lines = []
    for line in draft.lines:
        product = products.get(parse_int(line.product_id) or 0)
        if product is not None:
            price = catalogue_price(product, draft.list_id, draft.mode)
            line = replace(line, price=plain_amount(price))
        lines.append(line)
    return replace(draft, lines=tuple(lines))


def _appended(draft: Draft, line: DraftLine) -> Draft:
    if len(draft.lines) >= MAX_LINES:
        return draft
    return replace(draft, lines=(*draft.lines, line))


def line_item(line: DraftLine) -> dict[str, Any]:
    """A line as the API's `items` entry (empty fields left to the product or refused)."""
    return {
        "product_id": parse_int(line.product_id),
        "name": line.name or None,
        "unit": line.unit or None,
        "quantity": line.quantity,
        "price": line.price or None,
        "vat_rate": line.vat_rate or None,
        "discount_percent": line.discount or None,
        "delivery": line.delivery,
    }


def request_body(draft: Draft) -> dict[str, Any]:
    """The draft as the body of POST /api/v1/deals/{id}/quotes."""
    return {
        "vat_mode": draft.vat_mode,
        "items": [line_item(line) for line in draft.lines],
        "discount_percent": draft.discount or None,
        "price_list_id": draft.list_id,
        "valid_until": draft.valid_until or None,
    }


def preview(draft: Draft, products: Mapping[int, Product]) -> Preview:
    """Each line priced by crm_core, and the totals of the lines that are right."""
    priced: list[Line | str] = []
    for n, line in enumerate(draft.lines):
        try:
            priced.append(priced_line(line_item(line), products, draft.list_id, draft.mode, n))
        except DomainError as err:
            priced.append(_line_problem(err))
    problem = ""
    try:
        discount = percent(draft.discount or "0")
    except DomainError as err:
        discount, problem = Decimal(0), f"Скидка на итог: {russian(err.message)}"
    good = [p for p in priced if isinstance(p, Line)]
    totals = compute_totals(good, draft.mode, discount) if good else None
    by_line = iter(totals.lines if totals else ())
    lines = tuple(
        LinePreview(None, p) if isinstance(p, str) else LinePreview(next(by_line), "")
        for p in priced
    )
    return Preview(lines, totals, problem)


def _line_problem(err: DomainError) -> str:
    field = err.field.rsplit(".", 1)[-1]
    return f"{FIELD_NAMES.get(field, field)}: {russian(err.message)}"
