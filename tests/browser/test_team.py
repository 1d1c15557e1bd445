"""Команда in a real browser: the head opens the panel from the menu and reads each
manager's load and duty; a manager has no such menu item and is refused the page."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from config import Settings
from config.settings import AbsenceSettings
from intake.clock import utcnow
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace_team import seed


@pytest.fixture
def service_settings(settings: Settings) -> Settings:
    """petrov on leave today."""
    now = utcnow()
    leave = AbsenceSettings(now - timedelta(days=1), now + timedelta(days=1), "отпуск")
    managers = tuple(
        replace(m, absences=(leave,)) if m.login == "petrov" else m for m in settings.managers
    )
    return replace(settings, managers=managers)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head and ivanova may sign in."""
    return {"head": PASSWORD, "ivanova": PASSWORD}


async def test_the_head_reads_the_team_panel(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    await seed(running)
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_role("navigation").get_by_role("link", name="Команда").click()
    await expect(page.get_by_role("heading", name="Команда")).to_be_visible()
    ivanova = page.locator('tr[data-login="ivanova"]')
    petrov = page.locator('tr[data-login="petrov"]')
    await expect(ivanova.locator(".team-leads")).to_contain_text("новых 1, в работе 0")
    await expect(ivanova.locator(".team-overdue")).to_have_text("1")
    await expect(ivanova.locator(".team-deals")).to_contain_text("150\u00a0000,50\u00a0₽")
    await expect(ivanova.locator(".team-duty")).to_have_text("на смене")
    await expect(petrov.locator(".team-duty")).to_have_text("отсутствует")
    await expect(petrov.locator(".team-take")).to_have_text("—")
    await shoot(page, screenshots, "team")
    await page.set_viewport_size(NARROW)
    await expect(ivanova.locator(".team-duty")).to_be_visible()
    await shoot(page, screenshots, "team-narrow")
    await page.set_viewport_size(WIDE)
    await context.close()


async def test_a_manager_has_no_team_panel(browser: Browser, running: Running) -> None:
    context = await signed_in(browser, running, "ivanova")
    page = await context.new_page()
    await page.goto("/")
    menu = page.get_by_role("navigation")
    await expect(menu.get_by_role("link", name="Клиенты")).to_be_visible()
    await expect(menu.get_by_role("link", name="Команда")).to_have_count(0)
    response = await page.goto("/team")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", name="Недостаточно прав")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("только руководителю")
    await context.close()
