"""Quote, invoice and act PDFs rendered by WeasyPrint from their views, read back as text with
pypdf: requisites, lines, totals by VAT mode, amounts in words, pictures, and nothing fetched
from outside."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from config.seller_settings import SellerRequisites
from crm_core.money import Line, VatMode, VatRate, compute_totals
from workplace.documents import DocumentRenderError, act_pdf, invoice_pdf, quote_pdf, render_pdf
from workplace.documents.html import totals_rows
from workplace.documents.sample import BUYER, SELLER
from workplace.documents.seller import seller_images, seller_party
from workplace.documents.views import (
    ActView,
    DocumentLine,
    DocumentTotals,
    InvoiceView,
    QuoteView,
    document_amounts,
)

# The hand-computed quote: 3 lines and delivery, a 5 % discount on the document.
LINES = (
    Line("Кабель ВВГ 3×2,5", Decimal(3), Decimal("333.33"), VatRate.TWENTY, unit="м"),
    Line("Клемма", Decimal(7), Decimal("14.29"), VatRate.TWENTY, Decimal(10)),
    Line("Монтаж", Decimal(1), Decimal("1000.01"), VatRate.TEN, unit="усл"),
    Line("Доставка", Decimal(1), Decimal(500), VatRate.TWENTY, delivery=True),
)
DAY = date(2026, 12, 7)


def text_of(pdf: bytes) -> str:
    """The PDF's text, spaces of every kind made plain and runs of them one."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[ \u00a0\u202f]+", " ", raw)


def amounts(
    mode: VatMode, lines: tuple[Line, ...] = LINES
) -> tuple[tuple[DocumentLine, ...], DocumentTotals]:
    return document_amounts(compute_totals(lines, mode, Decimal(5)))


def invoice(mode: VatMode = VatMode.PER_LINE, lines: tuple[Line, ...] = LINES) -> InvoiceView:
    rows, totals = amounts(mode, lines)
    return InvoiceView(
        number="12",
        date=DAY,
        seller=seller_party(SELLER),
        buyer=BUYER,
        lines=rows,
        totals=totals,
        due_date=date(2026, 12, 14),
        basis="Коммерческое предложение № КП-2026-0001",
        director=SELLER.director,
        accountant=SELLER.accountant,
        terms=("Оплата данного счёта означает согласие с условиями поставки товара.",),
    )


def test_the_invoice_prints_the_bank_block_parties_lines_and_totals() -> None:
    text = text_of(invoice_pdf(invoice()))

    for requisite in (
        "ПАО СБЕРБАНК г. Москва",
        "Банк получателя",
        "БИК 044525225",
        "Сч. № 30101810400000000225",
        "ИНН 7701234567",
        "КПП 770101001",
        "40702810938000012345",
        "Получатель",
    ):
        assert requisite in text, requisite
    assert "Счёт на оплату № 12 от 7 декабря 2026 г." in text
    assert "ООО «Ромашка», ИНН 7701234567, КПП 770101001, 125009, г. Москва" in text
    assert "ООО «Василёк», ИНН 7709876543, КПП 770901001" in text
    assert "Основание: Коммерческое предложение № КП-2026-0001" in text
    # Lines: name, quantity, unit, price, discount (line's and the document's share), amount.
    assert "1 Кабель ВВГ 3×2,5 3 м 333,33 50,00 949,99" in text
    assert "2 Клемма 7 шт 14,29 14,50 85,53" in text
    assert "3 Монтаж 1 усл 1 000,01 50,00 950,01" in text
    assert "4 Доставка 1 шт 500,00 — 500,00" in text
    # VAT on top of the prices, per rate: 95,00 at 10 %, 190,00 + 17,11 + 100,00 at 20 %.
    assert "Итого: 2 485,53" in text
    assert "НДС 10%: 95,00" in text and "НДС 20%: 307,11" in text
    assert "Всего к оплате: 2 887,64" in text
    assert "Всего наименований 4, на сумму 2 887,64 руб." in text
    assert "Две тысячи восемьсот восемьдесят семь рублей 64 копейки" in text
    assert "Оплатить не позднее 14 декабря 2026 г." in text
    assert "Руководитель" in text and "Иванов И. И." in text
    assert "Бухгалтер" in text and "Петрова А. С." in text


