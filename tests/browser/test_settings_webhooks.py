"""Настройки → Вебхуки in a real browser, on SQLite and PostgreSQL: the head subscribes a
receiver (the secret shown once signs what it gets), finds a failed delivery among the dead
letters with the receiver's answer, sends it again, and disables the subscription."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from config import Settings
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running
from tests.e2e.test_webhooks import WEBHOOKS, submit, until
from tests.webhook_receiver import Receiver, receiving


@pytest.fixture
def service_settings(write_config: Callable[[str], Settings]) -> Settings:
    """Quick webhooks to loopback receivers, given up on after about a second."""
    return write_config(WEBHOOKS + "max_age_hours = 0.0003\n")


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head may sign in."""
    return {"head": PASSWORD}


async def both_widths(page: Page, screenshots: Path, name: str) -> None:
    await page.set_viewport_size(WIDE)
    await shoot(page, screenshots, name)
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, f"{name}-narrow")
    await page.set_viewport_size(WIDE)


async def test_the_head_subscribes_and_replays_a_dead_letter(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    receiver = Receiver(answer=lambda _m: "fail")
    async with receiving(receiver):
        context = await signed_in(browser, running, "head")
        page = await context.new_page()
        await page.goto("/settings/managers")
        await (
            page.get_by_role("navigation", name="Настройки")
            .get_by_role("link", name="Вебхуки")
            .click()
        )
        await expect(page.get_by_role("heading", name="Вебхуки", exact=True)).to_be_visible()

        form = page.locator("#new-webhook")
        await form.get_by_label("Адрес получателя").fill(receiver.url)
        await form.get_by_role("button", name="Добавить подписку").click()
        await expect(page.locator("#error-events")).to_contain_text("отметьте хотя бы одно")

        await form.get_by_label("Новая заявка").check()
        await form.get_by_label("Заявка взята в работу").check()
        await form.get_by_role("button", name="Добавить подписку").click()
        secret = await page.locator("[data-secret]").inner_text()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        row = page.locator("#subscriptions tbody tr").first
        await expect(row).to_contain_text("lead.created")
        await expect(row).to_contain_text("включена")
        await both_widths(page, screenshots, "settings-webhooks")
        await page.reload()  # a refresh neither shows the secret again nor subscribes twice
        await expect(page.locator("#subscriptions tbody tr[data-webhook]")).to_have_count(1)
        await expect(page.locator("[data-secret]")).to_have_count(0)

        await submit(running, 1)
        await until(lambda: receiver.requests >= 1, 10, "the first try")
        await row.get_by_role("link", name="Журнал").click()
        dead = page.locator("#dead-letters tbody tr[data-status=dead]")
        for _ in range(50):  # the delivery is given up on about a second after it was queued
            if await dead.count():
                break
            await page.wait_for_timeout(100)
            await page.reload()
        await expect(dead).to_have_count(1)
        await expect(dead).to_contain_text("500")
        await expect(dead).to_contain_text("receiver failed")
        await both_widths(page, screenshots, "settings-webhook-log")

        receiver.answer = lambda _m: "ok"
        await page.get_by_role("button", name="Отправить все снова").click()
        await expect(page.get_by_role("status")).to_contain_text("Поставлено в очередь: 1")
        await until(lambda: len(receiver.processed) == 1, 10, "the replayed delivery")
        assert receiver.bad_signatures == 0
        await page.reload()
        await expect(page.locator("#deliveries tbody tr[data-status=delivered]")).to_have_count(1)

        # A form posted from elsewhere, without the session's CSRF token, changes nothing.
        forged = await context.request.post(
            "/settings/webhooks", form={"url": receiver.url, "events": "lead.junked"}
        )
        assert forged.status == 403

        await page.get_by_role("link", name="← Вебхуки").click()
        await expect(page.locator("#subscriptions tbody tr[data-webhook]")).to_have_count(1)
        await row.get_by_role("button", name="Выключить").click()
        await expect(row).to_contain_text("выключена")
        await expect(row.get_by_role("button", name="Включить")).to_be_visible()
