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
    added = page.locator('#lines tr[data-key="74957654321"]')
    await expect(added).to_be_visible()
    # The number as people write it, not the stored digits.
    await expect(added.locator("th")).to_have_text("+7 495 765-43-21")
    await page.get_by_label("Номер новой линии").fill("8 (812) 300-00-01")
    await page.get_by_role("button", name="Добавить линию").click()
    await expect(page.locator('#lines tr[data-key="78123000001"] th')).to_have_text(
        "+7 812 300-00-01"
    )
    await shoot(page, screenshots, "lists")
    await page.set_viewport_size(NARROW)
    # At 360 px nothing runs off the screen: every field and button of a line is in view.
    assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    for control in (
        added.get_by_label("utm_campaign: 74957654321"),
        added.get_by_label("Воронка: 74957654321"),
        added.get_by_role("button", name="Удалить"),
        page.get_by_role("button", name="Добавить линию"),
    ):
        box = await control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
    await shoot(page, screenshots, "lists-narrow")
    await context.close()
