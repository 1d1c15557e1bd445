"""Команда in a real browser: the head opens the panel from the menu and reads each
manager's load and duty; a manager has no such menu item and is refused the page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from config.settings import AbsenceSettings
from intake.clock import utcnow
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_workplace_team import seed
from workplace.auth.service import set_password


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, settings: Any, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service on each database, petrov on leave today; everyone may sign in."""
    now = utcnow()
    leave = AbsenceSettings(now - timedelta(days=1), now + timedelta(days=1), "отпуск")
    managers = tuple(
        replace(m, absences=(leave,)) if m.login == "petrov" else m for m in settings.managers
    )
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(replace(settings, managers=managers), storage) as service,
    ):
        for login in ("head", "ivanova"):
            await set_password(storage, login, PASSWORD, utcnow())
        yield service


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
