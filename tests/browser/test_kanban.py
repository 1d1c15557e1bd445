"""Сделки in a real browser, on SQLite and PostgreSQL: drag deals across stages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from config import Settings
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace import two_leads
from tests.e2e.test_workplace_deals import WHOLESALE, deal_of

PASSWORD = "пароль-для-канбана"


@pytest.fixture
def service_settings(write_config: Callable[[str], Settings]) -> Settings:
    """The wholesale pipeline (strict order, a required amount)."""
    return write_config(WHOLESALE)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and the head may sign in."""
    return {"ivanova": PASSWORD, "head": PASSWORD}


async def signed_in(
    browser: Browser, running: Running, login: str, viewport: dict[str, int]
) -> BrowserContext:
    """A browser context signed in through the form (a session cookie and its CSRF token)."""
    context = await browser.new_context(
        base_url=str(running.client.make_url("/")),
        viewport=viewport,  # type: ignore[arg-type]
        locale="ru-RU",
        timezone_id="Europe/Moscow",
    )
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("Логин").fill(login)
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    await page.close()
    return context


async def drag(page: Page, deal_id: int, stage: str) -> None:
    """Drag a card onto a column with real mouse events, in steps (as SortableJS needs)."""
    handle = page.locator(f"#deal-{deal_id} .small")
    target = page.locator(f'.deal-list[data-stage="{stage}"]')
    await target.scroll_into_view_if_needed()
    await handle.scroll_into_view_if_needed()
    start, end = await handle.bounding_box(), await target.bounding_box()
    assert start is not None and end is not None
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    to_x, to_y = end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 40)
    await page.mouse.move(x, y)
    await page.mouse.down()
    for step in range(1, 21):
        await page.mouse.move(x + (to_x - x) * step / 20, y + (to_y - y) * step / 20)
        await page.wait_for_timeout(15)
    await page.mouse.up()


def column(page: Page, stage: str, deal_id: int) -> object:
    """The card of a deal inside a stage's column."""
    return page.locator(f'.deal-list[data-stage="{stage}"] #deal-{deal_id}')


async def test_drag_deals_across_stages(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    other = await deal_of(running, held["petrov"])
    context = await signed_in(browser, running, "ivanova", viewport=WIDE)
    page = await context.new_page()
    await page.goto("/deals?pipeline=wholesale")
    await expect(page.locator("h1")).to_have_text("Сделки")
    await expect(page.locator(f"#deal-{other}")).to_have_count(0)
    qualification = page.locator('.deal-list[data-stage="qualification"]')
    await expect(qualification.locator(f"#deal-{deal_id}")).to_be_visible()

    await drag(page, deal_id, "proposal")
    notice = page.locator("#board-notice")
    await expect(notice).to_have_text("Сделка переведена на этап «Предложение».")
    proposal = page.locator('.deal-list[data-stage="proposal"]')
    await expect(proposal.locator(f"#deal-{deal_id}")).to_be_visible()

    await drag(page, deal_id, "won")  # strict order: the contract comes first
    await expect(notice).to_have_text("Этапы идут по порядку: сначала «Договор».")
    await expect(proposal.locator(f"#deal-{deal_id}")).to_be_visible()
    await page.reload()
    await expect(proposal.locator(f"#deal-{deal_id}")).to_be_visible()

    await drag(page, deal_id, "contract")  # the contract needs an amount: fill it in
    await expect(notice).to_contain_text("заполните: Сумма")
    await expect(proposal.locator(f"#deal-{deal_id}")).to_be_visible()
    form = page.locator("#move-form")
    await expect(form).to_be_visible()
    await shoot(page, screenshots, "kanban-fill-1366")
    await form.locator('input[name="amount"]').fill("150000")
    await form.get_by_role("button", name="Повторить").click()
    contract = page.locator('.deal-list[data-stage="contract"]')
    await expect(contract.locator(f"#deal-{deal_id}")).to_be_visible()
    await expect(form).to_be_hidden()
    contract_column = page.locator('.board-col[data-stage="contract"]')
    await expect(contract_column.locator(".col-sum")).to_have_text("150\u00a0000\u00a0₽")

    await drag(page, deal_id, "lost")  # a lost deal needs a reason, then the head's word
    await expect(notice).to_have_text("Укажите причину, по которой сделка провалена.")
    await expect(contract.locator(f"#deal-{deal_id}")).to_be_visible()
    await form.locator('select[name="reason"]').select_option("Дорого")
    await form.get_by_role("button", name="Повторить").click()
    await expect(notice).to_have_text("Запрос на закрытие сделки отправлен руководителю.")
    await expect(contract.locator(f"#deal-{deal_id} .pending")).to_contain_text("Дорого")
    await shoot(page, screenshots, "kanban-1366")

    head = await signed_in(browser, running, "head", viewport=WIDE)
    head_page = await head.new_page()
    await head_page.goto("/deals?pipeline=wholesale")
    pending = head_page.locator(f"#deal-{deal_id} .pending")
    await expect(pending).to_contain_text("Ждёт закрытия: Дорого")
    await pending.get_by_role("button", name="Отклонить").click()
    await expect(head_page.locator(f"#deal-{deal_id}")).to_be_visible()
    await expect(head_page.locator(f"#deal-{deal_id} .pending")).to_have_count(0)
    await head.close()

    await page.locator(f"#deal-{deal_id} a").click()
    await expect(page.locator("h1")).to_contain_text("Клиент")
    await expect(page.locator(".stage-path [aria-current=step]")).to_contain_text("Договор")
    await shoot(page, screenshots, "deal-card-1366")
    await context.close()

    narrow = await signed_in(browser, running, "head", viewport=NARROW)
    page = await narrow.new_page()
    await page.goto("/deals?pipeline=wholesale")
    await expect(page.locator(f"#deal-{other}")).to_be_visible()
    await shoot(page, screenshots, "kanban-360")
    await page.goto(f"/deals/{other}")
    await expect(page.locator(".stage-path [aria-current=step]")).to_contain_text("Квалификация")
    await shoot(page, screenshots, "deal-card-360")
    await narrow.close()
