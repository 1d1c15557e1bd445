"""Настройки → Менеджеры in a real browser, signed in through the form (a session cookie:
every form carries the CSRF token): the head adds a manager, who opens the invite link, sets
a password and signs in; the head marks a vacation and sees it in the calendar and the list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from intake.clock import utcnow
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, accept_dialogs, shoot
from tests.e2e.conftest import Running

MOSCOW = ZoneInfo("Europe/Moscow")
NEW_PASSWORD = "пароль-сидорова-1"


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head and ivanova may sign in."""
    return {"head": PASSWORD, "ivanova": PASSWORD}


async def test_the_head_adds_a_manager_who_joins_by_the_invite_link(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/")
    await (
        page.get_by_role("navigation", name="Разделы")
        .get_by_role("link", name="Настройки")
        .click()
    )
    await expect(page.get_by_role("heading", name="Менеджеры", exact=True)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Настройки")
    await expect(tabs.get_by_role("link", name="Менеджеры")).to_have_attribute(
        "aria-current", "page"
    )
    rows = page.locator("#managers tbody tr")
    await expect(rows).to_have_count(3)
    await shoot(page, screenshots, "settings-managers")

    form = page.locator("section.add-manager")
    await form.get_by_label("Логин").fill("Сидоров")
    await form.get_by_label("Имя").fill("Сидор Сидоров")
    await form.get_by_label("E-mail").fill("sidorov@example.ru")
    await form.get_by_label("Часовой пояс").fill("Asia/Yekaterinburg")
    await form.get_by_label("По графику").check()
    await form.get_by_role("button", name="Добавить менеджера").click()
    # Refused by the checker: its reason in Russian next to the field, what was typed kept.
    await expect(page.locator("#error-login")).to_contain_text("Только строчные латинские буквы")
    await expect(form.get_by_label("Имя")).to_have_value("Сидор Сидоров")
    await shoot(page, screenshots, "settings-managers-refused")

    await form.get_by_label("Логин").fill("sidorov")
    await form.get_by_label("Сб: часы работы").fill("10:00-14:00")
    await form.get_by_label("Ссылка-приглашение").check()
    await form.get_by_role("button", name="Добавить менеджера").click()
    await expect(page.get_by_role("status")).to_have_text("Менеджер «Сидор Сидоров» добавлен.")
    link = await page.locator("[data-secret]").inner_text()
    assert "/invite/" in link
    added = page.locator('tr[data-login="sidorov"]')
    await expect(added.locator(".manager-access")).to_contain_text("приглашён")
    await expect(added.locator(".manager-state")).to_have_text("активен")
    await shoot(page, screenshots, "settings-managers-added")
    await page.reload()
    await expect(page.locator("[data-secret]")).to_have_count(0)  # shown once

    # The new manager, in a browser of their own, opens the link and sets a password.
    newcomer = await browser.new_context(
        base_url=str(running.client.make_url("/")), viewport=NARROW, locale="ru-RU"
    )
    invite = await newcomer.new_page()
    await invite.goto(urlsplit(link).path)
    await expect(invite.get_by_role("heading", name="Добро пожаловать")).to_be_visible()
    await invite.get_by_label("Новый пароль").fill(NEW_PASSWORD)
    await invite.get_by_label("Пароль ещё раз").fill(NEW_PASSWORD)
    await shoot(invite, screenshots, "invite")
    await invite.get_by_role("button", name="Сохранить пароль").click()
    await expect(invite.get_by_role("heading", name="Пароль задан")).to_be_visible()
    await invite.get_by_role("link", name="Войти").click()
    await invite.get_by_label("Логин").fill("sidorov")
    await invite.get_by_label("Пароль").fill(NEW_PASSWORD)
    await invite.get_by_role("button", name="Войти").click()
    await expect(invite.get_by_role("heading", name="Входящие")).to_be_visible()
    response = await invite.goto(urlsplit(link).path)
    assert response is not None and response.status == 410
    await expect(invite.get_by_role("alert")).to_contain_text("уже задан")
    await newcomer.close()

    await page.reload()
    await expect(added.locator(".manager-access")).to_have_text("пароль задан")
    await context.close()


async def test_the_head_marks_a_vacation_in_the_calendar(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/settings/managers")
    await page.locator('tr[data-login="petrov"]').get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Пётр Петров")).to_be_visible()
    today = utcnow().astimezone(MOSCOW).date()
    last = today + timedelta(days=6)
    absences = page.locator("#absences")
    await absences.get_by_label("Причина").select_option("vacation")
    await absences.get_by_label("С", exact=True).fill(today.isoformat())
    await absences.get_by_label("По (включительно)").fill(last.isoformat())
    await absences.get_by_label("Комментарий").fill("Сочи")
    await absences.get_by_role("button", name="Добавить отсутствие").click()
    await expect(page.get_by_role("status")).to_have_text("Отсутствие добавлено.")
    await expect(page.locator(".manager-badges")).to_contain_text("отсутствует")
    marked = page.locator(".calendar td.absent")
    await expect(marked.first).to_have_attribute("title", "Отпуск: Сочи")
    for day in (today, last):
        await expect(page.locator(f'td[data-day="{day.isoformat()}"]')).to_have_class(
            "absent" + (" today" if day == today else "")
        )
    await expect(page.locator(".absence-list li.absence")).to_have_count(1)
    await expect(page.locator(".absence-list")).to_contain_text(
        f"{today:%d.%m.%Y} — {last:%d.%m.%Y} Отпуск: Сочи"
    )
    await page.locator("#absences").scroll_into_view_if_needed()
    await shoot(page, screenshots, "settings-manager-vacation")

    await page.goto("/settings/managers")
    await expect(page.locator('tr[data-login="petrov"] .manager-state')).to_have_text(
        "отсутствует"
    )
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "settings-managers-narrow")
    await page.set_viewport_size(WIDE)

    # Removed again: the days are working days.
    await page.goto("/settings/managers/petrov")
    accept_dialogs(page)
    await page.locator(".absence-list").get_by_role("button", name="Удалить").click()
    await expect(page.get_by_role("status")).to_have_text("Отсутствие удалено.")
    await expect(page.locator(".calendar td.absent")).to_have_count(0)
    await context.close()


async def test_a_manager_gets_no_settings(browser: Browser, running: Running) -> None:
    context = await signed_in(browser, running, "ivanova")
    page = await context.new_page()
    response = await page.goto("/settings/managers")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", name="Недостаточно прав")).to_be_visible()
    await context.close()


async def test_a_refresh_after_a_token_or_an_invite_issues_nothing_new(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/settings/managers/petrov")
    tokens = page.locator("#tokens")
    before = await tokens.locator("tr.token").count()
    await tokens.get_by_label("Название токена").fill("интеграция с 1С")
    await tokens.get_by_role("button", name="Выпустить токен").click()
    await expect(page.get_by_role("status")).to_have_text("Токен выпущен.")
    token = await page.locator("[data-secret]").inner_text()
    assert len(token) >= 20
    # The browser shows the page it was redirected to (a GET), not the post's answer.
    assert page.url.endswith("/settings/managers/petrov")
    await expect(tokens.locator("tr.token")).to_have_count(before + 1)
    await shoot(page, screenshots, "settings-manager-token")

    await page.reload()
    await expect(page.locator("[data-secret]")).to_have_count(0)
    await expect(page.get_by_role("status")).to_have_count(0)
    await expect(tokens.locator("tr.token")).to_have_count(before + 1)  # no second token

    await page.locator("#access").get_by_role("button", name="Новая ссылка-приглашение").click()
    await expect(page.get_by_role("status")).to_have_text("Ссылка-приглашение создана.")
    link = await page.locator("[data-secret]").inner_text()
    assert "/invite/" in link
    await page.reload()
    await expect(page.locator("[data-secret]")).to_have_count(0)
    # The link shown is still the one that works: a refresh did not replace it.
    invitee = await browser.new_context(base_url=str(running.client.make_url("/")))
    invite = await invitee.new_page()
    response = await invite.goto(urlsplit(link).path)
    assert response is not None and response.status == 200
    await expect(invite.get_by_role("heading", name="Добро пожаловать")).to_be_visible()
    await invitee.close()
    await context.close()
