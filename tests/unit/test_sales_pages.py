"""The catalogue and quote pages' pure parts: Russian money and refusals, the builder's
draft edits, and the PDF / invoice buttons that appear only with their routes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from crm_core.catalogue import Product, ProductFields
from crm_core.errors import DomainError
from crm_core.money import MoneyError, VatRate
from workplace.pages.quote_draft import (
    DraftLine,
    empty_draft,
    preview,
    read_draft,
    repriced,
    with_free_line,
    with_product,
    without_line,
)
from workplace.pages.quote_page import document_links
from workplace.pages.sales_texts import plain_amount, problem_text, rub

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CHAIR = Product(
    id=7,
    fields=ProductFields("Кресло", Decimal("12000.00"), VatRate.TWENTY, vat_included=True),
    prices={3: Decimal("10800.00")},
    created_at=AT,
    updated_at=AT,
    updated_by="head",
)


def test_money_reads_the_russian_way() -> None:
    assert rub(Decimal("150000.5")) == "150\u202f000,50\u00a0₽"
    assert rub(Decimal("0")) == "0,00\u00a0₽"
    assert plain_amount(Decimal("1234.5")) == "1234,50"


def test_refusals_name_the_field_in_russian() -> None:
    kopecks = MoneyError("items.2.price", "price must be in whole kopecks (at most 2 decimals)")
    assert problem_text(kopecks) == "строка 3, Цена: не больше двух знаков после запятой"
    long_name = DomainError("name", "name may be at most 500 characters")
    assert problem_text(long_name) == "Название: не длиннее 500 символов"
    russian_already = DomainError("reason", "укажите причину отказа")
    assert problem_text(russian_already) == "Причина: укажите причину отказа"


def test_the_builder_adds_prices_and_removes_lines() -> None:
    draft = with_product(empty_draft(date(2026, 12, 21)), CHAIR)
    assert (draft.lines[0].price, draft.lines[0].product_id) == ("10000,00", "7")  # VAT off
    draft = with_free_line(draft, delivery=True)
    assert (draft.lines[1].name, draft.lines[1].delivery) == ("Доставка", True)
    chosen = read_draft(
        MultiDictProxy(
            MultiDict(
                [
                    ("vat_mode", "included"),
                    ("price_list_id", "3"),
                    *[(f"line_{k}", v) for k, v in vars_of(draft.lines[0]).items()],
                ]
            )
        )
    )
    assert repriced(chosen, {7: CHAIR}).lines[0].price == "10800,00"  # the list's, with VAT
    assert without_line(draft, 0).lines == draft.lines[1:]


def test_the_preview_leaves_out_a_wrong_line_and_says_why() -> None:
    draft = with_free_line(with_product(empty_draft(date(2026, 12, 21)), CHAIR), delivery=True)
    shown = preview(draft, {7: CHAIR})
    assert shown.lines[1].problem == "Цена: заполните это поле"
    assert shown.totals is not None and shown.totals.total == Decimal("12000.00")
    assert not shown.complete


def test_pdf_and_invoice_buttons_only_with_their_routes() -> None:
    app = web.Application()
    assert document_links(app, 5) == {}

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response()

    app.router.add_get("/quotes/{quote_id}/pdf", handler, name="workplace.quote_pdf")
    app.router.add_post("/quotes/{quote_id}/invoice", handler, name="workplace.quote_invoice")
    assert document_links(app, 5) == {"pdf": "/quotes/5/pdf", "invoice": "/quotes/5/invoice"}


def vars_of(line: DraftLine) -> dict[str, str]:
    """A draft line as the form posts it (delivery as 1 or 0)."""
    fields = ("product_id", "name", "unit", "quantity", "price", "vat_rate", "discount", "sku")
    values = {f: str(getattr(line, f)) for f in fields}
    values["delivery"] = "1" if line.delivery else "0"
    return values
