"""Kill -9 the service between storing a manager's reply and sending it: the client still gets
it exactly once, from the restarted service, once the dead one's lease runs out.

The journey runs over real HTTP: the client's Telegram update arrives on the bot's webhook in
Telegram's wire format, the manager answers through the API, and the service sends to a Bot
API stand-in on localhost. The stand-in leaves the first sendMessage unanswered until the
service has been killed, so the kill lands while it is sending, not before or after (no timing
involved); that call is cut off and not delivered. The lease is shortened through
`[replies] lease_seconds`.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import pg_schema
from tests.crash.test_sigkill import ServerProcess, poll
from tests.integration.replies_support import (
    TELEGRAM_TOKEN,
    PlatformStandIn,
    platform_stand_in,
    wait_for,
)

FIXTURE = Path(__file__).parents[1] / "channels" / "telegram" / "fixtures" / "text_message.json"
TELEGRAM_SECRET = "wh-Crash_9d2c"
CHAT_ID = 482915736  # the fixture's sender
TEXT = "Здравствуйте! Установка трёх окон — от 36 000 ₽, замерщик приедет завтра."
# Short, for the test to be quick; long enough that the service is killed well within the
# 80 % of it a send may take.
LEASE_SECONDS = 3


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database for the service: a SQLite file or a PostgreSQL schema (named in the
    URL's search_path), migrated by the test through the CLI."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'replies.sqlite3'}"
        return
    async with pg_schema() as (url, schema):
        yield f"{url}{'&' if '?' in url else '?'}search_path={schema}"


def service(tmp_path: Path, stand_in: PlatformStandIn, database_url: str) -> ServerProcess:
    """The service with the clients' bot "sales" sending through the stand-in."""
    extra = f"""
[replies]
lease_seconds = {LEASE_SECONDS}

[[telegram.bots]]
name = "sales"
auto_reply = ""
api_base = "{stand_in.telegram_api_base}"
"""
    env = {
        "LEADINTAKE_DATABASE_URL": database_url,
        "LEADINTAKE_TELEGRAM_SALES_TOKEN": TELEGRAM_TOKEN,
        "LEADINTAKE_TELEGRAM_SALES_SECRET": TELEGRAM_SECRET,
    }
    return ServerProcess(tmp_path, extra, env)


def token(proc: ServerProcess, login: str) -> dict[str, str]:
    """A new API token of a login, as an Authorization header (in a thread: the stand-in
    answers in the test's event loop)."""
    created = proc.cli("token", "create", "--manager", login).strip().splitlines()[-1]
    return {"Authorization": f"Bearer {created}"}


@pytest.mark.timeout(90)
async def test_a_reply_killed_mid_send_reaches_the_client_once_after_a_restart(
    tmp_path: Path, database_url: str
) -> None:
    timeout = aiohttp.ClientTimeout(total=10)
    async with platform_stand_in() as stand_in, aiohttp.ClientSession(timeout=timeout) as session:
        proc = service(tmp_path, stand_in, database_url)
        await asyncio.to_thread(proc.cli, "migrate")
        try:
            proc.start()
            head = await asyncio.to_thread(token, proc, "head")  # while the service starts
            await proc.wait_ready(session)

            # A client writes to the bot; the lead is assigned to a manager.
            headers = {
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
            }
            async with session.post(
                f"{proc.base}/hooks/telegram/sales", data=FIXTURE.read_bytes(), headers=headers
            ) as r:
                assert r.status == 200, await r.text()
            page = await poll(
                session,
                f"{proc.base}/api/v1/leads",
                lambda body: body["items"] and body["items"][0]["assignee"],
                timeout=10,
                headers=head,
            )
            [lead] = page["items"]
            manager = await asyncio.to_thread(token, proc, lead["assignee"])

            # The manager answers; the service stores the reply and starts sending it, and the
            # platform does not answer.
            stand_in.telegram_unanswered = 1
            async with session.post(
                f"{proc.base}/api/v1/conversations/lead/{lead['id']}/messages",
                json={"text": TEXT},
                headers=manager,
            ) as r:
                assert r.status == 202, await r.text()
                queued = await r.json()
            assert (queued["state"], queued["channel"]) == ("queued", "telegram")
            # Killed at once: the service abandons a send unanswered at 80 % of its lease.
            await wait_for(lambda: stand_in.telegram_calls, timeout=10)
            proc.kill()
            assert proc.process is not None and proc.process.returncode == -signal.SIGKILL
            stand_in.telegram_hang_up.set()  # the call is cut off: nobody is left to answer
            await wait_for(lambda: stand_in.telegram_hung_up == 1, timeout=10)
            assert stand_in.telegram_delivered == []

            # Restarted, the service sends it again once the dead process's lease runs out.
            proc.start()
            answered = await poll(
                session,
                f"{proc.base}/api/v1/conversations/lead/{lead['id']}/messages",
                lambda body: body["items"][-1]["state"] != "queued",
                timeout=LEASE_SECONDS + 20,
                headers=manager,
            )
            sent = answered["items"][-1]
            assert (sent["message_id"], sent["state"]) == (queued["id"], "sent")
            assert sent["text"] == TEXT
            assert sent["sent_at"] is not None
            assert stand_in.telegram_delivered == [{"chat_id": CHAT_ID, "text": TEXT}]
            assert [c["text"] for c in stand_in.telegram_calls] == [TEXT, TEXT]
            assert stand_in.telegram_hung_up == 1 and stand_in.wrong_tokens == 0
        finally:
            proc.kill()
