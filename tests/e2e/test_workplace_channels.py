"""Настройки → Каналы over HTTP, against Telegram's and VK's APIs as local stand-ins: health
and masked secrets, webhook registration, a bot switched to polling and its auto-reply
changed without a restart (on a second instance too, on PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from crm_core.storage.postgres import PostgresStorage
from tests.bot_api_standin import BotApiStandIn, bot_api_standin
from tests.conftest import config_settings, pg_schema, storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_workplace import act, page
from tests.vk_api_standin import VkApiStandIn, vk_api_standin

TOKEN = "123456:company-bot-token-abcd"
SECRET = "webhook-secret-token-wxyz"
GROUP = 777
VK_TOKEN = "vk1.a.community-access-token-9876"
VK_SECRET = "vk-callback-secret-5432"
PAGE = "/settings/channels"


@dataclass
class World:
    """The stand-ins and the settings naming them."""

    telegram: BotApiStandIn
    vk: VkApiStandIn
    settings: Settings


@asynccontextmanager
async def world_at(tmp_path: Path) -> AsyncIterator[World]:
    """A webhook-mode bot «sales» and a callback-mode community 777, both at stand-ins."""
    async with (
        bot_api_standin(TOKEN) as (telegram, telegram_base),
        vk_api_standin(GROUP, VK_TOKEN) as (vk, vk_base),
    ):
        extra = (
            f'\n[[telegram.bots]]\nname = "sales"\napi_base = "{telegram_base}"\n'
            f'\n[[vk.groups]]\ngroup_id = {GROUP}\nconfirmation = "c0nf1rm"\n'
            f'api_base = "{vk_base}"\n'
        )
        env = {
            "LEADINTAKE_TELEGRAM_SALES_TOKEN": TOKEN,
            "LEADINTAKE_TELEGRAM_SALES_SECRET": SECRET,
            "LEADINTAKE_VK_777_SECRET": VK_SECRET,
            "LEADINTAKE_VK_777_TOKEN": VK_TOKEN,
        }
        yield World(telegram, vk, config_settings(tmp_path, extra, env))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """The stand-ins and settings."""
    async with world_at(tmp_path) as w:
        yield w


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, world: World, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(world.settings, storage) as service,
    ):
        yield service


async def wait(condition: Callable[[], Any], timeout: float, what: str) -> float:
    """Poll `condition` until truthy; returns the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not condition():
        assert loop.time() - start < timeout, f"{what} not within {timeout}s"
        await asyncio.sleep(0.02)
    return loop.time() - start


def version_of(html: str, bot: str) -> str:
    """The override version the bot's form carries."""
    start = html.index(f'action="/settings/channels/telegram/{bot}"')
    marker = 'name="version" value="'
    at = html.index(marker, start) + len(marker)
    return html[at : html.index('"', at)]


async def test_the_head_sees_every_channel_with_its_health_and_no_secret(
    running: Running,
) -> None:
    status, html = await page(running, PAGE, "head")
    assert status == 200 and "Настройки: каналы" in html
    assert f'href="{PAGE}" class="active"' in html
    assert 'data-channel="Telegram" data-name="sales"' in html
    assert f'data-channel="ВКонтакте" data-name="{GROUP}"' in html
    assert "задан в окружении LEADINTAKE_TELEGRAM_SALES_TOKEN (••••abcd)" in html
    assert "задан в окружении LEADINTAKE_VK_777_TOKEN (••••9876)" in html
    for secret in (TOKEN, SECRET, VK_TOKEN, VK_SECRET):
        assert secret not in html
    assert "Формы на сайте" in html
    status, html = await page(running, PAGE, "ivanova")
    assert status == 403 and "только руководителю" in html
    form = {"mode": "polling", "auto_reply": "", "version": "0"}
    async with running.client.post(
        f"{PAGE}/telegram/sales", data=form, headers=running.auth("ivanova")
    ) as r:
        assert r.status == 403
    async with running.services.storage.reader() as uow:
        assert await uow.settings.get("channels", "telegram:sales") is None


async def test_registering_the_webhooks_tells_telegram_and_vk_our_url_and_secret(
    running: Running, world: World
) -> None:
    public = running.services.settings.http.public_url
    html = await act(running, f"{PAGE}/telegram/sales/webhook", "head")
    assert "Вебхук бота sales зарегистрирован" in html
    (call,) = world.telegram.calls_of("setWebhook")
    assert call.fields["url"] == f"{public}/hooks/telegram/sales"
    assert call.fields["secret_token"] == SECRET
    assert world.telegram.webhook_url == f"{public}/hooks/telegram/sales"
    # The watch asked Telegram again: the "not set" of before the registration is gone.
    assert world.telegram.calls_of("getWebhookInfo")[-1] is world.telegram.calls[-1]
    async with running.client.get("/readyz", headers=running.auth()) as response:
        check = (await response.json())["checks"]["channels"]["telegram:sales"]
    assert check["state"] == "connected" and check["last_error"] is None

    html = await act(running, f"{PAGE}/vk/{GROUP}/callback", "head")
    assert f"Сервер Callback API сообщества {GROUP} добавлен" in html
    (added,) = world.vk.calls_of("groups.addCallbackServer")
    assert added.fields["url"] == f"{public}/hooks/vk/{GROUP}"
    assert added.fields["secret_key"] == VK_SECRET
    (server_id,) = world.vk.servers
    assert world.vk.settings[server_id]["message_new"] == "1"
    assert world.vk.settings[server_id]["api_version"] == "5.199"
    # Again: the same server is updated, not a second one added.
    html = await act(running, f"{PAGE}/vk/{GROUP}/callback", "head")
    assert "обновлён" in html and len(world.vk.servers) == 1
    # A refused token is the head's message, not an error page.
    world.vk.token = "another"
    html = await act(running, f"{PAGE}/vk/{GROUP}/callback", "head")
    assert "ВКонтакте не принял ключ доступа сообщества" in html
    assert VK_TOKEN not in html


