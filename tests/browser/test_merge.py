"""Объединить контакты in a real browser: the head finds the second record of a person from
the first one's card, chooses whose name survives, merges, and undoes it from the card."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, Dialog, expect

from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace_clients import add_client, manager_id
from tests.e2e.test_workplace_merge import contact


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head and ivanova may sign in."""
    return {"head": PASSWORD, "ivanova": PASSWORD}


async def test_the_head_merges_two_contacts_and_undoes_it(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    first = await add_client(
        running, "Смирнов Олег", "+79031110001", "oleg@smirnov.ru", owner="ivanova"
    )
    second = await add_client(running, "Олег Смирнов", "+79031110002", owner="petrov")
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    asked: list[str] = []
    declined = asyncio.Event()

    async def answer(dialog: Dialog) -> None:
        # The first question is declined (nothing may change), every later one accepted.
        asked.append(dialog.message)
        if len(asked) == 1:
            await dialog.dismiss()
            declined.set()
        else:
            await dialog.accept()

    page.on("dialog", answer)
    await page.goto(f"/clients/contacts/{first}")
    await page.get_by_role("link", name="Объединить с…").click()
    await expect(page.get_by_role("heading", name="Объединить с…")).to_be_visible()
    await page.get_by_role("searchbox").fill("8 903 111-00-02")
    await page.get_by_role("button", name="Найти").click()
    await page.locator(".merge-found").get_by_role("link", name="Выбрать").click()
    name = page.locator('tr[data-field="name"]')
    await expect(name).to_contain_text("Олег Смирнов")
    await expect(page.locator('tr[data-field="phones"]')).to_contain_text("объединятся")
    await name.get_by_role("radio").nth(1).check()
    await page.locator('tr[data-field="owner"]').get_by_role("radio").nth(0).check()
    await shoot(page, screenshots, "merge")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "merge-narrow")
    await page.set_viewport_size(WIDE)

    await page.get_by_role("button", name="Объединить").click()
    await asyncio.wait_for(declined.wait(), 10)
    assert asked[0].startswith("Объединить контакты?")
    assert (await contact(running, second)).merged_into_id is None
    await page.get_by_role("button", name="Объединить").click()
    notice = page.locator("#merge-notice")
    await expect(notice).to_contain_text("Контакты объединены")
    await expect(page.get_by_role("heading", name="Олег Смирнов")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("+7 903 111-00-02")
    await shoot(page, screenshots, "merge-done")
    assert (await contact(running, second)).merged_into_id == first
    survivor = await contact(running, first)
    assert survivor.name == "Олег Смирнов"  # the chosen name, the first contact's owner
    assert survivor.owner_id == await manager_id(running, "ivanova")

    await notice.get_by_role("button", name="Отменить объединение").click()
    await expect(page.locator("#undo-notice")).to_contain_text("Объединение отменено")
    assert asked[-1].startswith("Отменить объединение?")
    await expect(page.get_by_role("heading", name="Смирнов Олег")).to_be_visible()
    assert (await contact(running, second)).merged_into_id is None
    await page.locator("#undo-notice").get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Олег Смирнов")).to_be_visible()
    await context.close()


async def test_a_manager_sees_no_merge(browser: Browser, running: Running) -> None:
    mine = await add_client(running, "Смирнов Олег", "+79031110001", owner="ivanova")
    context = await signed_in(browser, running, "ivanova")
    page = await context.new_page()
    await page.goto(f"/clients/contacts/{mine}")
    await expect(page.get_by_role("heading", name="Смирнов Олег")).to_be_visible()
    await expect(page.get_by_role("link", name="Объединить с…")).to_have_count(0)
    response = await page.goto(f"/clients/contacts/{mine}/merge")
    assert response is not None and response.status == 403
    await expect(page.locator("main")).to_contain_text("только руководитель")
    await context.close()
