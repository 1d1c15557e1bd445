"""Прежние компании in a real browser: after a job change the contact card shows the new
company, the one left (with its date) and the change on the timeline, also at 360 px."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from intake.clock import utcnow
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, shoot
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_duplicates_api import submit
from tests.e2e.test_job_change import known_person
from workplace.auth.service import set_password


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, settings: Any, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service on each database; the head may sign in."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(settings, storage) as service,
    ):
        await set_password(storage, "head", PASSWORD, utcnow())
        yield service


async def test_the_card_shows_the_company_left(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    contact_id, vektor = await known_person(running)
    await submit(
        running,
        name="Игорь Зябликов",
        phone="8 (916) 123-45-67",
        email="i.zyablikov@romashka-trade.ru",
        company="ООО «Ромашка»",
    )
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto(f"/clients/contacts/{contact_id}")

    past = page.locator("ul.past-companies li")
    await expect(page.get_by_role("heading", name="Прежние компании")).to_be_visible()
    await expect(past).to_have_count(1)
    await expect(past.get_by_role("link", name="ООО «Вектор»")).to_have_attribute(
        "href", f"/clients/companies/{vektor}"
    )
    await expect(past).to_contain_text("до ")
    await expect(page.locator("text=Заметка · система")).to_be_visible()
    await expect(
        page.get_by_text("Сменил(а) компанию: ООО «Вектор» → ООО «Ромашка»")
    ).to_be_visible()
    await shoot(page, screenshots, "job_change_card")
    await page.set_viewport_size(NARROW)
    await expect(past).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"]
    await shoot(page, screenshots, "job_change_card_narrow")
    await context.close()
