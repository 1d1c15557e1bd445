"""Files on the lead card in a real browser, on SQLite and PostgreSQL: the client's document
is linked on the card and downloads; the manager attaches a file to a reply (htmx sends the
form as multipart), the stand-in receives it once as a document and the timeline links it."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.test_live import signed_in
from tests.browser.test_replies import (
    SENT,
    service,  # noqa: F401  (the fixture)
)
from tests.browser.test_triage import NARROW, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_replies_api import client_writes_in_telegram
from tests.e2e.test_reply_attachments_api import DOC_ID, PDF
from tests.integration.replies_support import PlatformStandIn


async def test_files_both_ways_on_the_lead_card(
    browser: Browser,
    service: tuple[Running, PlatformStandIn],  # noqa: F811
    screenshots: Path,
    tmp_path: Path,
) -> None:
    running, stand_in = service
    stand_in.telegram_files[DOC_ID] = PDF
    lead = await client_writes_in_telegram(running, "document.json")
    context = await signed_in(browser, running, lead["assignee"])
    page = await context.new_page()
    await page.goto(f"/leads/{lead['id']}")

    theirs = page.get_by_role("link", name="Смета_окна.pdf")
    await expect(theirs).to_be_visible()
    async with page.expect_download() as downloading:
        await theirs.click()
    got = await downloading.value
    assert got.suggested_filename == "Смета_окна.pdf"
    saved = tmp_path / "saved.pdf"
    await got.save_as(saved)
    assert saved.stat().st_size == len(PDF)

    mine = tmp_path / "Договор.pdf"
    mine.write_bytes(PDF + b"contract")
    panel = page.locator("#reply-panel")
    await panel.get_by_label("Сообщение").fill("Договор во вложении")
    await panel.get_by_label("Файл").set_input_files(mine)
    await panel.get_by_role("button", name="Отправить").click()

    await expect(panel.get_by_role("status")).to_have_text("Сообщение поставлено в очередь")
    item = page.locator(".timeline li", has_text="Договор во вложении")
    await expect(item.locator(".reply-state")).to_have_text("отправлено", timeout=SENT)
    await expect(item.get_by_role("link", name="Договор.pdf")).to_be_visible()
    assert [(d["caption"], d["document"]) for d in stand_in.telegram_delivered] == [
        ("Договор во вложении", ("Договор.pdf", "application/pdf", PDF + b"contract"))
    ]
    await shoot(page, screenshots, "attachments")
    await page.set_viewport_size(NARROW)
    await page.reload()
    await expect(item.get_by_role("link", name="Договор.pdf")).to_be_visible()
    await shoot(page, screenshots, "attachments-narrow")
    await context.close()
