"""Tasks from the lead card to Мои задачи, and Конвертировать, in a real browser, signed in
through the form (a session cookie: every form and htmx request must carry the CSRF token)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, expect

from intake.clock import utcnow
from tests.browser.test_triage import NARROW, WIDE, shoot, submit
from tests.e2e.conftest import Running
from tests.e2e.test_workplace_tasks import api, deals, task

MOSCOW = ZoneInfo("Europe/Moscow")
PASSWORD = "пароль-для-задач-1"


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and petrov may sign in."""
    return {"ivanova": PASSWORD, "petrov": PASSWORD}


async def signed_in(browser: Browser, running: Running, login: str) -> BrowserContext:
    """A browser context signed in through the sign-in form."""
    context = await browser.new_context(
        base_url=str(running.client.make_url("/")),
        viewport=WIDE,
        locale="ru-RU",
        timezone_id="Europe/Moscow",
    )
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("Логин").fill(login)
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await expect(page.get_by_role("heading", name="Входящие")).to_be_visible()
    await page.close()
    return context


async def lead_of(running: Running, login: str, **fields: str) -> dict[str, Any]:
    """Forms until one lead goes to `login` (the queue alternates); that lead."""
    for n in range(6):
        lead = await submit(running, **{**fields, "phone": f"+7916555000{n}"})
        if lead["assignee"] == login:
            return lead
    raise AssertionError(f"no lead went to {login}")


async def test_a_task_from_the_card_is_closed_in_my_tasks(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    lead = await lead_of(running, "ivanova", name="Мария Соколова", comment="Нужен счёт")
    other = await lead_of(running, "ivanova", name="Олег Смирнов", comment="Доставка?")
    now = utcnow()
    await task(
        running,
        other["id"],
        "ivanova",
        "Отправить договор",
        (now - timedelta(hours=3)).isoformat(),
    )
    await task(
        running,
        other["id"],
        "ivanova",
        "Встреча в офисе клиента",
        (now + timedelta(days=2)).isoformat(),
    )
    context = await signed_in(browser, running, "ivanova")
    page = await context.new_page()
    await page.goto(f"/leads/{lead['id']}")
    card = page.locator("#card")
    await card.locator("textarea[name=text]").fill("Клиент ждёт счёт на 20 мест")
    await card.get_by_role("button", name="Добавить заметку").click()
    await expect(card).to_contain_text("Заметка добавлена.")
    await expect(card.locator(".timeline")).to_contain_text("Клиент ждёт счёт на 20 мест")

    due = (now + timedelta(hours=1)).astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")
    await card.locator("summary", has_text="Новая задача").click()
    await card.get_by_label("Что сделать").fill("Перезвонить Марии")
    await card.get_by_label("Срок").fill(due)
    await card.get_by_role("button", name="Добавить задачу").click()
    await expect(card).to_contain_text("Задача добавлена.")
    await expect(card.locator(".timeline")).to_contain_text("Перезвонить Марии")
    await card.locator("summary", has_text="Новая задача").click()
    await shoot(page, screenshots, "lead-work-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "lead-work-360")
    await page.set_viewport_size(WIDE)
    [planned] = (await running.lead(lead["id"], "ivanova"))["tasks"]
    assert planned["due_at"].startswith((now + timedelta(hours=1)).strftime("%Y-%m-%dT%H"))

    await page.get_by_role("link", name="Мои задачи").click()
    await expect(page.get_by_role("heading", name="Мои задачи")).to_be_visible()
    await expect(page.locator("#tasks-overdue")).to_contain_text("Отправить договор")
    await expect(page.locator("#tasks-upcoming")).to_contain_text("Встреча в офисе клиента")
    row = page.locator(f"#task-{planned['id']}")
    await expect(row).to_contain_text("Перезвонить Марии")
    await expect(row.get_by_role("link", name=f"Заявка №{lead['id']}")).to_be_visible()
    await shoot(page, screenshots, "tasks-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "tasks-360")
    await page.set_viewport_size(WIDE)

    await row.get_by_role("button", name="Выполнено").click()
    await expect(row).to_contain_text("Задача выполнена.")
    await expect(row.get_by_role("button", name="Выполнено")).to_have_count(0)
    [closed] = (await running.lead(lead["id"], "ivanova"))["tasks"]
    assert closed["done"] is True
    await page.reload()
    await expect(page.locator(f"#task-{planned['id']}")).to_have_count(0)
    await context.close()


async def test_convert_a_lead_through_the_form(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    lead = await lead_of(
        running, "petrov", name="Ирина Волкова", company="ООО Ромашка", comment="20 лицензий"
    )
    context = await signed_in(browser, running, "petrov")
    page = await context.new_page()
    await page.goto("/")
    row = page.locator(f"#lead-{lead['id']}")
    await row.get_by_role("link", name="Конвертировать").click()
    form = page.locator("#convert form")
    await expect(form).to_be_visible()
    await form.locator("input[name=amount]").fill("сто тысяч")
    await form.locator("input[name=title]").fill("Лицензии для Ромашки")
    await form.get_by_role("button", name="Создать сделку").click()
    await expect(page.locator("#convert")).to_contain_text("Сумма: введите число")
    assert await deals(running) == []
    form = page.locator("#convert form")
    await expect(form.locator("input[name=title]")).to_have_value("Лицензии для Ромашки")
    await form.locator("input[name=amount]").fill("250 000")
    await shoot(page, screenshots, "convert-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "convert-360")
    await page.set_viewport_size(WIDE)
    await form.get_by_role("button", name="Создать сделку").click()
    await page.wait_for_url(re.compile(r"/deals/\d+$"))
    [deal] = await deals(running)
    assert page.url.endswith(f"/deals/{deal['id']}")
    assert deal["amount"] == "250000.00" and deal["title"] == "Лицензии для Ромашки"
    shown = await api(running, "GET", f"/api/v1/leads/{lead['id']}", "petrov")
    assert shown["status"] == "converted" and shown["deal_id"] == deal["id"]
    await context.close()
