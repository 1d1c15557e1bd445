"""Каталог in a real browser, on SQLite and PostgreSQL: the head imports a 1C export (a file
with a wrong row is refused whole, each wrong row named), then a right one creates and
updates products; a manager reads the catalogue but gets no forms to change it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.test_kanban import PASSWORD, signed_in
from tests.browser.test_quotes import rub
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace_deals import api

# As 1C writes it: Windows-1251, semicolons, a decimal comma, a thousands space.
HEADER = "Наименование;Артикул;Ед. изм.;Цена;Ставка НДС;Тип;Склад\r\n"
WRONG = (
    HEADER
    + "Кресло офисное;CH-1;шт;13 900,00;20%;Товар;Основной\r\n"
    + "Стол письменный;T-2;шт;18990,555;20%;Товар;Основной\r\n"
    + "Сборка мебели;SRV-1;усл;2500;;Услуга;\r\n"
)
RIGHT = (
    HEADER
    + "Кресло офисное;CH-1;шт;13 900,00;20%;Товар;Основной\r\n"
    + "Стол письменный;T-2;шт;18990,50;20%;Товар;Основной\r\n"
    + "Сборка мебели;SRV-1;усл;2500;Без НДС;Услуга;\r\n"
)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and the head may sign in."""
    return {"ivanova": PASSWORD, "head": PASSWORD}


async def upload(page: Page, name: str, text: str) -> None:
    """Choose a CSV file (Windows-1251) on the catalogue page and load it."""
    import_form = page.locator("#import")
    await import_form.get_by_label("Файл CSV").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("cp1251")}]
    )
    await import_form.get_by_role("button", name="Загрузить").click()


async def test_the_head_imports_the_catalogue_from_a_csv_file(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    await api(  # already in the catalogue: the file updates it by SKU
        running,
        "POST",
        "/api/v1/products",
        "head",
        {"name": "Кресло", "sku": "CH-1", "price": "12000.00", "vat_rate": "10"},
    )
    context = await signed_in(browser, running, "head", viewport=WIDE)
    page = await context.new_page()
    await page.goto("/")
    menu = page.get_by_role("navigation", name="Разделы")
    await menu.get_by_role("link", name="Каталог").click()
    await expect(page.get_by_role("heading", name="Каталог", exact=True)).to_be_visible()

    await upload(page, "wrong.csv", WRONG)
    result = page.locator("#import-result")
    await expect(result).to_contain_text("Файл не загружен")
    refused = result.locator("tbody tr")
    await expect(refused).to_have_count(2)
    await expect(refused.nth(0)).to_contain_text("3")
    await expect(refused.nth(0)).to_contain_text("Цена")
    await expect(refused.nth(0)).to_contain_text("не больше двух знаков после запятой")
    await expect(refused.nth(1)).to_contain_text("4")
    await expect(refused.nth(1)).to_contain_text("Ставка НДС")
    await expect(page.locator("#products tbody tr")).to_have_count(1)  # nothing imported

    await upload(page, "catalogue.csv", RIGHT)
    await expect(result).to_contain_text("строк 3, создано 2, обновлено 1")
    await expect(result).to_contain_text("Не загружены столбцы: Склад")
    rows = page.locator("#products tbody tr")
    await expect(rows).to_have_count(3)
    chair = rows.filter(has_text="CH-1")
    await expect(chair).to_contain_text("Кресло офисное")
    await expect(chair).to_contain_text(rub("13 900,00"))
    await expect(chair).to_contain_text("20%")
    assembly = rows.filter(has_text="SRV-1")
    await expect(assembly).to_contain_text("Услуга")
    await expect(assembly).to_contain_text("Без НДС")
    products = (await api(running, "GET", "/api/v1/products", "head"))["items"]
    assert {(p["sku"], p["price"], p["vat_rate"]) for p in products} == {
        ("CH-1", "13900.00", "20"),
        ("T-2", "18990.50", "20"),
        ("SRV-1", "2500.00", "none"),
    }

    await page.get_by_role("searchbox").fill("стол")
    await page.get_by_role("button", name="Найти").click()
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("Стол письменный")
    await rows.get_by_role("link", name="Стол письменный").click()
    await page.get_by_label("Цена, ₽").fill("19 500,00")
    await shoot(page, screenshots, "product-1366")
    await page.get_by_label("Цена включает НДС").check()
    await page.get_by_role("button", name="Сохранить").click()
    await expect(page.get_by_role("status")).to_have_text("Сохранено.")
    await expect(rows).to_contain_text(rub("19 500,00"))
    await expect(rows).to_contain_text("с НДС")

    await page.goto("/catalogue")
    await page.get_by_label("Название нового прайс-листа").fill("Оптовый")
    await page.get_by_role("button", name="Добавить прайс-лист").click()
    await expect(page.get_by_role("heading", name="Прайс-лист «Оптовый»")).to_be_visible()
    await page.get_by_label("Цена «Кресло офисное» в прайс-листе").fill("12 000")
    await page.get_by_role("button", name="Сохранить прайс-лист").click()
    await expect(page.get_by_role("status")).to_have_text("Сохранено.")
    chair_price = page.get_by_label("Цена «Кресло офисное» в прайс-листе")
    await expect(chair_price).to_have_value("12000,00")
    await shoot(page, screenshots, "price-list-1366")
    [price_list] = (await api(running, "GET", "/api/v1/price-lists", "head"))["items"]
    listed = await api(running, "GET", f"/api/v1/price-lists/{price_list['id']}", "head")
    assert [i["price"] for i in listed["items"]] == ["12000.00"]

    await page.goto("/catalogue")
    await shoot(page, screenshots, "catalogue-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "catalogue-360")
    await context.close()

    manager = await signed_in(browser, running, "ivanova", viewport=WIDE)
    read_only = await manager.new_page()
    await read_only.goto("/catalogue")
    await expect(read_only.locator("#products tbody tr")).to_have_count(3)
    await expect(read_only.locator("#import")).to_have_count(0)
    await expect(read_only.get_by_role("link", name="Добавить товар")).to_have_count(0)
    await manager.close()
