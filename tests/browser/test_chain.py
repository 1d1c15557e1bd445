"""One person's joined leads on the lead card in a real browser (issue 16): the head sees
which lead was joined and why, and undoes the join with Разъединить."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from intake.clock import utcnow
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, accept_dialogs, shoot
from tests.conftest import storage_of_kind
from tests.e2e.conftest import run_service
from tests.e2e.test_chain_of_channels import chain, chain_settings
from workplace.auth.service import set_password


async def test_the_head_sees_the_join_and_undoes_it(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(chain_settings(tmp_path), storage) as running,
    ):
        await set_password(storage, "head", PASSWORD, utcnow())
        first, vk, _form = await chain(running)
        context = await signed_in(browser, running, "head")
        page = await context.new_page()
        accept_dialogs(page)
        await page.goto(f"/leads/{first}")
        joins = page.locator("section.joins")
        await expect(joins).to_contain_text(f"Заявка №{vk['id']} объединена с этой")
        await expect(joins).to_contain_text("объединены в №")
        await shoot(page, screenshots, "lead-joined")
        await page.set_viewport_size(NARROW)
        await shoot(page, screenshots, "lead-joined-narrow")
        await page.set_viewport_size(WIDE)

        await joins.get_by_role("button", name="Разъединить").click()
        await expect(page.get_by_role("status")).to_contain_text(
            f"Объединение отменено: заявка №{vk['id']} снова отдельная."
        )
        await expect(joins).to_contain_text("отменено")
        await expect(joins.get_by_role("button", name="Разъединить")).to_have_count(0)
        restored = await running.lead(vk["id"])
        await context.close()

    assert restored["duplicate_of"] is None
