"""Editing a draft КП in a real browser, on SQLite and PostgreSQL: «Изменить» on the quote
page opens the builder filled with its lines, an edited line, a removed one and a catalogue
product added show on the quote page after saving; once sent, the quote has no «Изменить»."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from config import Settings
from tests.browser.test_kanban import PASSWORD, signed_in
from tests.browser.test_quotes import add_from_catalogue, catalogue, rub
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace import two_leads
from tests.e2e.test_workplace_deals import WHOLESALE, api, deal_of


@pytest.fixture
def service_settings(write_config: Callable[[str], Settings]) -> Settings:
    """The wholesale pipeline (its deals are what the quotes are made on)."""
    return write_config(WHOLESALE)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova may sign in."""
    return {"ivanova": PASSWORD}


async def test_a_draft_quote_is_edited_in_the_builder(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    await catalogue(running)
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    body = {
        "vat_mode": "per_line",
        "discount_percent": "5",
        "items": [
            {"name": "Монтаж", "quantity": 1, "price": "1000.00", "vat_rate": "20"},
            {"name": "Выезд инженера", "quantity": 1, "price": "800.00", "vat_rate": "20"},
        ],
    }
    quote = await api(running, "POST", f"/api/v1/deals/{deal_id}/quotes", "ivanova", body)
    context = await signed_in(browser, running, "ivanova", viewport=WIDE)
    page = await context.new_page()
    await page.goto(f"/quotes/{quote['id']}")
    await page.get_by_role("link", name="Изменить").click()

    heading = f"Изменить коммерческое предложение {quote['number']}"
    await expect(page.get_by_role("heading", name=heading)).to_be_visible()
    await expect(page.get_by_label("Строка 1: наименование")).to_have_value("Монтаж")
    await expect(page.get_by_label("Строка 2: цена")).to_have_value("800,00")
    await expect(page.get_by_label("Скидка на итог, %")).to_have_value("5")
    total = page.locator("#quote-total")
    await expect(total).to_have_text(rub("2 052,00"))  # 1 800 − 5 % = 1 710 + 20 %

    await page.get_by_label("Строка 1: наименование").fill("Монтаж кабеля")
    await page.get_by_label("Строка 1: количество").fill("3")
    await page.get_by_role("button", name="Убрать строку 2").click()
    await expect(page.locator(".kp-line[data-line]")).to_have_count(1)
    await add_from_catalogue(page, "T-2", "Стол письменный", "18 990,50")
    # By line, 5 % off each: 2 850,00 (+570,00 VAT) and 18 040,97 (+3 608,19).
    await expect(total).to_have_text(rub("25 069,16"))
    await shoot(page, screenshots, "quote-edit-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "quote-edit-360")
    await page.set_viewport_size(WIDE)
    await page.get_by_role("button", name="Сохранить КП").click()

    saved = page.get_by_role("heading", name=f"Коммерческое предложение {quote['number']}")
    await expect(saved).to_be_visible()
    rows = page.locator(".doc-lines tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Монтаж кабеля")
    await expect(rows.nth(0)).to_contain_text("3 шт")
    await expect(rows.nth(1)).to_contain_text("Стол письменный")
    await expect(page.locator("#quote-total")).to_have_text(rub("25 069,16"))
    await expect(page.locator("#quote-status")).to_have_text("Черновик")
    await expect(page.get_by_role("link", name="Изменить")).to_be_visible()
    await shoot(page, screenshots, "quote-edited-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "quote-edited-360")
    await page.set_viewport_size(WIDE)
    stored = await api(running, "GET", f"/api/v1/quotes/{quote['id']}", "ivanova")
    assert (stored["number"], stored["total"]) == (quote["number"], "25069.16")
    await page.goto(f"/deals/{deal_id}")
    await expect(page.locator("#timeline")).to_contain_text(
        f"Изменено коммерческое предложение {quote['number']}"
    )

    path = f"/api/v1/quotes/{quote['id']}/status"
    await api(running, "POST", path, "ivanova", {"status": "sent"})
    await page.goto(f"/quotes/{quote['id']}")
    await expect(page.locator("#quote-status")).to_have_text("Отправлено")
    await expect(page.get_by_role("link", name="Изменить")).to_have_count(0)
    await page.goto(f"/quotes/{quote['id']}/edit")  # a sent quote opens as it is
    await expect(page).to_have_url(re.compile(rf"/quotes/{quote['id']}$"))
    await context.close()
