"""Клиенты in a real browser, signed in through the form: a client found by a phone written
differently, and its contact card with the lead that came from the website form."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.browser.test_tasks import signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot, submit
from tests.e2e.conftest import Running
from tests.e2e.test_workplace_clients import INN, add_client, manager_id

PASSWORD = "пароль-для-задач-1"  # the one tests.browser.test_tasks.signed_in types


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """ivanova and petrov may sign in."""
    return {"ivanova": PASSWORD, "petrov": PASSWORD}


async def test_a_client_is_found_by_a_phone_written_differently(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    contact = await add_client(
        running, "Кузнецова Дарья", "+79162223344", "daria@kuznetsova.ru", owner="ivanova"
    )
    await add_client(running, "Кузнецов Пётр", "+79035556677", owner="ivanova")
    lead = await submit(
        running,
        name="Дарья Кузнецова",
        phone="+7 916 222 33 44",
        comment="Нужна консультация по тарифам",
    )
    assert lead["contact_id"] == contact and lead["assignee"] == "ivanova"
    ivanova = await manager_id(running, "ivanova")
    async with running.services.storage.transaction() as uow:
        [company] = await add_companies(
            uow,
            [
                prepare_company(
                    RawIdentity(company="ООО «Ромашка»", inn=INN), "RU", owner_id=ivanova
                )
            ],
            utcnow(),
        )
        worker = RawIdentity(name="Соколов Игорь", phones=("+79165550101",))
        await add_contacts(
            uow, [prepare_contact(worker, "RU", company_id=company, owner_id=ivanova)], utcnow()
        )

    context = await signed_in(browser, running, "ivanova")
    page = await context.new_page()
    await page.goto("/")
    await page.get_by_role("link", name="Клиенты").click()
    await expect(page.get_by_role("heading", name="Клиенты")).to_be_visible()
    await page.get_by_role("searchbox").fill("8 (916) 222-33-44")
    await page.get_by_role("button", name="Найти").click()
    found = page.locator("#found-contacts")
    await expect(found.get_by_role("link", name="Кузнецова Дарья")).to_be_visible()
    await expect(found).to_contain_text("+7 916 222-33-44")
    await expect(found).not_to_contain_text("Кузнецов Пётр")
    await page.get_by_role("searchbox").fill("кузнец")
    await page.get_by_role("button", name="Найти").click()
    await expect(found.get_by_role("link", name="Кузнецов Пётр")).to_be_visible()
    await shoot(page, screenshots, "clients-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "clients-360")
    await page.set_viewport_size(WIDE)

    await found.get_by_role("link", name="Кузнецова Дарья").click()
    await expect(page.get_by_role("heading", name="Кузнецова Дарья")).to_be_visible()
    await expect(page.locator("#client-leads")).to_contain_text(f"Заявка №{lead['id']}")
    await expect(page.locator("main")).to_contain_text("daria@kuznetsova.ru")
    await shoot(page, screenshots, "contact-card-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "contact-card-360")
    await page.set_viewport_size(WIDE)
    await page.locator("#client-leads").get_by_role("link", name=f"Заявка №{lead['id']}").click()
    await expect(page.locator("#card")).to_contain_text("Нужна консультация по тарифам")

    await page.goto("/clients")
    await page.get_by_role("searchbox").fill(INN)
    await page.get_by_role("button", name="Найти").click()
    await page.locator("#found-companies").get_by_role("link", name="ООО «Ромашка»").click()
    await expect(page.get_by_role("heading", name="ООО «Ромашка»")).to_be_visible()
    await expect(page.locator("#company-contacts")).to_contain_text("Соколов Игорь")
    await shoot(page, screenshots, "company-card-1366")
    await context.close()
