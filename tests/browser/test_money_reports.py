"""Отчёты → Деньги in a real browser, on SQLite and PostgreSQL: the head's revenue, receivables
with a link to the overdue invoice, the conversion funnel; a manager's own figures at 360 px."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from crm_core.invoices_model import Invoice, InvoiceStatus
from crm_core.model import Manager
from intake.clock import utcnow
from tests.browser.test_kanban import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.integration.test_invoices import deal_with_company, status
from tests.integration.test_money_reports import invoice, pay


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and the head may sign in."""
    return {"ivanova": PASSWORD, "head": PASSWORD}


NBSP, THIN = "\u00a0", "\u202f"


def rub(text: str) -> str:
    """`100 000,00 ₽` as the page writes it (narrow spaces between thousands)."""
    return text.replace(" ", THIN) + f"{NBSP}₽"


async def manager(running: Running, login: str) -> Manager:
    async with running.services.storage.reader() as uow:
        found = await uow.managers.get_by_login(login)
    assert found is not None
    return found


async def some_money(running: Running) -> Invoice:
    """Ivanova's 150 000,50 ₽ invoice paid 100 000 today, petrov's 20 000 ₽ one 55 days
    overdue, and ivanova's cancelled one; petrov's invoice is returned."""
    storage = running.services.storage
    ivanova, petrov = await manager(running, "ivanova"), await manager(running, "petrov")
    now = utcnow()
    today = now.astimezone(ZoneInfo("Europe/Moscow")).date()
    hers = await deal_with_company(storage, ivanova, 'ООО "Альфа"', "7707083893")
    his = await deal_with_company(storage, petrov, 'ООО "Бета"', "7728168971")
    paid = await invoice(storage, hers, ivanova, "150000.50", now)
    await pay(storage, paid, ivanova, "100000.00", today)
    cancelled = await invoice(storage, hers, ivanova, "999.00", now)
    await status(storage, cancelled.id, ivanova, InvoiceStatus.CANCELLED)
    return await invoice(storage, his, petrov, "20000.00", now - timedelta(days=60))


def tile(page: Page, section: str, name: str) -> object:
    """The value of a totals tile of a report section."""
    dt = page.locator("dt").filter(has_text=name)
    return page.locator(f"#{section} .report-totals div").filter(has=dt).locator("dd")


async def test_the_heads_money_reports(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    late = await some_money(running)
    context = await signed_in(browser, running, "head", viewport=WIDE)
    page = await context.new_page()
    await page.goto("/reports")
    await page.get_by_role("link", name="Деньги").click()
    await expect(page.get_by_role("link", name="Деньги")).to_have_attribute("aria-current", "page")
    await expect(tile(page, "report-revenue", "Получено")).to_have_text(rub("100 000,00"))
    await expect(page.locator("#revenue-managers tbody th")).to_have_text(["Анна Иванова"])
    await expect(page.get_by_role("img", name="Поступления по периодам")).to_be_visible()
    # 50 000,50 still due from ivanova's invoice, 20 000 from petrov's; the cancelled one
    # counts nowhere.
    await expect(tile(page, "report-receivables", "К оплате")).to_have_text(rub("70 000,50"))
    await expect(tile(page, "report-receivables", "Из них просрочено")).to_have_text(
        rub("20 000,00")
    )
    link = page.locator("#receivables-late").get_by_role("link", name=late.number)
    await expect(link).to_have_attribute("href", f"/invoices/{late.id}")
    await expect(page.locator("#receivables-late tbody td").nth(3)).to_have_text(f"55{NBSP}дн")
    await expect(tile(page, "report-conversion", "Счёт → оплата")).to_have_text(f"0{NBSP}%")
    await expect(tile(page, "report-conversion", "Оплачено частично")).to_have_text("1")
    await shoot(page, screenshots, "money-reports")

    await page.locator('select[name="manager"]').select_option(label="Пётр Петров")
    await expect(page.locator(".report-period")).to_contain_text("менеджер: Пётр Петров")
    await expect(page.locator("#report-revenue")).to_contain_text("За выбранный период оплат нет")
    await expect(tile(page, "report-receivables", "К оплате")).to_have_text(rub("20 000,00"))
    assert "manager=petrov" in page.url

    await page.goto("/reports/money?group=year")
    await expect(page.get_by_role("alert")).to_contain_text("по дням, неделям или месяцам")
    await context.close()


async def test_a_manager_sees_her_own_money_on_a_phone(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    await some_money(running)
    context = await signed_in(browser, running, "ivanova", viewport=NARROW)
    page = await context.new_page()
    await page.goto("/reports/money?group=day")
    await expect(page.locator('select[name="manager"]')).to_have_count(0)
    await expect(tile(page, "report-revenue", "Получено")).to_have_text(rub("100 000,00"))
    await expect(tile(page, "report-receivables", "К оплате")).to_have_text(rub("50 000,50"))
    await expect(page.locator("#receivables-late")).to_have_count(0)
    await expect(page.locator("#chart-revenue svg")).to_be_visible()
    await shoot(page, screenshots, "money-reports-narrow")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"the page is {width}px wide at 360px"
    await context.close()
