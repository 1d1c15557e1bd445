"""Настройки → Справочники in a real browser: the head adds a junk reason and a phone line."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head may sign in."""
    return {"head": PASSWORD}


async def test_the_head_adds_a_junk_reason_and_a_line(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.set_viewport_size(WIDE)
    await page.goto("/settings/queues")
    await page.locator(".settings-tabs").get_by_role("link", name="Справочники").click()
    await expect(page.get_by_role("heading", name="Справочники", exact=True)).to_be_visible()

    await page.get_by_label("Ключ новой причины").fill("too_far")
    await page.get_by_label("Название новой причины").fill("Далеко ехать")
    await page.get_by_role("button", name="Добавить причину").click()
    await expect(page.locator('#junk_reasons tr[data-key="too_far"]')).to_be_visible()
    assert running.services.sales.junk_reasons["too_far"] == "Далеко ехать"

    await page.get_by_label("Номер новой линии").fill("+7 (495) 765-43-21")
    await page.get_by_label("Источник новой линии").fill("site")
    await page.get_by_label("Очередь новой линии").select_option("main")
    await page.get_by_role("button", name="Добавить линию").click()
    await expect(page.locator('#lines tr[data-key="74957654321"]')).to_be_visible()
    await shoot(page, screenshots, "lists")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "lists-narrow")
    await context.close()
