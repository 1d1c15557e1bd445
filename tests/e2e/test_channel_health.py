"""/readyz reports each polling channel's state; a failing channel does not fail readiness."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from config import load_settings
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import run_service

TOKEN = "42:refused"


async def test_a_refused_bot_token_shows_in_readyz(tmp_path: Path) -> None:
    async def refuse(_request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
        )

    bot_api = web.Application()
    bot_api.router.add_post(f"/bot{TOKEN}/getUpdates", refuse)
    server = TestServer(bot_api, host="127.0.0.1")
    await server.start_server()
    path = tmp_path / "leadintake.toml"
    path.write_text(
        TEST_CONFIG.format(db=tmp_path / "db.sqlite3")
        + f'\n[[telegram.bots]]\nname = "poll"\nmode = "polling"\n'
        f'api_base = "{str(server.make_url("")).rstrip("/")}"\n',
        "utf-8",
    )
    settings = load_settings(path, environ={"LEADINTAKE_TELEGRAM_POLL_TOKEN": TOKEN})
    try:
        async with (
            storage_of_kind("sqlite", tmp_path) as storage,
            run_service(settings, storage) as running,
        ):
            deadline = asyncio.get_running_loop().time() + 10
            while True:
                async with running.client.get("/readyz", headers=running.auth()) as response:
                    body = await response.json()
                state = body["checks"]["channels"]["telegram:poll"]
                if state["last_error"]:
                    break
                assert asyncio.get_running_loop().time() < deadline, body
                await asyncio.sleep(0.02)
            async with running.client.get("/readyz") as anonymous_response:
                anonymous = await anonymous_response.json()
            async with running.client.get("/metrics") as scraped:
                exposition = await scraped.text()
    finally:
        await server.close()
    assert response.status == 200 and body["status"] == "ready"
    assert state["connected"] is False and "token" in state["last_error"]
    assert state["state"] == "failing"
    # The error text is for heads: a probe or a passer-by sees the state only.
    assert anonymous["checks"]["channels"]["telegram:poll"]["state"] == "failing"
    assert "last_error" not in anonymous["checks"]["channels"]["telegram:poll"]
    assert TOKEN not in state["last_error"]
    assert state["failing_since"] is not None
    assert 'leadintake_channel_up{channel="telegram:poll"} 0.0' in exposition
    assert 'leadintake_channel_events_stored{channel="telegram:poll"} 0.0' in exposition
    assert 'leadintake_channel_failing_seconds{channel="telegram:poll"}' in exposition
