"""Настройки → Воронки in a real browser, on SQLite and PostgreSQL: the head adds a coloured
stage and finds it on the board; a stage holding a deal is emptied, then deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace import two_leads
from tests.e2e.test_workplace_deals import deal_of


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head may sign in."""
    return {"head": PASSWORD}


async def test_the_head_adds_a_stage_and_sees_it_on_the_board(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"], "main")
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_role("navigation").get_by_role("link", name="Настройки").click()
    await (
        page.get_by_role("navigation", name="Настройки")
        .get_by_role("link", name="Воронки")
        .click()
    )
    await expect(page.get_by_role("heading", name="Воронки", exact=True)).to_be_visible()
    pipeline = page.locator("#pipeline-main")
    await expect(pipeline.locator(".stage-row")).to_have_count(3)
    await expect(pipeline.locator('.stage-row[data-stage="opening"]')).to_contain_text(
        "1 сделка на этапе"
    )

    await pipeline.get_by_label("Название", exact=True).fill("Переговоры")
    await pipeline.locator('input[name="new-color"]').fill("#10b981")
    await pipeline.get_by_role("button", name="Добавить этап").click()
    await expect(page.get_by_role("status")).to_contain_text("Воронка сохранена")
    talks = page.locator('#pipeline-main .stage-row:has(input[value="Переговоры"])')
    await expect(talks).to_have_count(1)
    await expect(page.locator("#pipeline-main .stage-row").nth(1)).to_have_attribute(
        "style", "--stage-color: #10b981"
    )
    await shoot(page, screenshots, "settings-pipelines")

    await page.get_by_role("link", name="Открыть канбан").click()
    column = page.locator('.board-col[data-name="Переговоры"]')
    await expect(column).to_be_visible()
    stripe = await column.evaluate("el => getComputedStyle(el).borderTopColor")
    assert stripe == "rgb(16, 185, 129)"
    await expect(page.locator(".board-col").nth(1)).to_have_attribute("data-name", "Переговоры")
    await expect(page.locator(f"#deal-{deal_id}")).to_be_visible()
    await shoot(page, screenshots, "settings-pipelines-board")

    # The first stage still holds the deal: deleting it is refused with the offer to move.
    await page.goto("/settings/pipelines")
    await page.get_by_role("button", name="Удалить этап 1").click()
    opening = page.locator('#pipeline-main .stage-row[data-stage="opening"]')
    await expect(opening.locator(".stage-refusal")).to_contain_text("1 сделка")
    await opening.get_by_label("Перенести сделки на").select_option(label="Переговоры")
    await shoot(page, screenshots, "settings-pipelines-refused")
    await opening.get_by_role("button", name="Перенести").click()
    await expect(page.get_by_role("status")).to_contain_text("Перенесено: 1 сделка")
    await page.get_by_role("button", name="Удалить этап 1").click()
    await expect(page.get_by_role("status")).to_contain_text("Воронка сохранена")
    await expect(page.locator('#pipeline-main .stage-row[data-stage="opening"]')).to_have_count(0)
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "settings-pipelines-narrow")
    await page.set_viewport_size(WIDE)
    await context.close()


async def test_the_head_sets_the_money_flags_of_a_pipeline(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/settings/pipelines")
    pipeline = page.locator("#pipeline-main")
    await pipeline.get_by_label("Название", exact=True).fill("Оплачено")
    await pipeline.get_by_role("button", name="Добавить этап").click()
    await expect(page.get_by_role("status")).to_contain_text("Воронка сохранена")
    opening = pipeline.locator('.stage-row[data-stage="opening"]')
    paid = pipeline.locator(".stage-row:has(input[value='Оплачено'])")
    # Only open stages offer the flags.
    await expect(pipeline.get_by_label("Сюда при полной оплате")).to_have_count(2)

    await opening.get_by_label("Сюда при выставлении счёта").check()
    await opening.get_by_label("Сюда при полной оплате").check()
    await paid.get_by_label("Сюда при полной оплате").check()
    await pipeline.get_by_label("Успешна только после отгрузки").check()
    await pipeline.get_by_role("button", name="Сохранить воронку").click()
    refusal = pipeline.get_by_role("alert")
    await expect(refusal).to_contain_text(
        "Отметку «Сюда при полной оплате» может нести только один этап воронки."
    )
    await shoot(page, screenshots, "settings-pipelines-money-refused")
    assert running.services.sales.pipelines["main"].flagged_stage("on_payment") is None

    # What was typed stays on the refused form: one box unticked, and it saves.
    await opening.get_by_label("Сюда при полной оплате").uncheck()
    await pipeline.get_by_label("Отгрузка и акты до оплаты").check()
    await pipeline.get_by_role("button", name="Сохранить воронку").click()
    await expect(page.get_by_role("status")).to_contain_text("Воронка сохранена")
    await expect(opening.get_by_label("Сюда при выставлении счёта")).to_be_checked()
    await expect(paid.get_by_label("Сюда при полной оплате")).to_be_checked()
    await expect(pipeline.get_by_label("Успешна только после отгрузки")).to_be_checked()
    main = running.services.sales.pipelines["main"]
    assert (main.won_requires_shipment, main.ship_before_payment) == (True, True)
    flagged = [main.flagged_stage(f) for f in ("on_invoice", "on_payment")]
    assert [s.key if s else None for s in flagged] == [
        "opening",
        await paid.get_attribute("data-stage"),
    ]
    await shoot(page, screenshots, "settings-pipelines-money")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "settings-pipelines-money-narrow")
    await page.set_viewport_size(WIDE)

    # Unticked, the options go away again.
    await pipeline.get_by_label("Успешна только после отгрузки").uncheck()
    await paid.get_by_label("Сюда при полной оплате").uncheck()
    await pipeline.get_by_role("button", name="Сохранить воронку").click()
    await expect(page.get_by_role("status")).to_contain_text("Воронка сохранена")
    main = running.services.sales.pipelines["main"]
    assert (main.won_requires_shipment, main.flagged_stage("on_payment")) == (False, None)
    await context.close()
