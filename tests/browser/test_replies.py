"""«Написать клиенту» in a real browser, on SQLite and PostgreSQL: the manager types a reply on
the lead card, sends it, and sees it on the timeline with its delivery state."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_live import signed_in
from tests.browser.test_triage import NARROW, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_replies_api import CHAT_ID, client_writes_in_telegram, started
from tests.integration.replies_support import PlatformStandIn

# Long enough for the dispatcher's pass on a busy machine.
SENT = 15_000


@pytest.fixture(params=["sqlite", "postgres"])
async def service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Running, PlatformStandIn]]:
    """The service with a Telegram bot and a VK community sending to the stand-in."""
    async with started(request.param, tmp_path) as both:
        yield both


async def test_a_reply_typed_on_the_lead_card_shows_on_the_timeline_as_sent(
    browser: Browser, service: tuple[Running, PlatformStandIn], screenshots: Path
) -> None:
    running, stand_in = service
    lead = await client_writes_in_telegram(running)
    context = await signed_in(browser, running, lead["assignee"])
    page = await context.new_page()
    await page.goto(f"/leads/{lead['id']}")

    panel = page.locator("#reply-panel")
    await expect(panel.get_by_role("heading", name="Написать клиенту")).to_be_visible()
    channel = panel.get_by_label("Канал")
    await expect(channel).to_have_value("telegram")
    await panel.get_by_label("Сообщение").fill("Здравствуйте! Приедем на замер завтра в 10:00.")
    await panel.get_by_role("button", name="Отправить").click()

    await expect(panel.get_by_role("status")).to_have_text("Сообщение поставлено в очередь")
    await expect(panel.get_by_label("Сообщение")).to_have_value("")
    item = page.locator(".timeline li", has_text="Приедем на замер завтра")
    await expect(item).to_have_count(1)
    await expect(item.locator(".reply-state")).to_have_text(re.compile("в очереди|отправлено"))
    # While a message is queued the timeline looks again every 5 s, until it is sent.
    await expect(item.locator(".reply-state")).to_have_text("отправлено", timeout=SENT)
    assert stand_in.telegram_delivered == [
        {"chat_id": CHAT_ID, "text": "Здравствуйте! Приедем на замер завтра в 10:00."}
    ]
    await shoot(page, screenshots, "reply")
    await page.set_viewport_size(NARROW)
    await page.reload()
    await expect(panel.get_by_role("button", name="Отправить")).to_be_visible()
    await shoot(page, screenshots, "reply-narrow")
    await context.close()
