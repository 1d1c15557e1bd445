"""Yandex SmartCaptcha on a form, against a stand-in of the validation service on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from config import load_settings
from config.abuse_settings import captcha_env
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service

SECRET = "ysc2_server_key"
URL = "/api/v1/forms/guarded"


@dataclass
class CaptchaStandIn:
    """Answers like smartcaptcha.yandexcloud.net/validate by token: ok, failed, 500, hang."""

    seen: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def validate(self, request: web.Request) -> web.StreamResponse:
        form = dict(await request.post())
        self.seen.append({k: str(v) for k, v in form.items()})
        if form.get("secret") != SECRET:
            return web.json_response({"status": "failed", "message": "Authentication failed."})
        token = form.get("token")
        if token == "hang":
            await self.release.wait()
        if token == "broken":
            return web.Response(status=500, text="oops")
        if token in ("good", "hang"):
            return web.json_response({"status": "ok", "message": "", "host": "example.ru"})
        return web.json_response({"status": "failed", "message": "Invalid or expired Token."})


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[tuple[Running, CaptchaStandIn]]:
    stand_in = CaptchaStandIn()
    app = web.Application()
    app.router.add_post("/validate", stand_in.validate)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    config = TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + (
        f'\n[smartcaptcha]\nurl = "{server.make_url("/validate")}"\ntimeout_seconds = 0.3\n'
        '\n[[forms]]\nkey = "guarded"\nsmartcaptcha = true\n'
    )
    path = tmp_path / "captcha.toml"
    path.write_text(config, "utf-8")
    settings = load_settings(path, environ={captcha_env("guarded"): SECRET})
    try:
        async with (
            storage_of_kind("sqlite", tmp_path) as storage,
            run_service(settings, storage) as running,
        ):
            yield running, stand_in
    finally:
        stand_in.release.set()
        await server.close()


async def submit(running: Running, token: str | None, **extra: str) -> tuple[int, Any]:
    body = {"name": "Иван", "phone": "+79161234567", **extra}
    if token is not None:
        body["smart-token"] = token
    headers = {"X-Forwarded-For": "203.0.113.7"}
    async with running.client.post(URL, data=body, headers=headers) as r:
        return r.status, await r.json()


async def test_a_confirmed_token_lets_the_lead_in(guarded: tuple[Running, CaptchaStandIn]) -> None:
    running, stand_in = guarded
    status, body = await submit(running, "good")
    assert status == 202
    assert stand_in.seen == [{"secret": SECRET, "token": "good", "ip": "203.0.113.7"}]
    lead = await running.lead((await running.wait_for_lead(body["intake_id"]))["id"])
    assert lead["meta"]["captcha"] == "passed"
    assert "smart-token" not in str(lead)


async def test_a_refused_or_missing_token_is_4xx_naming_it(
    guarded: tuple[Running, CaptchaStandIn],
) -> None:
    running, _ = guarded
    status, body = await submit(running, "forged")
    assert status == 403
    assert body["error"] == "captcha_failed" and body["field"] == "smart-token"
    assert "Invalid or expired Token." in body["message"]
    status, body = await submit(running, None)
    assert status == 400 and body["field"] == "smart-token"
    # Other forms need no token.
    async with running.client.post("/api/v1/forms/site", data={"phone": "+79161234567"}) as r:
        assert r.status == 202
    assert len(await running.wait_for_leads(1)) == 1


async def test_a_retry_with_the_same_token_is_a_duplicate_not_a_replay(
    guarded: tuple[Running, CaptchaStandIn],
) -> None:
    running, stand_in = guarded
    first = await submit(running, "good", tranid="t-1")
    stand_in.seen.clear()
    again = await submit(running, "good", tranid="t-1")
    assert (first[0], again[0]) == (202, 200) and again[1]["duplicate"] is True
    assert stand_in.seen == []  # the passed token was remembered


@pytest.mark.parametrize(("token", "reason"), [("hang", "timeout"), ("broken", "http_500")])
async def test_the_captcha_service_down_loses_no_lead(
    guarded: tuple[Running, CaptchaStandIn], token: str, reason: str
) -> None:
    running, _ = guarded
    status, body = await submit(running, token)
    assert status == 202
    lead = await running.lead((await running.wait_for_lead(body["intake_id"]))["id"])
    assert lead["meta"]["captcha"] == "unverified"
    assert lead["meta"]["captcha_reason"] == reason
    async with running.client.get("/metrics") as r:
        assert 'leadintake_errors_total{kind="captcha_unavailable"} 1.0' in await r.text()
