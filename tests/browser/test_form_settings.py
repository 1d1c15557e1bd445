"""Настройки → Формы in a real browser: the head adds a site form (a key that is not URL-safe
is named next to its field), copies the snippet and the secret shown once, and sees the
form's first submission on the list."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.test_tasks import PASSWORD, signed_in
from tests.browser.test_triage import NARROW, WIDE, shoot
from tests.e2e.conftest import Running


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head may sign in."""
    return {"head": PASSWORD}


async def test_the_head_adds_a_form_and_pastes_its_snippet(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    context = await signed_in(browser, running, "head")
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    await page.goto("/")
    await (
        page.get_by_role("navigation", name="Разделы")
        .get_by_role("link", name="Настройки")
        .click()
    )
    await (
        page.get_by_role("navigation", name="Настройки").get_by_role("link", name="Формы").click()
    )
    await expect(page.get_by_role("heading", name="Формы на сайте")).to_be_visible()
    await expect(page.locator('tr[data-form="site"] .form-last')).to_have_text(
        "заявок ещё не было"
    )
    add = page.locator("#add")
    await add.get_by_label("Ключ формы").fill("Лендинг весна")
    await add.get_by_label("Название").fill("Лендинг «Весна»")
    await add.get_by_label("Версия текста согласия").fill("pd-2026-03")
    await add.get_by_label("Страница «Спасибо»").fill("https://example.ru/spasibo")
    await add.get_by_label("сгенерировать секрет").check()
    await add.get_by_role("button", name="Добавить форму").click()
    # Refused: the message stands next to the key, what was typed stays.
    await expect(page.locator("#key-error")).to_contain_text("только строчные латинские буквы")
    await expect(page.locator("#add").get_by_label("Название")).to_have_value("Лендинг «Весна»")
    await shoot(page, screenshots, "settings-forms-refused")
    await page.locator("#add").get_by_label("Ключ формы").fill("vesna")
    await page.locator("#add").get_by_role("button", name="Добавить форму").click()
    await expect(page.get_by_role("heading", name="Форма «Лендинг «Весна»»")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("Форма добавлена")
    secret = (await page.locator("#form-secret").text_content() or "").strip()
    assert len(secret) >= 32
    # A form with a secret: no HTML for a public page (it would show the secret to every
    # visitor, and without it the service refuses the post), but why and the server's request.
    await expect(page.locator("#snippet-html")).to_have_count(0)
    await expect(page.locator("#snippet-warning")).to_contain_text("с сервера на сервер")
    await expect(page.locator("#snippet-warning")).to_contain_text("любой посетитель")
    server = page.locator("#snippet-server")
    await expect(server).to_contain_text("curl -X POST 'http://127.0.0.1:8080/api/v1/forms/vesna'")
    await expect(server).to_contain_text("X-Api-Key: СЕКРЕТ_ФОРМЫ")
    assert secret not in await page.locator(".snippet").inner_text()
    await expect(page.locator("#tilda-url")).to_have_text(
        "http://127.0.0.1:8080/api/v1/forms/vesna"
    )
    await page.get_by_role("button", name="Копировать запрос").click()
    await expect(page.get_by_role("button", name="Скопировано")).to_be_visible()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("curl -X POST 'http://127.0.0.1:8080/api/v1/forms/vesna'")
    await shoot(page, screenshots, "settings-form-created")
    # A lead through the new form at once; the list shows it accepted.
    async with running.client.post(
        "/api/v1/forms/vesna",
        data={"name": "Гость", "phone": "+7 916 555-77-01", "api_key": secret},
        allow_redirects=False,
    ) as r:
        assert r.status == 303, await r.text()
    await page.goto("/settings/forms")
    row = page.locator('tr[data-form="vesna"]')
    await expect(row.locator(".form-queue")).to_have_text("Входящие")
    await expect(row.locator(".form-last .badge")).to_have_text("принята")
    await shoot(page, screenshots, "settings-forms")
    # Shown once: the form's page masks the secret.
    await row.get_by_role("link", name="Лендинг «Весна»").click()
    await expect(page.locator("#form-secret")).to_have_count(0)
    await expect(page.get_by_text(f"••••{secret[-4:]}")).to_be_visible()
    await expect(page.locator("#snippet-server")).to_contain_text("СЕКРЕТ_ФОРМЫ")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "settings-form-narrow")
    await page.set_viewport_size(WIDE)
    # A form without a secret: the HTML for a public page, with the honeypot, no warning.
    await page.goto("/settings/forms/site")
    html_form = page.locator("#snippet-html")
    await expect(html_form).to_contain_text('action="http://127.0.0.1:8080/api/v1/forms/site"')
    await expect(html_form).to_contain_text('tabindex="-1"')
    await expect(html_form).not_to_contain_text("api_key")
    await expect(page.locator("#snippet-warning")).to_have_count(0)
    await page.get_by_role("button", name="Копировать HTML").click()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith('<form action="http://127.0.0.1:8080/api/v1/forms/site"')
    await context.close()
