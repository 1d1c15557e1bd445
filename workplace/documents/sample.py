"""A sample invoice, quote and act (made-up requisites) for the README and a render timing.

python -m workplace.documents.sample var/documents
pdftoppm -png -r 80 -singlefile var/documents/invoice.pdf docs/documents/invoice
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from config.seller_settings import SellerRequisites
from crm_core.money import Line, VatMode, VatRate, compute_totals
from workplace.documents import act_pdf, invoice_pdf, quote_pdf
from workplace.documents.seller import seller_images, seller_party
from workplace.documents.views import (
    ActView,
    DocumentParty,
    InvoiceView,
    QuoteView,
    document_amounts,
)

STAMP = Path(__file__).resolve().parents[2] / "docs" / "documents" / "sample-stamp.png"
SELLER = SellerRequisites(
    name="ООО «Ромашка»",
    inn="7701234567",
    kpp="770101001",
    address="125009, г. Москва, ул. Тверская, д. 1, офис 12",
    bank="ПАО СБЕРБАНК г. Москва",
    bik="044525225",
    correspondent_account="30101810400000000225",
    account="40702810938000012345",
    director="Иванов И. И.",
    accountant="Петрова А. С.",
    stamp=STAMP if STAMP.is_file() else None,
)
BUYER = DocumentParty(
    "ООО «Василёк»", "7709876543", "770901001", "115054, г. Москва, ул. Валовая, д. 5"
)
LINES = (
    Line("Кабель ВВГнг-LS 3×2,5", Decimal(120), Decimal("96.50"), VatRate.TWENTY, unit="м"),
    Line("Автоматический выключатель C16", Decimal(12), Decimal("410.00"), VatRate.TWENTY),
    Line("Щит распределительный ЩРН-24", Decimal(1), Decimal("3850.00"), VatRate.TWENTY),
    Line("Монтаж электрощита", Decimal(1), Decimal("7500.00"), VatRate.TWENTY, unit="усл"),
    Line("Доставка", Decimal(1), Decimal("900.00"), VatRate.TWENTY, delivery=True),
)
DAY = date(2026, 12, 7)


def sample_invoice() -> InvoiceView:
    """The README's invoice: prices include VAT, a stamp, both signers."""
    lines, totals = document_amounts(compute_totals(LINES, VatMode.INCLUDED))
    return InvoiceView(
        number="128",
        date=DAY,
        seller=seller_party(SELLER),
        buyer=BUYER,
        lines=lines,
        totals=totals,
        due_date=date(2026, 12, 14),
        basis="Коммерческое предложение № КП-2026-0042 от 4 декабря 2026 г.",
        director=SELLER.director,
        accountant=SELLER.accountant,
        terms=(
            "Оплата данного счёта означает согласие с условиями поставки товара.",
            "Товар отпускается по факту прихода денег на р/с Поставщика.",
        ),
        images=seller_images(SELLER),
    )


def main(folder: str) -> None:
    """Write invoice.pdf, quote.pdf and act.pdf into the folder; print the render times."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    invoice = sample_invoice()
    quote = QuoteView(
        "КП-2026-0042",
        DAY,
        invoice.seller,
        BUYER,
        invoice.lines,
        invoice.totals,
        date(2026, 12, 21),
        SELLER.director,
    )
    act = ActView("77", DAY, invoice.seller, BUYER, invoice.lines, invoice.totals)
    renders: dict[str, Callable[[], bytes]] = {
        "invoice": lambda: invoice_pdf(invoice),
        "quote": lambda: quote_pdf(quote),
        "act": lambda: act_pdf(act),
    }
    for name, render in renders.items():
        times = []
        for _ in range(5):
            started = time.perf_counter()
            pdf = render()
            times.append(time.perf_counter() - started)
        (out / f"{name}.pdf").write_bytes(pdf)
        rest = ", ".join(f"{t:.3f}" for t in times[1:])
        print(f"{name}: first {times[0]:.3f} s, then {rest} s, {len(pdf)} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "var/documents")