async def test_a_bot_switched_to_polling_takes_messages_and_its_new_auto_reply(
    running: Running, world: World
) -> None:
    telegram = world.telegram
    await act(running, f"{PAGE}/telegram/sales/webhook", "head")
    assert telegram.webhook_url
    _, html = await page(running, PAGE, "head")
    form = {"mode": "polling", "auto_reply": "Спасибо, ответим!", "version": "0"}
    html = await act(running, f"{PAGE}/telegram/sales", "head", **form)
    assert "настройки сохранены" in html and "Вебхук у Telegram удалён" in html
    assert telegram.webhook_url == ""
    took = await wait(lambda: telegram.calls_of("getUpdates"), 2.0, "getUpdates")
    assert took < 2.0
    telegram.user_writes(5001, "Хочу узнать цену")
    leads = await running.wait_for_leads(1)
    assert leads[0]["channel"] == "telegram"
    await wait(lambda: telegram.calls_of("sendMessage"), 5.0, "the auto-reply")
    assert telegram.calls_of("sendMessage")[-1].fields["text"] == "Спасибо, ответим!"

    # A new text is used by the next auto-reply, with no restart.
    _, html = await page(running, PAGE, "head")
    form = {"mode": "polling", "auto_reply": "Новый текст", "version": version_of(html, "sales")}
    await act(running, f"{PAGE}/telegram/sales", "head", **form)
    telegram.user_writes(5002, "И мне")
    await running.wait_for_leads(2)
    await wait(lambda: len(telegram.calls_of("sendMessage")) == 2, 5.0, "the second reply")
    assert telegram.calls_of("sendMessage")[-1].fields["text"] == "Новый текст"
    # A stale form is refused with the concurrency message.
    html = await act(running, f"{PAGE}/telegram/sales", "head", **form)
    assert "изменено другим пользователем" in html
    async with running.services.storage.reader() as uow:
        audit = await uow.audit.for_entity("settings.channels", 0)
        stored = await uow.settings.get("channels", "telegram:sales")
    assert [(a.actor, a.action) for a in audit] == [("head", "create"), ("head", "update")]
    assert audit[1].before == {"mode": "polling", "auto_reply": "Спасибо, ответим!"}
    assert audit[1].after == {"mode": "polling", "auto_reply": "Новый текст"}
    assert stored is not None and stored.version == 2

    # Back to the webhook: registered again, and the poller stops asking.
    _, html = await page(running, PAGE, "head")
    form = {"mode": "webhook", "auto_reply": "Новый текст", "version": version_of(html, "sales")}
    html = await act(running, f"{PAGE}/telegram/sales", "head", **form)
    assert "Вебхук зарегистрирован" in html and telegram.webhook_url
    await wait(lambda: "telegram:sales" not in _polling(running), 2.0, "the poller's stop")
    asked = len(telegram.calls_of("getUpdates"))
    await asyncio.sleep(0.5)  # a quiet period: nothing may ask during it
    assert len(telegram.calls_of("getUpdates")) == asked
    # The webhook's answer carries the new auto-reply too.
    user = {"id": 5003, "is_bot": False, "first_name": "U5003"}
    update = {
        "update_id": 900,
        "message": {
            "message_id": 1,
            "date": 1765000000,
            "chat": {"id": 5003, "type": "private", "first_name": "U5003"},
            "from": user,
            "text": "Здравствуйте",
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with running.client.post("/hooks/telegram/sales", json=update, headers=headers) as r:
        assert r.status == 200
        answer = await r.json()
    assert answer["method"] == "sendMessage" and answer["text"] == "Новый текст"


def _polling(running: Running) -> set[str]:
    from intake.http.keys import CHANNEL_POLLERS

    pollers = running.client.app[CHANNEL_POLLERS]  # type: ignore[index]
    return {name for name, p in pollers.items() if type(p).__name__ == "TelegramPoller"}


async def test_a_second_instance_starts_polling_within_2_seconds(world: World) -> None:
    async with pg_schema() as (url, schema):
        first = PostgresStorage(url, min_size=1, max_size=4, schema=schema)
        second = PostgresStorage(url, min_size=1, max_size=4, schema=schema)
        async with run_service(world.settings, first) as a:
            async with run_service(world.settings, second) as b:
                form = {"mode": "polling", "auto_reply": "Ответ", "version": "0"}
                await act(a, f"{PAGE}/telegram/sales", "head", **form)
                took = await wait(
                    lambda: "telegram:sales" in _polling(b), 2.0, "the second instance's poller"
                )
                assert took < 2.0
                assert b.services.settings.telegram_bots[0].auto_reply == "Ответ"
