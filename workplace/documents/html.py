"""The documents' HTML from their views: Jinja templates beside this module, autoescaped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from crm_core.money import VatMode, VatRate, format_rub, plain_quantity
from workplace.documents.views import (
    ActView,
    DocumentTotals,
    InvoiceView,
    QuoteView,
    ShipmentView,
)

TEMPLATES = Path(__file__).parent / "templates"
MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def long_date(value: date) -> str:
    """ "7 декабря 2026 г.", as documents date themselves."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year} г."


def quantity_text(value: Decimal) -> str:
    """ "2,5", "10": a quantity with a decimal comma and no trailing zeros."""
    return str(plain_quantity(value)).replace(".", ",")


def rate_text(rate: VatRate) -> str:
    """ "20%" or "Без НДС"."""
    return "Без НДС" if rate is VatRate.NONE else f"{rate.value}%"


def totals_rows(totals: DocumentTotals, last: str = "Всего к оплате:") -> list[tuple[str, str]]:
    """The totals under a table, as an invoice or an act prints them: Итого, the VAT per
    rate (added on top, or «В том числе» when prices include it; «Без налога (НДС)» when
    no line has VAT), then `last` with the total."""
    included = totals.vat_mode is VatMode.INCLUDED
    rows = [("Итого:", format_rub(totals.total if included else totals.subtotal))]
    if totals.without_vat:
        rows.append(("Без налога (НДС):", "—"))
    else:
        prefix = "В том числе НДС" if included else "НДС"
        rows += [
            (f"{prefix} {g.rate.value}%:", format_rub(g.vat))
            for g in totals.vat_groups
            if g.rate is not VatRate.NONE
        ]
    rows.append((last, format_rub(totals.total)))
    return rows


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(rub=format_rub, qty=quantity_text, long_date=long_date, rate=rate_text)
    env.globals.update(totals_rows=totals_rows, VatMode=VatMode, VatRate=VatRate)
    return env


_ENV = _environment()


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def quote_html(view: QuoteView) -> str:
    """The commercial offer's HTML."""
    return _render("quote.html", doc=view)


def invoice_html(view: InvoiceView) -> str:
    """The invoice's HTML in the «Счёт на оплату» layout."""
    return _render("invoice.html", doc=view)


def act_html(view: ActView) -> str:
    """The act's HTML."""
    return _render("act.html", doc=view)


def shipment_html(view: ShipmentView) -> str:
    """The shipment's HTML («Товарная накладная»)."""
    return _render("shipment.html", doc=view)
