"""Настройки → Очереди in a real browser: the head changes a queue's members and sees who
gets the next lead change; a manager is refused the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_sales_e2e import submit_lead
from tests.e2e.test_settings_managers import PHONES


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head and ivanova may sign in."""
    return {"head": PASSWORD, "ivanova": PASSWORD}


async def test_the_head_edits_a_queues_members_and_sees_the_preview_change(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_role("navigation").get_by_role("link", name="Настройки").click()
    await page.locator(".settings-tabs").get_by_role("link", name="Очереди").click()
    await expect(page.get_by_role("heading", name="Очереди", exact=True)).to_be_visible()
    main = page.locator("#queue-main")
    await expect(main.locator(".q-preview .q-who")).to_have_text("Анна Иванова")
    site = page.locator("tr.q-route", has_text="Форма «Сайт»")
    await expect(site.locator(".q-who")).to_have_text("Анна Иванова")
    await shoot(page, screenshots, "queues")

    await main.get_by_text("Изменить очередь").click()
    await main.get_by_role("checkbox", name="Анна Иванова").uncheck()
    await main.get_by_label("Вес: Пётр Петров").fill("3")
    await main.get_by_label("Лимит в день: Пётр Петров").fill("2")
    await main.get_by_label("Резерв").select_option("head")
    await main.get_by_label("Время на взятие").fill("20")
    await shoot(page, screenshots, "queues-edit")
    await main.get_by_role("button", name="Сохранить").click()

    await expect(page.get_by_role("status")).to_contain_text("Очередь «Входящие» сохранена")
    await expect(main.locator(".q-preview .q-who")).to_have_text("Пётр Петров")
    await expect(main.locator(".q-preview .q-reason")).to_contain_text(
        "по очереди: Пётр Петров на смене, загрузка 1/2"
    )
    await expect(main.locator('tr.q-member[data-login="ivanova"]')).to_have_count(0)
    await expect(site.locator(".q-who")).to_have_text("Пётр Петров")
    await expect(main.locator(".q-facts")).to_contain_text("20 мин")
    lead = await submit_lead(running, "Клиент", next(PHONES))
    assert lead["assignee"] == "petrov"
    await submit_lead(running, "Клиент 2", next(PHONES))
    await page.reload()
    # petrov's 2 a day are used up: the head takes the next one.
    await expect(main.locator(".q-preview .q-who")).to_have_text("Ольга Руководитель")
    await expect(main.locator('tr.q-member[data-login="petrov"]')).to_contain_text(
        "лимит на сегодня исчерпан"
    )
    await shoot(page, screenshots, "queues-after")

    # A stale save (someone changed the queue meanwhile) is refused, saying so.
    await main.get_by_text("Изменить очередь").click()
    await main.get_by_label("Вес: Пётр Петров").fill("5")
    page2 = await context.new_page()
    await page2.goto("/settings/queues")
    second = page2.locator("#queue-main")
    await second.get_by_text("Изменить очередь").click()
    await second.get_by_label("Время на взятие").fill("30")
    await second.get_by_role("button", name="Сохранить").click()
    await expect(page2.get_by_role("status")).to_contain_text("сохранена")
    await main.get_by_role("button", name="Сохранить").click()
    await expect(main.locator(".q-error")).to_contain_text("изменено другим пользователем")
    await shoot(page, screenshots, "queues-stale")
    await page.set_viewport_size(NARROW)
    await page.goto("/settings/queues")
    await main.get_by_text("Изменить очередь").click()
    await expect(main.get_by_role("button", name="Сохранить")).to_be_visible()
    await shoot(page, screenshots, "queues-narrow")
    await page.set_viewport_size(WIDE)
    await context.close()


async def test_a_manager_is_refused_the_queues_page(browser: Browser, running: Running) -> None:
    context = await signed_in(browser, running, "ivanova")
    page = await context.new_page()
    response = await page.goto("/settings/queues")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", name="Недостаточно прав")).to_be_visible()
    await context.close()
