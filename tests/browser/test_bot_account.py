"""«Рабочий бот в Telegram» on /account in a real browser at 360 px, on SQLite and PostgreSQL:
get the one-time link, link through the Bot API stand-in, unlink."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from intake.clock import utcnow
from tests.bot_api_standin import BotApiStandIn
from tests.browser.test_sign_in import PASSWORD, PHONE
from tests.browser.test_triage import shoot
from tests.e2e.conftest import Running
from tests.e2e.test_manager_bot import IVANOVA, texts_to
from tests.e2e.test_manager_bot_cards import started
from workplace.auth.service import set_password


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Running, BotApiStandIn]]:
    """The service with the managers' bot, ivanova with a password."""
    async with started(request.param, tmp_path) as (service, api, _):
        await set_password(service.services.storage, "ivanova", PASSWORD, utcnow())
        yield service, api


async def test_a_manager_links_and_unlinks_the_bot_from_the_account_page(
    running: tuple[Running, BotApiStandIn], browser: Browser, screenshots: Path
) -> None:
    service, api = running
    base = str(service.client.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport=PHONE, locale="ru-RU", is_mobile=True)
    page = await context.new_page()
    await page.goto(f"{base}/login?next=/account")
    await page.get_by_label("Логин").fill("ivanova")
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await expect(page.get_by_text("Не подключён.")).to_be_visible()

    await page.get_by_role("button", name="Получить ссылку для подключения").click()
    opener = page.get_by_role("link", name="Открыть бота в Telegram")
    await expect(opener).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await shoot(page, screenshots, "account-bot-link")
    link = await opener.get_attribute("href")
    assert link is not None and link.startswith("https://t.me/li_team_bot?start=")

    api.user_writes(IVANOVA, f"/start {link.rsplit('=', 1)[1]}")
    await api.wait_for(lambda: texts_to(api, IVANOVA))
    await page.goto(f"{base}/account")
    await expect(page.get_by_text("Подключён с")).to_be_visible()
    await shoot(page, screenshots, "account-bot-linked")

    await page.get_by_role("button", name="Отключить").click()
    await expect(page).to_have_url(f"{base}/account")
    await expect(page.get_by_text("Не подключён.")).to_be_visible()
    await context.close()
