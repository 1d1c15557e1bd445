"""Invoices and payments in a real browser, on SQLite and PostgreSQL: an accepted quote becomes
an invoice, issuing it moves the deal to the pipeline's on_invoice stage, a partial payment and
then the rest make it paid and move the deal to the on_payment stage with its task; a deal with
an unpaid invoice is not won, nor one whose paid invoice is not acted yet: the act is made
and signed on the invoice page, and then the deal is won for the paid sum. The head uploads
the 1C bank statement on «Оплаты», sees the import's summary and settles a waiting payment by
the invoice's number."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from config import Settings
from tests.browser.test_kanban import PASSWORD, signed_in
from tests.browser.test_quotes import rub
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_invoices_api import LINES, SELLER_TOML
from tests.e2e.test_workplace import two_leads
from tests.e2e.test_workplace_deals import api, deal_of
from tests.integration.test_invoices import STATEMENT
from tests.unit.test_documents_pdf import text_of

MONEY_PIPELINE = """
[[pipelines]]
key = "money"
name = "Продажи с оплатой"
stage_order = "free"
won_requires_shipment = true
stages = [
  { key = "offer", name = "КП отправлено" },
  { key = "invoice", name = "Счёт выставлен", on_invoice = true },
  { key = "paid", name = "Оплачено", on_payment = true, tasks = [
    { title = "Оформить реализацию", type = "task", due_in = "1d" },
  ] },
  { key = "won", name = "Сделка успешна", kind = "won" },
  { key = "lost", name = "Сделка провалена", kind = "lost" },
]
"""


@pytest.fixture
def service_settings(write_config: Callable[[str], Settings]) -> Settings:
    """The seller's requisites (account 40702810900000012345, as the statement's) and a
    pipeline whose deals follow the money."""
    return write_config(SELLER_TOML + MONEY_PIPELINE)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and the head may sign in."""
    return {"ivanova": PASSWORD, "head": PASSWORD}


async def accepted_quote(running: Running, deal_id: int) -> dict[str, Any]:
    """A quote on the deal, sent and accepted through the API."""
    quote = await api(running, "POST", f"/api/v1/deals/{deal_id}/quotes", "ivanova", LINES)
    for step in ("sent", "accepted"):
        path = f"/api/v1/quotes/{quote['id']}/status"
        quote = await api(running, "POST", path, "ivanova", {"status": step})
    return dict(quote)


async def pay(page: Page, amount: str, purpose: str) -> None:
    """Fill «Записать оплату» and send it."""
    form = page.locator(".payment-form")
    await form.get_by_label("Сумма, ₽").fill(amount)
    await form.get_by_label("Назначение платежа").fill(purpose)
    await form.get_by_role("button", name="Записать оплату").click()


