"""Signing in and out in a real browser (Debian's Chromium), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_triage import shoot
from tests.e2e.conftest import Running

PASSWORD = "демо-пароль-1"
DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova may sign in."""
    return {"ivanova": PASSWORD}


async def test_sign_in_through_the_form_then_sign_out(
    running: Running, browser: Browser, screenshots: Path
) -> None:
    base = str(running.client.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport=DESKTOP, locale="ru-RU")
    page = await context.new_page()
    await page.goto(f"{base}/account")
    await expect(page).to_have_url(f"{base}/login?next=/account")
    await expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    await shoot(page, screenshots, "login", full_page=False)

    await page.get_by_label("Логин").fill("ivanova")
    await page.get_by_label("Пароль").fill("не тот пароль")
    await page.get_by_role("button", name="Войти").click()
    await expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль")
    await shoot(page, screenshots, "login-error", full_page=False)

    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await expect(page).to_have_url(f"{base}/account")
    await expect(page.get_by_text("Анна Иванова")).to_be_visible()
    await shoot(page, screenshots, "signed-in", full_page=False)
    cookie = next(c for c in await context.cookies() if c["name"] == "leadintake_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    await page.get_by_role("button", name="Выйти").click()
    await expect(page).to_have_url(f"{base}/login")
    await page.goto(f"{base}/account")
    await expect(page).to_have_url(f"{base}/login?next=/account")
    await context.close()
    # The cookie the browser held opens nothing any more: the session ended on the server.
    async with running.client.get(
        "/account", cookies={"leadintake_session": cookie["value"]}, allow_redirects=False
    ) as r:
        assert r.status == 302


async def test_the_sign_in_form_fits_a_phone(
    running: Running, browser: Browser, screenshots: Path
) -> None:
    base = str(running.client.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport=PHONE, locale="ru-RU", is_mobile=True)
    page = await context.new_page()
    await page.goto(f"{base}/login")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await shoot(page, screenshots, "login-360", full_page=False)
    await page.get_by_label("Логин").fill("ivanova")
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await expect(page).to_have_url(f"{base}/")  # Входящие, the workplace's start page
    await expect(page.get_by_text("Анна Иванова")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await shoot(page, screenshots, "signed-in-360", full_page=False)
    # The menu's sign-out button carries the session's CSRF token.
    await page.get_by_role("button", name="Выйти").click()
    await expect(page).to_have_url(f"{base}/login")
    await page.goto(f"{base}/")
    await expect(page).to_have_url(f"{base}/login")
    await context.close()
