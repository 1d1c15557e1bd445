"""«Отгрузки и акты» on the deal card in a real browser, on SQLite and PostgreSQL: a paid
invoice's shipment and act are listed with their kind, status and date, and their PDFs
download for the head."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from config import Settings
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_catalogue_api import call
from tests.e2e.test_closing_api import PIPELINES_TOML, deal_in, issued_invoice, pay
from tests.e2e.test_invoices_api import SELLER_TOML
from tests.unit.test_documents_pdf import text_of


@pytest.fixture
def service_settings(write_config: Callable[[str], Settings]) -> Settings:
    """The seller's requisites and a pipeline that wins only what is shipped."""
    return write_config(SELLER_TOML + PIPELINES_TOML)


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head may sign in."""
    return {"head": PASSWORD}


async def test_the_deal_card_lists_shipments_and_acts_with_their_pdfs(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    deal_id = await deal_in(running, "ship")
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto(f"/deals/{deal_id}")
    panel = page.locator("#shipments")
    await expect(panel).to_contain_text("Накладных и актов пока нет")

    invoice = await issued_invoice(running, deal_id)
    await pay(running, invoice)
    on_invoice = f"/api/v1/invoices/{invoice['id']}"
    status, shipment = await call(running, "POST", f"{on_invoice}/shipments")
    assert status == 201, shipment
    status, act = await call(running, "POST", f"{on_invoice}/acts", {"date": "2026-12-09"})
    assert status == 201, act
    path = f"/api/v1/acts/{act['id']}/status"
    assert (await call(running, "POST", path, {"status": "done"}))[0] == 200

    await page.goto(f"/deals/{deal_id}")
    rows = panel.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text(shipment["number"])
    await expect(rows.nth(0)).to_contain_text("Накладная")
    await expect(rows.nth(0)).to_contain_text("Черновик")
    await expect(rows.nth(1)).to_contain_text(act["number"])
    await expect(rows.nth(1)).to_contain_text("Подписан")
    await expect(rows.nth(1)).to_contain_text("09.12.2026")
    timeline = page.locator(".timeline")
    await expect(timeline).to_contain_text(f"Акт {act['number']}: Подписан")
    await expect(timeline).to_contain_text(
        f"Создана товарная накладная {shipment['number']} по счёту {invoice['number']}"
    )
    await shoot(page, screenshots, "deal-shipments")

    async with page.expect_download() as waiting:
        await rows.nth(1).get_by_role("link", name="Скачать PDF").click()
    download = await waiting.value
    assert download.suggested_filename == f"{act['number']}.pdf"
    text = text_of(await asyncio.to_thread(Path(await download.path()).read_bytes))
    assert f"Акт № {act['number']}" in text and "Монтаж кабеля" in text
    async with page.expect_download() as waiting:
        await rows.nth(0).get_by_role("link", name="Скачать PDF").click()
    download = await waiting.value
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert f"Товарная накладная № {shipment['number']}" in text_of(pdf)

    await page.set_viewport_size(NARROW)
    await page.locator("#shipments").scroll_into_view_if_needed()
    await shoot(page, screenshots, "deal-shipments-narrow")
    await page.set_viewport_size(WIDE)
    await context.close()
