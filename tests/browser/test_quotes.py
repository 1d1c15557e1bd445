"""КП in a real browser, on SQLite and PostgreSQL: a manager builds a quote from the catalogue
(a price list's prices, two products, delivery, a line and a total discount), saves it, marks
it sent and accepted, and finds every step in the deal's timeline."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from config import Settings
from crm_core.amount_words import amount_in_words
from tests.browser.test_kanban import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace import two_leads
from tests.e2e.test_workplace_deals import WHOLESALE, api, deal_of

NNBSP = "\u202f"  # between thousands
NBSP = "\u00a0"  # before ₽


def rub(text: str) -> str:
    """'49 099,16' as the pages print it: «49 099,16 ₽» with no-break spaces."""
    return text.replace(" ", NNBSP) + f"{NBSP}₽"


@pytest.fixture
def service_settings(write_config: Callable[[str], Settings]) -> Settings:
    """The wholesale pipeline (its deals are what the quotes are made on)."""
    return write_config(WHOLESALE)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and the head may sign in."""
    return {"ivanova": PASSWORD, "head": PASSWORD}


async def catalogue(running: Running) -> dict[str, Any]:
    """Two chairs and a desk, and a wholesale list where the chair is cheaper."""
    chair = await api(
        running,
        "POST",
        "/api/v1/products",
        "head",
        {"name": "Кресло офисное", "sku": "CH-1", "price": "13900.00", "vat_rate": "20"},
    )
    desk = await api(
        running,
        "POST",
        "/api/v1/products",
        "head",
        {"name": "Стол письменный", "sku": "T-2", "price": "18990.50", "vat_rate": "20"},
    )
    wholesale = await api(
        running,
        "POST",
        "/api/v1/price-lists",
        "head",
        {"name": "Оптовый", "items": [{"product_id": chair["id"], "price": "12500.00"}]},
    )
    return {"chair": chair, "desk": desk, "list": wholesale}


async def add_from_catalogue(page: Page, search: str, name: str, price: str) -> None:
    """Find a product in the builder's picker and add it; its line appears."""
    await page.get_by_label("Найти в каталоге").fill(search)
    offer = page.locator("#product-results li", has_text=name)
    await expect(offer).to_have_count(1)
    await expect(offer).to_contain_text(rub(price))
    lines = await page.locator(".kp-line[data-line]").count()
    await offer.get_by_role("button", name=f"Добавить «{name}»").click()
    await expect(page.locator(".kp-line[data-line]")).to_have_count(lines + 1)


async def test_a_manager_builds_a_quote_and_the_client_accepts_it(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    products = await catalogue(running)
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    context = await signed_in(browser, running, "ivanova", viewport=WIDE)
    page = await context.new_page()
    await page.goto(f"/deals/{deal_id}")
    quotes = page.locator("#quotes")
    await expect(quotes).to_contain_text("Коммерческих предложений пока нет.")
    await quotes.get_by_role("link", name="Создать КП").click()
    heading = page.get_by_role("heading", name="Новое коммерческое предложение")
    await expect(heading).to_be_visible()

    # Prices come from the chosen list: the chair at the wholesale price, the desk at its own.
    await expect(page.locator("#product-results li", has_text="Кресло офисное")).to_contain_text(
        rub("13 900,00")
    )
    await page.get_by_label("Прайс-лист").select_option(label="Оптовый")
    await add_from_catalogue(page, "кресло", "Кресло офисное", "12 500,00")
    await add_from_catalogue(page, "T-2", "Стол письменный", "18 990,50")
    await page.get_by_role("button", name="+ Доставка").click()
    await expect(page.locator(".kp-line[data-line]")).to_have_count(3)
    total = page.locator("#quote-total")
    await expect(total).to_have_text(rub("37 788,60"))  # (12 500 + 18 990,50) × 1,2

    await page.get_by_label("Строка 3: цена").fill("1500")
    await page.get_by_label("Строка 1: количество").fill("2")
    await page.get_by_label("Строка 1: скидка, %").fill("10")
    await page.get_by_label("Скидка на итог, %").fill("5")
    # Chair 2 × 12 500 − 10 % − 5 % = 21 375,00 (+4 275,00 VAT); desk 18 990,50 − 5 % =
    # 18 040,97 (+3 608,19); delivery 1 500,00 with no discount (+300,00).
    await expect(total).to_have_text(rub("49 099,16"))
    await expect(page.locator("#quote-subtotal")).to_have_text(rub("40 915,97"))
    await expect(page.locator("#line-amount-0")).to_contain_text(rub("21 375,00"))
    await page.get_by_label("Строка 2: количество").fill("0")  # refused, named, not counted
    await expect(page.locator("#line-problem-1")).to_contain_text("Количество")
    await expect(total).to_have_text(rub("27 450,00"))
    await page.get_by_label("Строка 2: количество").fill("1")
    await expect(total).to_have_text(rub("49 099,16"))
    await shoot(page, screenshots, "quote-builder-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "quote-builder-360")
    await page.set_viewport_size(WIDE)

    await page.get_by_role("button", name="Сохранить КП").click()
    await expect(page.get_by_role("heading", name="Коммерческое предложение КП-")).to_be_visible()
    status = page.locator("#quote-status")
    await expect(status).to_have_text("Черновик")
    await expect(page.locator("#quote-total")).to_have_text(rub("49 099,16"))
    await expect(page.locator("#quote-words")).to_contain_text(
        amount_in_words(Decimal("49099.16"))
    )
    # PDFs and invoices come with another part of the product: no dead buttons meanwhile.
    await expect(page.get_by_role("button", name="Выставить счёт")).to_have_count(0)
    await page.get_by_role("button", name="Отправлено").click()
    await expect(status).to_have_text("Отправлено")
    await expect(page.get_by_role("button", name="Отклонено")).to_be_visible()
    await shoot(page, screenshots, "quote-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "quote-360")
    await page.set_viewport_size(WIDE)
    await page.get_by_role("button", name="Принято").click()
    await expect(status).to_have_text("Принято")
    await expect(page.get_by_role("button", name="Отклонено")).to_have_count(0)

    [saved] = (await api(running, "GET", f"/api/v1/deals/{deal_id}/quotes", "head"))["items"]
    assert (saved["status"], saved["total"], saved["vat_total"]) == (
        "accepted",
        "49099.16",
        "8183.19",
    )
    assert saved["price_list_id"] == products["list"]["id"]
    assert [i["product_id"] for i in saved["items"]] == [
        products["chair"]["id"],
        products["desk"]["id"],
        None,
    ]
    assert saved["items"][2]["delivery"] is True

    await page.get_by_role("link", name="← Сделка").click()
    row = page.locator(f'#quotes tr[data-quote="{saved["id"]}"]')
    await expect(row).to_contain_text("Принято")
    await expect(row).to_contain_text(rub("49 099,16"))
    timeline = page.locator("#timeline")
    number = saved["number"]
    await expect(timeline).to_contain_text(
        f"Создано коммерческое предложение {number} на {rub('49 099,16')}"
    )
    await expect(timeline).to_contain_text(f"Коммерческое предложение {number}: Отправлено")
    await expect(timeline).to_contain_text(f"Коммерческое предложение {number}: Принято")
    await shoot(page, screenshots, "deal-quotes-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "deal-quotes-360")
    await context.close()
