"""A webhook bot's health comes from Telegram's getWebhookInfo, asked of a local Bot API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from config.channel_settings import TelegramBotSettings
from intake.clock import utcnow
from intake.telegram_webhook_watch import TelegramWebhookWatch
from tests.integration.polling_support import running, wait_until

TOKEN = "4242:watch"


class BotApi:
    """Answers getWebhookInfo with whatever the test sets, counting the calls."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {"url": "", "pending_update_count": 0}
        self.calls = 0

    async def webhook_info(self, _request: web.Request) -> web.Response:
        self.calls += 1
        return web.json_response({"ok": True, "result": self.info})


@pytest.fixture
async def bot_api() -> AsyncIterator[tuple[BotApi, str]]:
    api = BotApi()
    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/getWebhookInfo", api.webhook_info)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield api, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def test_an_unset_or_failing_webhook_is_a_failing_channel(
    bot_api: tuple[BotApi, str],
) -> None:
    api, base = bot_api
    bot = TelegramBotSettings(name="sales", token=TOKEN, api_base=base)

    def count(_outcome: str) -> None:
        return None

    watch = TelegramWebhookWatch(bot, None, count, utcnow, check_seconds=0.01)  # type: ignore[arg-type]
    async with running(watch):
        await wait_until(lambda: watch.last_error is not None)
        assert watch.connected and "not set" in (watch.last_error or "")
        assert watch.failing_since is not None

        api.info = {
            "url": "https://crm.example.ru/hooks/telegram/sales",
            "pending_update_count": 7,
            "last_error_date": int(time.time()),
            "last_error_message": "Wrong response from the webhook: 502 Bad Gateway",
        }
        await wait_until(lambda: "502" in (watch.last_error or ""))
        assert watch.backlog == 7 and TOKEN not in (watch.last_error or "")

        api.info = {
            "url": "https://crm.example.ru/hooks/telegram/sales",
            "pending_update_count": 0,
        }
        await wait_until(lambda: watch.last_error is None)
        assert watch.failing_since is None and watch.backlog == 0
