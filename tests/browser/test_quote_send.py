"""A quote's page in a real browser: the manager downloads its PDF, then e-mails it to the
client; the SMTP stand-in receives it once and the page shows the quote as sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_live import signed_in
from tests.browser.test_triage import NARROW, shoot
from tests.dovecot import Dovecot, dovecot, dovecot_factory
from tests.e2e.conftest import Running
from tests.e2e.test_email_replies_api import client_emails, started
from tests.e2e.test_quote_documents_api import SELLER, a_quote, wait_accepted
from tests.integration.smtp_support import SmtpStandIn
from tests.integration.test_email_replies import CLIENT
from tests.unit.test_documents_pdf import text_of

__all__ = ["dovecot", "dovecot_factory"]  # shared fixtures, used by name


Served = tuple[Running, SmtpStandIn, dict[str, Any], str]


@pytest.fixture
async def service(tmp_path: Path, dovecot: Dovecot) -> AsyncIterator[Served]:
    """The service with the seller's requisites and a client who e-mailed, whose deal has a
    quote; yields the quote and the deal owner's login too."""
    async with started("sqlite", tmp_path, dovecot, more_config=SELLER) as (running, smtp, user):
        lead = await client_emails(running, dovecot, user)
        quote = await a_quote(running, lead["id"])
        yield running, smtp, quote, lead["assignee"]


async def test_a_quote_is_downloaded_and_emailed_from_its_page(
    browser: Browser, service: Served, screenshots: Path
) -> None:
    running, smtp, quote, owner = service
    context = await signed_in(browser, running, owner)
    page = await context.new_page()
    await page.goto(f"/deals/{quote['deal_id']}")
    await page.locator(".deal-quotes").get_by_role("link", name=quote["number"]).click()

    await expect(page.locator(".badge.quote-draft, .badge", has_text="Черновик")).to_be_visible()
    panel = page.locator(".kp-documents")
    async with page.expect_download() as info:
        await panel.get_by_role("link", name="Скачать PDF").click()
    download = await info.value
    assert download.suggested_filename == f"{quote['number']}.pdf"
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert f"Коммерческое предложение № {quote['number']}" in text_of(pdf)

    await panel.get_by_text("Отправить клиенту").click()
    await panel.get_by_label("Письмо").fill("Добрый день! Предложение во вложении.")
    await shoot(page, screenshots, "quote-send")
    await panel.get_by_role("button", name="Отправить PDF").click()

    await expect(page.locator(".badge", has_text="Отправлено")).to_be_visible()
    await wait_accepted(smtp, 1)
    assert len(smtp.tried) == 1
    [message] = smtp.messages()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{quote['number']}.pdf"
    await shoot(page, screenshots, "quote-sent")
    await page.set_viewport_size(NARROW)
    await panel.get_by_text("Отправить клиенту").click()
    await expect(panel.get_by_role("button", name="Отправить PDF")).to_be_visible()
    await shoot(page, screenshots, "quote-send-narrow")
    await page.goto(f"/deals/{quote['deal_id']}")
    sent = page.locator(".timeline li", has_text=f"отправлено на {CLIENT}")
    await expect(sent).to_have_count(1)
    await shoot(page, screenshots, "quote-sent-timeline-narrow")
    await context.close()
