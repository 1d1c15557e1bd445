"""Отчёты in a real browser, on SQLite and PostgreSQL: both reports, the filters, 360 px."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from config import Settings
from tests.browser.test_kanban import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace import submit, two_leads
from tests.e2e.test_workplace_deals import WHOLESALE, api, deal_of, move

NO_DATA = "За выбранный период данных нет"


@pytest.fixture
def service_settings(write_config: Callable[[str], Settings]) -> Settings:
    """The wholesale pipeline."""
    return write_config(WHOLESALE)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and the head may sign in."""
    return {"ivanova": PASSWORD, "head": PASSWORD}


async def some_sales(running: Running) -> None:
    """Two deals (ivanova's won for 1 250 000 ₽, petrov's open) and a junk lead."""
    held = await two_leads(running)
    won = await deal_of(running, held["ivanova"])
    await deal_of(running, held["petrov"])
    planned = {"task_title": "Позвонить", "task_due": "2099-01-01"}
    for stage, extra in (("proposal", planned), ("contract", {"amount": "1250000"}), ("won", {})):
        moved = await move(running, won, "ivanova", stage=stage, **extra)
        assert moved["ok"], moved["message"]
    junk = await submit(running, name="Спамер", phone="+79160000099", comment="реклама")
    reason = next(iter(running.services.sales.junk_reasons))
    await api(
        running, "POST", f"/api/v1/leads/{junk['id']}/junk", junk["assignee"], {"reason": reason}
    )


def tile(page: Page, section: str, name: str) -> object:
    """The value of a totals tile of a report section."""
    return page.locator(f"#{section} .report-totals div").filter(has_text=name).locator("dd")


async def test_both_reports_with_filters(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    await some_sales(running)
    context = await signed_in(browser, running, "head", viewport=WIDE)
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_role("link", name="Отчёты").click()
    await expect(page.locator("h1")).to_have_text("Отчёты")
    await page.locator('select[name="pipeline"]').select_option(label="Оптовые продажи")
    funnel = page.locator("#report-funnel")
    await expect(funnel.locator("h2")).to_have_text("Воронка продаж: Оптовые продажи")
    await expect(tile(page, "report-funnel", "Сделок")).to_have_text("2")
    await expect(tile(page, "report-funnel", "Выиграно")).to_have_text("1")
    await expect(tile(page, "report-funnel", "Сумма выигранных")).to_have_text(
        "1\u00a0250\u00a0000\u00a0₽"
    )
    await expect(
        page.get_by_role("img", name="Воронка «Оптовые продажи»: дошли до этапа")
    ).to_be_visible()
    await expect(funnel.get_by_role("img", name="конверсия", exact=False)).to_be_visible()
    quality = page.locator("#report-quality")
    await expect(
        quality.get_by_role("img", name="Качество заявок по каналам и формам")
    ).to_be_visible()
    await expect(quality.locator("tbody th").first).to_have_text("Форма на сайте · Сайт")
    assert "pipeline=wholesale" in page.url  # htmx keeps the address in step with the filters
    await shoot(page, screenshots, "reports")

    await page.locator('select[name="manager"]').select_option(label="Анна Иванова")
    await expect(page.locator(".report-period")).to_contain_text("менеджер: Анна Иванова")
    await expect(tile(page, "report-funnel", "Сделок")).to_have_text("1")

    await page.get_by_role("link", name="Прошлый месяц").click()
    await expect(funnel.get_by_text(NO_DATA)).to_be_visible()
    await expect(quality.get_by_text(NO_DATA)).to_be_visible()
    await expect(page.locator('select[name="manager"]')).to_have_value(
        "ivanova"
    )  # the link kept it

    await page.goto("/reports?from=31.02.2026")
    await expect(page.get_by_role("alert")).to_contain_text("не распознана")
    await context.close()


async def test_a_manager_on_a_phone(browser: Browser, running: Running, screenshots: Path) -> None:
    await some_sales(running)
    context = await signed_in(browser, running, "ivanova", viewport=NARROW)
    page = await context.new_page()
    await page.goto("/reports?pipeline=wholesale")
    await expect(page.locator('select[name="manager"]')).to_have_count(0)
    await expect(tile(page, "report-funnel", "Сделок")).to_have_text("1")
    await expect(tile(page, "report-funnel", "Выиграно")).to_have_text("1")
    await expect(page.locator("#chart-funnel svg")).to_be_visible()
    # Nothing sticks out sideways: the tables scroll inside their own box.
    await shoot(page, screenshots, "reports-narrow")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"the page is {width}px wide at 360px"
    await shoot(page, screenshots, "reports-narrow")
    await context.close()
