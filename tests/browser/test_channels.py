"""Настройки → Каналы in a real browser: the head reads each channel's health, registers the
bot's webhook and switches the bot to polling with a new auto-reply, the page answering in
place (htmx)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from config import Settings
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_workplace_channels import GROUP, TOKEN, World, world_at


@pytest_asyncio.fixture(loop_scope="session")
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """The Telegram and VK stand-ins, in the browser tests' loop."""
    async with world_at(tmp_path) as w:
        yield w


@pytest.fixture
def service_settings(world: World) -> Settings:
    """A bot and a community at the stand-ins."""
    return world.settings


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head signs in."""
    return {"head": PASSWORD}


async def test_the_head_runs_the_channels_from_the_page(
    browser: Browser, running: Running, world: World, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    page = await context.new_page()
    await page.goto("/settings")
    await (
        page.get_by_role("navigation", name="Настройки").get_by_role("link", name="Каналы").click()
    )
    await expect(page.get_by_role("heading", name="Настройки: каналы")).to_be_visible()
    bot = page.locator('tr.channel-row[data-name="sales"]')
    await expect(bot.locator(".channel-mode")).to_have_text("webhook")
    await expect(bot.locator(".channel-secrets")).to_contain_text(
        "задан в окружении LEADINTAKE_TELEGRAM_SALES_TOKEN"
    )
    await expect(page.locator(f'tr.channel-row[data-name="{GROUP}"]')).to_be_visible()
    assert TOKEN not in await page.content()

    await page.get_by_role("button", name="Зарегистрировать вебхук").click()
    await expect(page.get_by_role("status")).to_contain_text("Вебхук бота sales зарегистрирован")
    assert world.telegram.webhook_url.endswith("/hooks/telegram/sales")

    await page.get_by_label("Опрос (getUpdates, без публичного адреса)").check()
    await page.get_by_label("Автоответ клиенту (пусто — не отвечать)").fill(
        "Спасибо! Менеджер ответит в течение 15 минут."
    )
    await page.get_by_role("button", name="Сохранить").click()
    await expect(page.get_by_role("status")).to_contain_text("Вебхук у Telegram удалён")
    await expect(bot.locator(".channel-mode")).to_have_text("polling")
    # The poller is up at once; it is "working" from Telegram's first answer on.
    await expect(bot.locator(".channel-state")).to_contain_text("подключается")
    world.telegram.user_writes(5001, "Хочу узнать цену")
    await running.wait_for_leads(1)
    await page.reload()
    await expect(bot.locator(".channel-state")).to_contain_text("работает")
    await expect(bot.locator(".channel-last")).not_to_have_text("—")
    await shoot(page, screenshots, "settings-channels")
    await page.set_viewport_size(NARROW)
    await expect(bot).to_be_visible()
    await shoot(page, screenshots, "settings-channels-narrow")
    await page.set_viewport_size(WIDE)
    await context.close()
