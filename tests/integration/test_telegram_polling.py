"""Telegram long polling against a local getUpdates stand-in: stored once, confirmed after.

The stand-in keeps Telegram's rule: an update is served again and again until a call's
`offset` rises above its update_id. At every such confirmation it counts the inbox rows, so a
poller confirming before it has stored would show up as a confirmed update with no row.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.telegram.polling import PollingConflict, UpdatesClient
from config import load_settings
from config.channel_settings import TelegramBotSettings
from crm_core.inbound import InboundSetup, Route
from crm_core.model import Lead, LeadFilter
from crm_core.storage import Storage
from intake.bootstrap import build_services
from intake.channel_polling import BACKOFF_MAX_SECONDS, BACKOFF_MIN_SECONDS, Backoff
from intake.clock import utcnow
from intake.inbox import InboxWriter
from intake.processing import InboundBatchHandler
from intake.telegram_polling import TelegramPoller, running_pollers
from intake.worker import InboxWorker
from tests.conftest import TEST_CONFIG
from tests.integration.polling_support import (
    handled_external_ids,
    running,
    sqlite_storage,
    wait_until,
)

__all__ = ["sqlite_storage"]  # the shared fixture, used by name
FIXTURES = Path(__file__).parents[1] / "channels" / "telegram" / "fixtures"
TOKEN = "123456789:AAE-polling-token_for-the-stand-in"
BOT = "sales"
# Lead-making updates, in update_id order (815372941, 42, 44, 46, 47), then a group message.
LEADS = ("text_message", "start_payload", "contact_own", "photo_caption", "document")
IGNORED = "group_message"  # 815372948
WEBHOOK_SET = (
    "Conflict: can't use getUpdates method while webhook is active;"
    " use deleteWebhook to delete the webhook first"
)


def update(name: str, update_id: int | None = None) -> dict[str, Any]:
    """A captured update, optionally under another update_id."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    if update_id is not None:
        data["update_id"] = update_id
    return data


def ids(*names: str) -> list[int]:
    return [update(n)["update_id"] for n in names]