def test_an_invoice_with_vat_in_the_prices_says_in_that_number() -> None:
    text = text_of(invoice_pdf(invoice(VatMode.INCLUDED)))

    # Same lines, the prices taken as including VAT: VAT is extracted, the total is the sum.
    assert "Итого: 2 485,53" in text
    assert "В том числе НДС 10%: 86,36" in text
    assert "В том числе НДС 20%: 255,92" in text
    assert "Всего к оплате: 2 485,53" in text
    assert "Две тысячи четыреста восемьдесят пять рублей 53 копейки" in text


def test_an_invoice_without_vat_says_so() -> None:
    lines = (Line("Аудит сайта", Decimal(1), Decimal("150000.50"), VatRate.NONE, unit="усл"),)
    rows, totals = document_amounts(compute_totals(lines, VatMode.ON_TOTAL))
    view = InvoiceView("13", DAY, seller_party(SELLER), BUYER, rows, totals)

    text = text_of(invoice_pdf(view))

    assert "Без налога (НДС): —" in text
    assert "Всего к оплате: 150 000,50" in text
    assert "Сто пятьдесят тысяч рублей 50 копеек" in text
    assert "Цена, без НДС" not in text  # no VAT at all: prices are just prices


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (
            VatMode.PER_LINE,
            [
                ("Итого:", "2\u202f485,53"),
                ("НДС 10%:", "95,00"),
                ("НДС 20%:", "307,11"),
                ("Всего к оплате:", "2\u202f887,64"),
            ],
        ),
        (
            VatMode.ON_TOTAL,
            [
                ("Итого:", "2\u202f485,53"),
                ("НДС 10%:", "95,00"),
                ("НДС 20%:", "307,10"),
                ("Всего к оплате:", "2\u202f887,63"),
            ],
        ),
        (
            VatMode.INCLUDED,
            [
                ("Итого:", "2\u202f485,53"),
                ("В том числе НДС 10%:", "86,36"),
                ("В том числе НДС 20%:", "255,92"),
                ("Всего к оплате:", "2\u202f485,53"),
            ],
        ),
    ],
)
def test_totals_rows_follow_the_vat_mode(mode: VatMode, expected: list[tuple[str, str]]) -> None:
    assert totals_rows(amounts(mode)[1]) == expected


def test_the_quote_prints_seller_client_lines_vat_totals_and_validity() -> None:
    rows, totals = amounts(VatMode.PER_LINE)
    view = QuoteView(
        number="КП-2026-0001",
        date=DAY,
        seller=seller_party(SELLER),
        client=BUYER,
        lines=rows,
        totals=totals,
        valid_until=date(2026, 12, 21),
        director=SELLER.director,
    )

    text = text_of(quote_pdf(view))

    assert "Коммерческое предложение № КП-2026-0001 от 7 декабря 2026 г." in text
    assert "ООО «Ромашка»" in text and "ИНН 7701234567, КПП 770101001" in text
    assert "р/с 40702810938000012345" in text and "БИК 044525225" in text
    assert "Клиент: ООО «Василёк», ИНН 7709876543" in text
    # Per-line VAT: rate and VAT of each line.
    assert "1 Кабель ВВГ 3×2,5 3 м 333,33 50,00 20% 190,00 949,99" in text
    assert "3 Монтаж 1 усл 1 000,01 50,00 10% 95,00 950,01" in text
    assert "Скидка: 114,50" in text
    assert "Итого без НДС: 2 485,53" in text
    assert "НДС 10%: 95,00" in text and "НДС 20%: 307,11" in text
    assert "Итого с НДС: 2 887,64" in text
    assert "Две тысячи восемьсот восемьдесят семь рублей 64 копейки" in text
    assert "Предложение действительно до 21 декабря 2026 г." in text