async def test_an_accepted_quote_is_invoiced_paid_and_moves_the_deal(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"], "money")
    quote = await accepted_quote(running, deal_id)
    total = Decimal(quote["total"])
    context = await signed_in(browser, running, "ivanova", viewport=WIDE)
    page = await context.new_page()
    await page.goto(f"/quotes/{quote['id']}")
    await page.get_by_role("button", name="Выставить счёт").click()

    await expect(page.get_by_role("heading", name="Счёт на оплату СЧ-")).to_be_visible()
    status = page.locator("#invoice-status")
    await expect(status).to_have_text("Черновик")
    await expect(page.locator("#invoice-total")).to_have_text(rub(_ru(total)))
    await expect(page.get_by_role("link", name=quote["number"])).to_be_visible()
    # A draft asks for no money yet: issue it first.
    await expect(page.locator(".payment-form")).to_have_count(0)
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Скачать PDF").click()
    download = await info.value
    number = (await page.locator("h1").inner_text()).removeprefix("Счёт на оплату ")
    assert download.suggested_filename == f"{number}.pdf"
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert f"Счёт на оплату № {number} от " in text_of(pdf)
    assert f"Основание: Коммерческое предложение № {quote['number']}" in text_of(pdf)
    await page.get_by_role("button", name="Выставить").click()
    await expect(status).to_have_text("Выставлен")
    await expect(page.get_by_role("button", name="Отклонён")).to_be_visible()
    invoice_url = page.url
    await page.goto(f"/quotes/{quote['id']}")  # the quote leads to its invoice, not to another
    await expect(page.get_by_role("button", name="Выставить счёт")).to_have_count(0)
    await page.get_by_role("link", name=f"Счёт {number} · выставлен").click()
    await expect(status).to_have_text("Выставлен")

    await page.goto(f"/deals/{deal_id}")
    await expect(page.locator('.stage-path [aria-current="step"] > span')).to_have_text(
        "Счёт выставлен"
    )

    await page.goto(invoice_url)
    await pay(page, "1000,00", "Аванс")
    await expect(status).to_have_text("Оплачен частично")
    await expect(page.locator("#invoice-paid")).to_have_text(rub("1 000,00"))
    await expect(page.locator("#invoice-due")).to_have_text(rub(_ru(total - 1000)))
    await page.reload()  # Post/Redirect/Get: a refresh records nothing again
    await expect(page.locator("#payments tbody tr")).to_have_count(1)
    # Not paid in full, and this pipeline ships nothing before payment.
    await expect(page.locator("#closing")).to_contain_text("оформляют по оплаченному счёту")
    await expect(page.get_by_role("button", name="Создать акт")).to_have_count(0)
    await shoot(page, screenshots, "invoice-partly-paid-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "invoice-partly-paid-360")
    await page.set_viewport_size(WIDE)

    await page.locator(".payment-form").get_by_label("Сумма, ₽").fill("abc")
    await page.locator(".payment-form").get_by_role("button", name="Записать оплату").click()
    await expect(page.get_by_role("alert")).to_contain_text("Сумма оплаты")
    await page.goto(invoice_url)
    await pay(page, _ru(total - 1000).replace(" ", ""), "Доплата")
    await expect(status).to_have_text("Оплачен")
    await expect(page.locator("#invoice-due")).to_have_text(rub("0,00"))
    await expect(page.locator("#payments tbody tr")).to_have_count(2)
    await expect(page.locator(".payment-form")).to_have_count(0)  # nothing more to pay
    await shoot(page, screenshots, "invoice-paid-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "invoice-paid-360")
    await page.set_viewport_size(WIDE)

    await page.goto(f"/deals/{deal_id}")
    await expect(page.locator('.stage-path [aria-current="step"] > span')).to_have_text("Оплачено")
    await expect(page.locator("#timeline")).to_contain_text("Оформить реализацию")
    row = page.locator("#invoices tbody tr").first
    await expect(row).to_contain_text("Оплачен")
    await expect(row).to_contain_text(rub(_ru(total)))

    # A second invoice, issued and unpaid: the deal cannot be won yet.
    second = await api(running, "POST", f"/api/v1/deals/{deal_id}/invoices", "ivanova", LINES)
    path = f"/api/v1/invoices/{second['id']}/status"
    await api(running, "POST", path, "ivanova", {"status": "issued"})
    await page.reload()
    await expect(page.locator("#invoices tbody tr")).to_have_count(2)
    await page.get_by_label("Перевести на этап").select_option(label="Сделка успешна")
    await page.locator(".card-move").get_by_role("button", name="Перевести").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "Сделка выиграна, когда оплачены все её счета"
    )
    await shoot(page, screenshots, "deal-invoices-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "deal-invoices-360")
    await page.set_viewport_size(WIDE)
    await page.goto(f"/deals/{deal_id}")
    await expect(page.locator('.stage-path [aria-current="step"] > span')).to_have_text("Оплачено")

    # The second invoice withdrawn, the paid one still waits for its closing documents.
    await api(running, "POST", path, "ivanova", {"status": "cancelled"})
    await win(page)
    await expect(page.get_by_role("alert")).to_contain_text("оплаченное отгружено")
    await page.goto(invoice_url)
    closing = page.locator("#closing")
    await expect(closing).to_contain_text("Накладных и актов пока нет")
    # Free lines and delivery: either document may take them, the first one takes them all.
    await expect(closing.get_by_role("button", name="Создать накладную")).to_be_visible()
    await closing.scroll_into_view_if_needed()
    await shoot(page, screenshots, "invoice-closing-create-1366", full_page=False)
    await closing.get_by_role("button", name="Создать акт").click()
    await expect(page.get_by_role("status")).to_contain_text("Акт АКТ-")
    rows = closing.locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Черновик")
    await expect(closing.get_by_role("button", name="Создать накладную")).to_have_count(0)
    await page.reload()  # Post/Redirect/Get: a refresh makes no second act
    await expect(rows).to_have_count(1)
    await expect(page.get_by_role("status")).to_have_count(0)
    await rows.first.get_by_role("button", name="Подписан").click()
    await expect(rows.first).to_contain_text("Подписан")
    await expect(rows.first.get_by_role("button", name="Подписан")).to_have_count(0)
    await expect(rows.first.get_by_role("button", name="Отменить")).to_be_visible()
    act_number = (await rows.first.locator("th").inner_text()).strip()
    async with page.expect_download() as info:
        await rows.first.get_by_role("link", name="Скачать PDF").click()
    pdf = await asyncio.to_thread(Path(await (await info.value).path()).read_bytes)
    assert f"Акт № {act_number}" in text_of(pdf)
    await shoot(page, screenshots, "invoice-closing-1366")
    await page.set_viewport_size(NARROW)
    await closing.scroll_into_view_if_needed()
    await shoot(page, screenshots, "invoice-closing-360")
    await page.set_viewport_size(WIDE)

    await page.goto(f"/deals/{deal_id}")
    await win(page)
    await expect(page.locator('.stage-path [aria-current="step"] > span')).to_have_text(
        "Сделка успешна"
    )
    won = await api(running, "GET", f"/api/v1/deals/{deal_id}", "ivanova")
    assert Decimal(won["amount"]) == total
    await context.close()


async def win(page: Page) -> None:
    """Move the deal card's deal to «Сделка успешна»."""
    await page.get_by_label("Перевести на этап").select_option(label="Сделка успешна")
    await page.locator(".card-move").get_by_role("button", name="Перевести").click()


async def test_the_head_imports_a_statement_and_settles_a_waiting_payment(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head", viewport=WIDE)
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Оплаты").click()
    await expect(page.get_by_role("heading", name="Оплаты")).to_be_visible()
    await page.get_by_label("Файл выписки").set_input_files(str(STATEMENT))
    await page.get_by_role("button", name="Загрузить").click()

    # No invoice yet: every payment to our account waits; the repeated one and the one to
    # another account are not recorded.
    summary = page.locator("#import-summary")
    for key, count in (("matched", 0), ("unmatched", 5), ("duplicates", 1), ("skipped", 1)):
        await expect(summary.locator(f".sum-{key} dd")).to_have_text(str(count))
    await expect(page.locator("#waiting tbody tr")).to_have_count(5)
    await shoot(page, screenshots, "payments-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "payments-360")
    await page.set_viewport_size(WIDE)
    await page.reload()  # the summary was shown once; nothing imported again
    await expect(summary).to_have_count(0)
    await expect(page.locator("#waiting tbody tr")).to_have_count(5)

    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"], "money")
    line = {"name": "Поставка", "quantity": 1, "price": "10000.00", "vat_rate": "20"}
    body = {"vat_mode": "per_line", "items": [line]}
    invoice = await api(running, "POST", f"/api/v1/deals/{deal_id}/invoices", "head", body)
    path = f"/api/v1/invoices/{invoice['id']}/status"
    await api(running, "POST", path, "head", {"status": "issued"})

    row = page.locator("#waiting tbody tr", has_text="5\u202f000,00")
    await row.get_by_label("Номер счёта").fill("СЧ-1999-0404")
    await row.get_by_role("button", name="Привязать к счёту").click()
    await expect(page.get_by_role("alert")).to_contain_text("не найден")
    row = page.locator("#waiting tbody tr", has_text="5\u202f000,00")
    await row.get_by_label("Номер счёта").fill(invoice["number"].lower())
    await row.get_by_role("button", name="Привязать к счёту").click()
    await expect(page.get_by_role("status")).to_contain_text(
        f"Оплата привязана к счёту {invoice['number']}: Оплачен частично"
    )
    await expect(page.locator("#waiting tbody tr")).to_have_count(4)
    after = await api(running, "GET", f"/api/v1/invoices/{invoice['id']}", "head")
    assert (after["status"], after["paid"]) == ("partially_paid", "5000.00")

    # The rest chosen from the open invoices: number · client · due date · still to pay.
    row = page.locator("#waiting tbody tr", has_text="Доплата по договору поставки")
    choice = row.get_by_label("Открытый счёт")
    due = date.fromisoformat(after["due_date"]).strftime("%d.%m.%Y")
    option = choice.locator("option", has_text=invoice["number"])
    await expect(option).to_have_count(1)
    await expect(option).to_have_text(
        f"{invoice['number']} · {after['buyer']['name']} · до {due} · {rub('7 000,00')}"
    )
    await shoot(page, screenshots, "payments-match-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "payments-match-360")
    await page.set_viewport_size(WIDE)
    await choice.select_option(value=str(invoice["id"]))
    await row.get_by_role("button", name="Привязать к счёту").click()
    await expect(page.get_by_role("status")).to_contain_text(
        f"Оплата привязана к счёту {invoice['number']}: Оплачен"
    )
    await expect(page.locator("#waiting tbody tr")).to_have_count(3)
    paid = await api(running, "GET", f"/api/v1/invoices/{invoice['id']}", "head")
    assert (paid["status"], paid["paid"]) == ("paid", "12000.00")
    # Paid in full, it is no longer offered.
    await expect(page.locator("#waiting option", has_text=invoice["number"])).to_have_count(0)

    manager = await signed_in(browser, running, "ivanova", viewport=WIDE)
    other = await manager.new_page()
    await other.goto("/")
    menu = other.get_by_role("navigation", name="Разделы")
    await expect(menu.get_by_role("link", name="Оплаты")).to_have_count(0)
    response = await other.goto("/payments")
    assert response is not None and response.status == 403
    await context.close()
    await manager.close()


def _ru(amount: Decimal) -> str:
    """12345.6 → '12 345,60' (plain spaces; `rub` makes them narrow)."""
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",")