def error_reply(code: int, description: str, retry_after: int | None = None) -> web.Response:
    """A Bot API error answer, exactly as Telegram writes it."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


@dataclass
class Call:
    """One getUpdates request as the stand-in received it."""

    offset: int | None
    timeout: int
    allowed_updates: list[str]
    at: float


@dataclass
class GetUpdatesStandIn:
    """The Bot API's getUpdates: holds updates until an offset confirms them.

    `faults` are applied to the next calls, one per call (None: answer normally).
    """

    storage: Storage | None = None
    per_call: int = 100
    token_valid: bool = True
    faults: list[str | None] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    accepted_ids: set[int] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, *updates: dict[str, Any]) -> None:
        """Queue updates as Telegram does when people write to the bot."""
        self.pending.extend(updates)
        self.arrived.set()

    def offsets(self) -> list[int | None]:
        """The offsets of successive calls, each change listed once."""
        seen: list[int | None] = []
        for call in self.calls:
            if not seen or seen[-1] != call.offset:
                seen.append(call.offset)
        return seen

    async def send_message(self, request: web.Request) -> web.StreamResponse:
        """sendMessage: the bot's auto-reply, recorded."""
        self.replies.append(await request.json())
        return web.json_response({"ok": True, "result": {"message_id": len(self.replies)}})

    async def get_updates(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        loop = asyncio.get_running_loop()
        self.calls.append(
            Call(body.get("offset"), body["timeout"], body["allowed_updates"], loop.time())
        )
        if request.match_info["token"] != TOKEN:
            return error_reply(404, "Not Found")
        if not self.token_valid:
            return error_reply(401, "Unauthorized")
        fault = self.faults.pop(0) if self.faults else None
        if fault == "webhook_set":
            return error_reply(409, WEBHOOK_SET)
        if fault == "bad_gateway":  # nginx in front of the Bot API: nothing reached it
            return web.Response(status=502, text="<html>502 Bad Gateway</html>")
        if fault == "flood":
            return error_reply(429, "Too Many Requests: retry after 1", retry_after=1)
        if fault == "lost":  # the call never reaches the Bot API
            await self.closing.wait()
        if fault == "hang_up":  # the Bot API's side goes away before it reads the call
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if body.get("offset") is not None:
            await self._confirm(body["offset"])
        # A poll arriving as the stand-in shuts down is answered at once, not held.
        if not self.pending and not self.closing.is_set():
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), body["timeout"])
        batch = self.pending[: min(self.per_call, body.get("limit", 100))]
        answer = json.dumps({"ok": True, "result": batch}, ensure_ascii=False).encode()
        if fault == "drop":  # answered and confirmed, but the connection breaks mid-answer
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = len(answer)
            await response.prepare(request)
            await response.write(answer[: len(answer) // 2])
            assert request.transport is not None
            request.transport.close()
            return response
        return web.Response(body=answer, content_type="application/json")

    async def _confirm(self, offset: int) -> None:
        """Forget updates below the offset, checking that the inbox holds every one of them."""
        confirming = [u["update_id"] for u in self.pending if u["update_id"] < offset]
        self.confirmed.extend(confirming)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if self.storage is None or not confirming:
            return
        async with self.storage.reader() as uow:
            rows = (await uow.inbox.stats()).pending  # no worker runs: every row is pending
        expected = len(self.accepted_ids & set(self.confirmed))
        if rows < expected:
            self.violations.append(f"offset {offset} confirmed {expected} leads, {rows} stored")


@asynccontextmanager
async def stand_in_server(
    stand_in: GetUpdatesStandIn,
) -> AsyncIterator[str]:
    """Serve the stand-in on loopback; yields the api_base."""
    app = web.Application()
    app.router.add_post("/bot{token}/getUpdates", stand_in.get_updates)
    app.router.add_post("/bot{token}/sendMessage", stand_in.send_message)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        stand_in.closing.set()
        stand_in.arrived.set()
        await server.close()


@dataclass
class Harness:
    """A stand-in, its api_base, the storage and what the pollers counted."""

    stand_in: GetUpdatesStandIn
    api_base: str
    storage: Storage
    writer: InboxWriter
    outcomes: Counter[str]

    def poller(self, backoff_max: float = 0.2) -> TelegramPoller:
        """A poller for the `sales` bot with a 1 s long poll and short backoff."""
        bot = TelegramBotSettings(BOT, token=TOKEN, mode="polling", api_base=self.api_base)
        return TelegramPoller(
            bot,
            self.writer,
            self.count,
            utcnow,
            poll_timeout=1,
            backoff_min=0.01,
            backoff_max=backoff_max,
        )

    def count(self, outcome: str) -> None:
        """The poller's metrics: outcomes counted here instead of in Prometheus."""
        self.outcomes[outcome] += 1

    def serve(self, *updates: dict[str, Any], accepted: bool = True) -> None:
        """Give updates to the stand-in; `accepted` ones must end up in the inbox."""
        if accepted:
            self.stand_in.accepted_ids.update(u["update_id"] for u in updates)
        self.stand_in.send(*updates)

    async def leads(self) -> list[Lead]:
        """Turn the inbox into leads with the real worker; every lead there is."""
        worker = InboxWorker(
            self.storage,
            InboundBatchHandler(InboundSetup(lambda _c, _s: Route("main", "main"), "RU")),
            batch=50,
            poll_seconds=0.05,
            max_attempts=3,
        )
        while await worker.drain_once():
            pass
        async with self.storage.reader() as uow:
            leads = await uow.leads.list(LeadFilter(), 100, None)
        assert {(lead.data.channel, lead.data.source) for lead in leads} <= {("telegram", BOT)}
        return leads

    async def leads_by_update(self) -> Counter[str]:
        """How many times each update_id went into a lead (its own, or as a message logged on
        the person's open lead), after the worker ran."""
        await self.leads()
        handled = await handled_external_ids(self.storage)
        return Counter({key.rpartition(":")[2]: n for key, n in handled.items()})


@asynccontextmanager
async def harness_on(storage: Storage, per_call: int = 100) -> AsyncIterator[Harness]:
    stand_in = GetUpdatesStandIn(storage, per_call=per_call)
    writer = InboxWriter(storage, max_batch=100)
    writer.start()
    try:
        async with stand_in_server(stand_in) as base:
            yield Harness(stand_in, base, storage, writer, Counter())
    finally:
        await writer.stop()
    assert stand_in.violations == []


@pytest.fixture
async def harness(storage: Storage) -> AsyncIterator[Harness]:
    """The stand-in and the inbox on each database."""
    async with harness_on(storage) as h:
        yield h


@pytest.fixture
async def sqlite_harness(sqlite_storage: Storage) -> AsyncIterator[Harness]:
    """The stand-in and the inbox on SQLite (for behaviour the database does not change)."""
    async with harness_on(sqlite_storage) as h:
        yield h


# --- The poller ---------------------------------------------------------------------------


async def test_updates_over_several_calls_become_leads_once(harness: Harness) -> None:
    harness.stand_in.per_call = 2
    harness.serve(*(update(name) for name in LEADS))
    harness.serve(update(IGNORED), accepted=False)
    later = update("start_bare", update_id=815372960)

    async with running(harness.poller()) as poller:
        await wait_until(lambda: harness.stand_in.offsets()[-1:] == [815372949])
        harness.serve(later)  # arrives while the poller waits in a long poll
        await wait_until(lambda: harness.stand_in.offsets()[-1:] == [815372961])
        assert poller.connected and poller.last_error is None
        assert poller.updates_stored == 6 and poller.last_event_at is not None

    # Each batch of two is confirmed by the next call, never by the one that fetched it.
    assert harness.stand_in.offsets() == [None, 815372943, 815372947, 815372949, 815372961]
    assert harness.stand_in.confirmed == [*ids(*LEADS), 815372948, 815372960]
    assert {(c.timeout, tuple(c.allowed_updates)) for c in harness.stand_in.calls} == {
        (1, ("message",))
    }
    assert harness.outcomes == Counter(accepted=6, ignored=1)
    leads = await harness.leads()
    # One processed inbox row per update; a person's later message is logged on their lead.
    assert await handled_external_ids(harness.storage) == Counter(
        f"{BOT}:{i}" for i in [*ids(*LEADS), 815372960]
    )
    [ivan] = [lead for lead in leads if lead.data.meta["update_id"] == "815372941"]
    async with harness.storage.reader() as uow:
        row = await uow.inbox.get(ivan.data.inbox_id)
    assert row is not None and row.channel == "telegram" and row.source == BOT
    assert row.external_id == "sales:815372941"
    assert row.payload == {"update": update("text_message")} and row.headers == {}


async def test_repeated_updates_are_stored_once(harness: Harness) -> None:
    first, second = update("text_message"), update("start_payload")
    harness.serve(first, second)
    # Poller A stores the batch, then "crashes": its confirming call never reaches Telegram.
    harness.stand_in.faults = [None, "lost"]
    async with running(harness.poller()) as crashing:
        await wait_until(lambda: len(harness.stand_in.calls) == 2)
        assert crashing.updates_stored == 2
    assert harness.stand_in.confirmed == []

    # Poller B starts without an offset: Telegram serves the batch again.
    async with running(harness.poller()) as poller:
        await wait_until(
            lambda: harness.stand_in.confirmed == ids("text_message", "start_payload")
        )
        # The same update twice in one answer, and once more in the next.
        harness.serve(update("photo_caption"), update("photo_caption"))
        await wait_until(lambda: len(harness.stand_in.confirmed) == 4)
        harness.serve(update("photo_caption"))
        await wait_until(lambda: len(harness.stand_in.confirmed) == 5)
        assert poller.updates_stored == 1

    assert harness.outcomes == Counter(accepted=3, duplicate=4)
    assert await harness.leads_by_update() == Counter(
        str(i) for i in ids("text_message", "start_payload", "photo_caption")
    )


async def test_bot_api_outages_lose_nothing(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = sqlite_harness
    h.stand_in.per_call = 2
    h.serve(*(update(name) for name in LEADS))
    # A 502 from the proxy, a connection closed before any answer, an answer cut in half
    # (the Bot API confirmed 41 and 42 and sent 44 and 46, which never arrive), and again.
    h.stand_in.faults = ["bad_gateway", None, "hang_up", "drop", "bad_gateway", None, "drop"]

    async with running(h.poller()) as poller:
        await wait_until(lambda: h.stand_in.confirmed == ids(*LEADS))
        assert poller.connected and poller.last_error is None

    assert h.stand_in.faults == []
    assert h.outcomes == Counter(accepted=5)
    assert await h.leads_by_update() == Counter(str(i) for i in ids(*LEADS))
    # Ours, not the stand-in server's access log (whose URL holds the token).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("intake."))
    assert "telegram_polling_failed bot=sales error=ChannelUnavailable" in ours
    assert "telegram_polling_recovered bot=sales" in ours
    for secret_or_personal in (TOKEN, "Иван", "Петров", "ivan_petrov", "9161234567", "окон"):
        assert secret_or_personal not in ours


async def test_flood_control_waits_as_told(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.serve(update("text_message"))
    h.stand_in.faults = ["flood"]

    async with running(h.poller()) as poller:
        await wait_until(lambda: len(h.stand_in.calls) == 1)
        await wait_until(lambda: poller.last_error is not None)
        assert poller.last_error == "telegram: flood control, retry in 1 s"
        assert not poller.connected
        await wait_until(lambda: poller.updates_stored == 1)

    flooded, retried = h.stand_in.calls[:2]
    assert retried.at - flooded.at >= 0.999  # retry_after, not the 0.01 s backoff
    assert await h.leads_by_update() == Counter(["815372941"])


async def test_refused_token_is_reported_and_retried_slowly(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.stand_in.token_valid = False

    async with running(h.poller(backoff_max=0.1)) as poller:
        await wait_until(lambda: len(h.stand_in.calls) >= 3)
        assert poller.running and not poller.connected
        assert poller.last_error is not None
        assert "bot token was refused (401 Unauthorized)" in poller.last_error
        assert TOKEN not in poller.last_error
        gaps = [b.at - a.at for a, b in itertools.pairwise(h.stand_in.calls)]
        assert min(gaps) >= 0.099  # the slow interval from the start, no quick retries
        # Someone fixes the token: polling resumes by itself.
        h.stand_in.token_valid = True
        h.serve(update("text_message"))
        await wait_until(lambda: poller.updates_stored == 1)
        assert poller.connected and poller.last_error is None

    assert await h.leads_by_update() == Counter(["815372941"])


async def test_backoff_doubles_to_its_cap_and_resets_after_success(
    sqlite_harness: Harness,
) -> None:
    h = sqlite_harness
    h.serve(update("text_message"))
    h.stand_in.faults = ["webhook_set", "bad_gateway", "webhook_set", None, "bad_gateway"]
    poller = h.poller(backoff_max=0.02)
    try:
        delays = [await poller.poll_once()]
        assert poller.last_error is not None and not poller.connected
        assert "(409 Conflict: can't use getUpdates method while webhook is active;" in (
            poller.last_error
        )
        assert "delete the bot's webhook (deleteWebhook)" in poller.last_error
        delays += [await poller.poll_once() for _ in range(4)]
    finally:
        await poller.close()
    assert delays == [0.01, 0.02, 0.02, 0.0, 0.01]
    assert poller.updates_stored == 1
    defaults = Backoff(BACKOFF_MIN_SECONDS, BACKOFF_MAX_SECONDS)
    assert [defaults.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


async def test_storage_outage_keeps_the_batch_unconfirmed(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    await h.writer.stop()  # the inbox cannot store: nothing may be confirmed
    h.serve(update("text_message"), update("start_payload"))

    async with running(h.poller()) as poller:
        await wait_until(lambda: len(h.stand_in.calls) >= 3)
        assert poller.last_error == "storage unavailable: inbox writer is not running"
        assert {c.offset for c in h.stand_in.calls} == {None}
        h.writer.start()
        await wait_until(lambda: len(h.stand_in.confirmed) == 2)

    assert h.outcomes == Counter(accepted=2)
    assert await h.leads_by_update() == Counter(
        str(i) for i in ids("text_message", "start_payload")
    )


async def test_running_pollers_polls_the_polling_bots(
    sqlite_storage: Storage, tmp_path: Path
) -> None:
    stand_in = GetUpdatesStandIn(sqlite_storage)
    stand_in.send(update("text_message"))
    stand_in.accepted_ids.add(815372941)
    async with stand_in_server(stand_in) as base:
        path = tmp_path / "leadintake.toml"
        bots = f"""
[[telegram.bots]]
name = "sales"
mode = "polling"
api_base = "{base}"

[[telegram.bots]]
name = "support"
"""
        path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + bots, "utf-8")
        settings = load_settings(path, environ={"LEADINTAKE_TELEGRAM_SALES_TOKEN": TOKEN})
        services = build_services(settings, sqlite_storage)
        services.writer.start()
        try:
            async with running_pollers(services) as pollers:
                assert list(pollers) == ["sales"]
                await wait_until(lambda: pollers["sales"].updates_stored == 1)
            assert not pollers["sales"].running and not pollers["sales"].connected
        finally:
            await services.writer.stop()
    accepted = services.metrics.registry.get_sample_value(
        "leadintake_intake_requests_total", {"channel": "telegram", "outcome": "accepted"}
    )
    assert accepted == 1
    assert stand_in.violations == []


# --- The Bot API client -------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def answering(reply: Callable[[], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """A server whose getUpdates always gives `reply`; yields the api_base."""

    async def handler(_request: web.Request) -> web.StreamResponse:
        return await reply()

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/getUpdates", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def replying(response: web.StreamResponse) -> Callable[[], Awaitable[web.StreamResponse]]:
    async def reply() -> web.StreamResponse:
        return response

    return reply


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            lambda: error_reply(401, "Unauthorized"),
            ChannelAuthFailed,
            "telegram: the bot token was refused (401 Unauthorized); check the token and api_base",
        ),
        (lambda: error_reply(404, "Not Found"), ChannelAuthFailed, "(404 Not Found)"),
        (lambda: error_reply(409, WEBHOOK_SET), PollingConflict, "(deleteWebhook) or stop"),
        (
            lambda: error_reply(429, "Too Many Requests: retry after 17", retry_after=17),
            ChannelUnavailable,
            "telegram: flood control, retry in 17 s",
        ),
        (
            lambda: web.Response(status=502, text="<html>502 Bad Gateway</html>"),
            ChannelUnavailable,
            "telegram: getUpdates failed (502 HTTP 502)",
        ),
        (
            lambda: error_reply(500, "Internal Server Error"),
            ChannelUnavailable,
            "(500 Internal Server Error)",
        ),
        (
            lambda: web.json_response({"ok": True, "result": [{"message": {}}]}),
            ChannelUnavailable,
            "malformed result",
        ),
        (lambda: web.Response(text="<html>hi</html>"), ChannelUnavailable, "(200 HTTP 200)"),
        (
            lambda: error_reply(400, f"Bad Request: wrong token {TOKEN}"),
            ChannelError,
            "telegram: getUpdates refused (400 Bad Request: wrong token ***)",
        ),
    ],
)
async def test_bot_api_failures_are_translated(
    reply: Callable[[], web.StreamResponse], error: type[ChannelError], message: str
) -> None:
    async with answering(replying(reply())) as base:
        client = UpdatesClient(TOKEN, base)
        try:
            with pytest.raises(ChannelError) as caught:
                await client.get_updates(None, 0)
        finally:
            await client.close()
    assert type(caught.value) is error
    assert message in str(caught.value)
    assert TOKEN not in str(caught.value)
    if isinstance(caught.value, ChannelUnavailable) and "flood" in message:
        assert caught.value.retry_after == 17


async def test_unreachable_bot_api_is_temporary() -> None:
    client = UpdatesClient(TOKEN, f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ChannelUnavailable) as caught:
            await client.get_updates(5, 0)
    finally:
        await client.close()
    assert str(caught.value) == "telegram: network error (ClientConnectorError)"
    assert caught.value.retry_after is None


async def test_silent_bot_api_times_out_as_temporary() -> None:
    release = asyncio.Event()

    async def hang() -> web.StreamResponse:
        await release.wait()
        return web.json_response({"ok": True, "result": []})

    async with answering(hang) as base:
        client = UpdatesClient(TOKEN, base, network_margin=0.1)
        try:
            with pytest.raises(ChannelUnavailable) as caught:
                await client.get_updates(None, 0)
        finally:
            release.set()
            await client.close()
    assert str(caught.value) == "telegram: getUpdates timed out"


async def test_the_bot_answers_each_new_message_once_after_storing_it(harness: Harness) -> None:
    # The same update twice, as after a crash between storing and confirming it.
    harness.serve(update("text_message"), update("text_message"), update("contact_own"))
    async with running(harness.poller()) as poller:
        await wait_until(lambda: poller.updates_stored == 2 and len(harness.stand_in.calls) >= 2)
        assert harness.outcomes["duplicate"] == 1
    # One greeting for the conversation: the phone shared right after is not answered again.
    [first] = harness.stand_in.replies
    assert first["chat_id"] == 482915736 and "менеджер скоро ответит" in first["text"]
    assert first["reply_markup"]["keyboard"][0][0]["request_contact"] is True