def test_a_quote_with_vat_on_the_total_has_no_vat_per_line() -> None:
    rows, totals = amounts(VatMode.ON_TOTAL)
    view = QuoteView("КП-2026-0002", DAY, seller_party(SELLER), None, rows, totals, None)

    text = text_of(quote_pdf(view))

    assert "Ставка НДС" not in text
    assert "НДС 20% (на 1 535,52): 307,10" in text
    assert "Итого с НДС: 2 887,63" in text
    assert "Клиент" not in text and "действительно" not in text


def test_the_act_prints_executor_customer_services_and_totals() -> None:
    rows, totals = amounts(VatMode.INCLUDED)
    view = ActView(
        number="7",
        date=DAY,
        executor=seller_party(SELLER),
        customer=BUYER,
        lines=rows,
        totals=totals,
        basis="Счёт на оплату № 12 от 7 декабря 2026 г.",
        director=SELLER.director,
    )

    text = text_of(act_pdf(view))

    assert "Акт № 7 от 7 декабря 2026 г." in text
    assert "Исполнитель: ООО «Ромашка», ИНН 7701234567" in text
    assert "Заказчик: ООО «Василёк», ИНН 7709876543" in text
    assert "Основание: Счёт на оплату № 12 от 7 декабря 2026 г." in text
    assert "3 Монтаж 1 усл 1 000,01 50,00 950,01" in text
    assert "В том числе НДС 20%: 255,92" in text
    assert "Всего (с учётом НДС): 2 485,53" in text
    assert "Всего оказано услуг 4, на сумму 2 485,53 руб." in text
    assert "Две тысячи четыреста восемьдесят пять рублей 53 копейки" in text
    assert "ИСПОЛНИТЕЛЬ" in text and "ЗАКАЗЧИК" in text


def test_names_are_escaped_and_long_tables_go_on_to_a_second_page() -> None:
    lines = tuple(
        Line(f"<b>Позиция {n}</b> & Ко", Decimal(1), Decimal(10), VatRate.TWENTY)
        for n in range(1, 61)
    )
    rows, totals = document_amounts(compute_totals(lines, VatMode.PER_LINE))
    pdf = invoice_pdf(InvoiceView("14", DAY, seller_party(SELLER), BUYER, rows, totals))

    text = text_of(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert "<b>Позиция 60</b> & Ко" in text
    assert "Всего наименований 60, на сумму 720,00 руб." in text


def test_the_shipped_font_is_embedded() -> None:
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts.values()}
    assert names == {"Document-Sans", "Document-Sans-Bold"}


def _png(path: Path, color: str) -> Path:
    Image.new("RGB", (60, 30), color).save(path)
    return path


def test_logo_stamp_and_signature_are_drawn_from_the_configured_files(tmp_path: Path) -> None:
    seller = SellerRequisites(
        name="ООО «Ромашка»",
        logo=_png(tmp_path / "logo.png", "navy"),
        stamp=_png(tmp_path / "stamp.png", "blue"),
        signature=_png(tmp_path / "signature.png", "black"),
    )
    view = invoice()
    plain = invoice_pdf(view)
    with_images = invoice_pdf(InvoiceView(**{**_fields(view), "images": seller_images(seller)}))

    assert _image_count(plain) == 0
    assert _image_count(with_images) == 3


def _fields(view: InvoiceView) -> dict[str, object]:
    return {name: getattr(view, name) for name in view.__dataclass_fields__}


def _image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_nothing_is_fetched_from_outside(tmp_path: Path) -> None:
    secret = _png(tmp_path / "secret.png", "red")
    html = (
        f'<p>Текст</p><img src="{secret.as_uri()}"><img src="http://127.0.0.1:9/x.png">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
    )

    pdf = render_pdf(html)

    assert "Текст" in text_of(pdf)
    assert _image_count(pdf) == 0


def test_a_picture_that_cannot_be_read_and_a_failing_render_are_document_errors(
    tmp_path: Path,
) -> None:
    gone = SellerRequisites(stamp=tmp_path / "stamp.png")  # checked at load, deleted since
    with pytest.raises(DocumentRenderError, match="stamp"):
        seller_images(gone)
    with pytest.raises(DocumentRenderError, match="could not be rendered"):
        render_pdf(None)  # type: ignore[arg-type]
