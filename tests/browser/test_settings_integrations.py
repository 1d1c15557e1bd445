"""Настройки → Интеграции in a real browser: the head sees a Bitrix24 connector working and
an amoCRM one failing, with the CRM's answer and the dead letters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from config import Settings
from crm_core.webhooks import NewConnector
from intake.connectors import setup
from intake.connectors.setup import CONNECTOR_EVENTS, create_connector, health
from tests.bitrix24_standin import CODE, Portal, serving
from tests.browser.test_settings_webhooks import both_widths
from tests.browser.test_tasks import PASSWORD, signed_in
from tests.conftest import config_settings
from tests.e2e.conftest import Running
from tests.e2e.test_webhooks import WEBHOOKS, submit, until

BITRIX_ENV = "LEADINTAKE_TEST_BITRIX24_CODE"
AMO_ENV = "LEADINTAKE_TEST_AMOCRM_TOKEN"


@pytest.fixture
def service_settings(tmp_path: Path) -> Settings:
    """Quick retries given up on after about a second; the connectors' secrets."""
    return config_settings(
        tmp_path, WEBHOOKS + "max_age_hours = 0.0003\n", environ={BITRIX_ENV: CODE, AMO_ENV: "x"}
    )


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """The head may sign in."""
    return {"head": PASSWORD}


async def test_the_head_sees_each_connector_state(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    portal = Portal()
    async with serving(portal):
        storage = running.services.storage
        await create_connector(
            storage, NewConnector("bitrix24", portal.url, BITRIX_ENV, CONNECTOR_EVENTS, {}), "head"
        )
        # Nothing listens there: every try fails until the delivery is given up on.
        await create_connector(
            storage,
            NewConnector("amocrm", "http://127.0.0.1:9", AMO_ENV, CONNECTOR_EVENTS, {}),
            "head",
        )
        await submit(running, 1)
        await until(lambda: len(portal.records["lead"]) == 1, 10, "the lead in Bitrix24")

        async def dead() -> bool:
            return any(h.dead for h in await health(storage))

        await until(dead, 15, "amoCRM's dead letter")
        context = await signed_in(browser, running, "head")
        page = await context.new_page()
        await page.goto("/settings/webhooks")
        await (
            page.get_by_role("navigation", name="Настройки")
            .get_by_role("link", name="Интеграции")
            .click()
        )
        await expect(page.get_by_role("heading", name="Интеграции", exact=True)).to_be_visible()
        bitrix = page.locator("tr", has=page.get_by_role("rowheader", name="Битрикс24"))
        amo = page.locator("tr", has=page.get_by_role("rowheader", name="amoCRM"))
        await expect(bitrix).to_contain_text("работает")
        await expect(amo).to_contain_text("ошибка")
        await expect(amo).to_contain_text("ClientConnectorError")
        await expect(amo.locator('td[data-label="Не доставлено"]')).to_have_text(
            re.compile(r"^[1-9]\d*$")
        )
        await both_widths(page, screenshots, "settings-integrations")
        await context.close()


async def test_the_head_connects_bitrix24_maps_values_and_sends_a_test_lead(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    portal = Portal()
    async with serving(portal):
        context = await signed_in(browser, running, "head")
        page = await context.new_page()
        await page.goto("/settings/integrations")
        await page.get_by_role("link", name="Новое подключение").click()
        await expect(page.get_by_role("heading", name="Новое подключение")).to_be_visible()
        await page.get_by_label("Битрикс24").check()
        await page.get_by_label("Адрес").fill(portal.url)
        await page.get_by_label("Переменная окружения с секретом").fill("LEADINTAKE_NOT_SET")
        await page.locator('input[name="user.ivanova"]').fill("7")
        await page.locator('input[name="status.junk"]').fill("JUNK")
        await page.get_by_label("Создавать контакт, компанию и сделку").check()
        await page.get_by_role("button", name="Сохранить").click()
        # Refused next to the field, what was typed kept.
        await expect(page.get_by_role("alert")).to_contain_text("LEADINTAKE_NOT_SET не задана")
        await expect(page.locator('input[name="user.ivanova"]')).to_have_value("7")
        await both_widths(page, screenshots, "settings-integration-form")
        await page.get_by_label("Переменная окружения с секретом").fill(BITRIX_ENV)
        await page.get_by_role("button", name="Сохранить").click()
        await expect(page.get_by_role("status")).to_contain_text("Подключение Битрикс24")
        [created] = await setup.connectors(running.services.storage)
        assert created.connector_config is not None
        assert created.connector_config["mapping"] == {
            "users": {"ivanova": 7},
            "statuses": {"junk": "JUNK"},
            "create_deals": True,
        }
        await page.reload()  # Post/Redirect/Get: a refresh adds nothing
        assert len(await setup.connectors(running.services.storage)) == 1

        row = page.locator("tr", has=page.get_by_role("rowheader", name="Битрикс24"))
        await row.get_by_role("button", name="Отправить тестовую заявку").click()
        await expect(page.get_by_role("status")).to_contain_text("Тестовая заявка создана")
        [(remote_id, fields)] = portal.records["lead"].items()
        await expect(page.get_by_role("status")).to_contain_text(f"№{remote_id}")
        assert fields["TITLE"].startswith("Тестовая заявка LeadIntake")
        await both_widths(page, screenshots, "settings-integrations-tested")

        # The portal refuses: the page says what it answered.
        portal.busy = 10
        await row.get_by_role("button", name="Отправить тестовую заявку").click()
        await expect(page.get_by_role("alert")).to_contain_text("QUERY_LIMIT_EXCEEDED")

        await row.get_by_role("link", name="Изменить").click()
        await expect(page.locator('input[name="user.ivanova"]')).to_have_value("7")
        await page.locator('input[name="user.ivanova"]').fill("")
        await page.locator('input[name="user.petrov"]').fill("9")
        await page.get_by_role("button", name="Сохранить").click()
        await expect(page.get_by_role("status")).to_contain_text("сохранено")
        [changed] = await setup.connectors(running.services.storage)
        assert changed.connector_config is not None
        assert changed.connector_config["mapping"]["users"] == {"petrov": 9}

        await row.get_by_role("button", name="Выключить").click()
        await expect(row).to_contain_text("выключена")
        [off] = await setup.connectors(running.services.storage)
        assert not off.active
        await context.close()
