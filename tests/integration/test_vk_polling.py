"""VK Bots Long Poll against a local stand-in: stored once, ts moved after, `failed` recovered.

The stand-in serves `groups.getLongPollServer` (through vk-api, pointed at it by `api_base`)
and the a_check endpoint in VK's exact JSON. Events are numbered: an a_check with ts=N gets
the events from N on and the next ts. Whenever a call's ts moves past events, it counts the
inbox rows, so a poller moving ts before it has stored shows up as a violation.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.vk.longpoll import BotsLongPollClient, PollFailed, Updates
from config import load_settings
from config.channel_settings import VkGroupSettings
from config.reader import ConfigError
from crm_core.inbound import InboundSetup, Route
from crm_core.model import InboxReceipt, Lead, LeadFilter, NewInboxItem
from crm_core.storage import Storage, StorageUnavailable
from intake.bootstrap import build_services
from intake.clock import utcnow
from intake.inbox import InboxWriter
from intake.processing import InboundBatchHandler
from intake.vk_polling import VkPoller, running_vk_pollers
from intake.worker import InboxWorker
from tests.conftest import TEST_CONFIG
from tests.integration.polling_support import (
    handled_external_ids,
    running,
    sqlite_storage,
    wait_until,
)

__all__ = ["sqlite_storage"]  # the shared fixture, used by name
FIXTURES = Path(__file__).parents[1] / "channels" / "vk" / "fixtures"
GROUP = 218765432
TOKEN = "vk1.a.community-token_for-the-stand-in"
AUTH_FAILED = "User authorization failed: invalid access_token (4)."


def event(name: str, event_id: str) -> dict[str, Any]:
    """A captured Callback API event as Long Poll sends it: no secret, its own event_id."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    data.pop("secret", None)
    data["event_id"] = event_id
    return data


def leads(*event_ids: str) -> list[dict[str, Any]]:
    """message_new events (a lead each) under the given event ids."""
    return [event("message_new", i) for i in event_ids]


def api_error(code: int, message: str) -> web.Response:
    """A VK API error answer, exactly as VK writes it (HTTP 200)."""
    params = [{"key": "group_id", "value": str(GROUP)}, {"key": "v", "value": "5.199"}]
    return web.json_response(
        {"error": {"error_code": code, "error_msg": message, "request_params": params}}
    )


@dataclass
class Check:
    """One a_check request as the stand-in received it."""

    key: str
    ts: str
    wait: int
    at: float


@dataclass
class LongPollStandIn:
    """groups.getLongPollServer and a_check: numbered events, keys that expire, faults.

    `faults` apply to the next a_check calls and `api_faults` to the next getLongPollServer
    calls, one per call (None: answer normally).
    """

    storage: Storage | None = None
    base: str = ""
    per_call: int = 100
    token_valid: bool = True
    events: list[dict[str, Any]] = field(default_factory=list)
    forget_before: int = 0  # events below this index are gone from VK's history
    start_ts: int | None = None  # getLongPollServer's ts (None: now, past every event)
    faults: list[str | None] = field(default_factory=list)
    api_faults: list[str | None] = field(default_factory=list)
    key_number: int = 0
    keys_issued: list[str] = field(default_factory=list)
    server_calls: list[dict[str, str]] = field(default_factory=list)
    server_times: list[float] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    accepted_ids: set[str] = field(default_factory=set)
    passed: set[int] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def key(self) -> str:
        return f"key-{self.key_number}"

    def send(self, *events: dict[str, Any], accepted: bool = True) -> None:
        """Events happen in the community; `accepted` ones must end up in the inbox."""
        if accepted:
            self.accepted_ids.update(e["event_id"] for e in events)
        self.events.extend(events)
        self.arrived.set()

    def check_ts(self) -> list[str]:
        """The ts of successive a_check calls, each change listed once."""
        return [ts for ts, _ in itertools.groupby(c.ts for c in self.checks)]

    async def get_server(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.server_calls.append({k: str(v) for k, v in form.items()})
        self.server_times.append(asyncio.get_running_loop().time())
        fault = self.api_faults.pop(0) if self.api_faults else None
        if form.get("access_token") != TOKEN or not self.token_valid:
            return api_error(5, AUTH_FAILED)
        if fault == "internal":
            return api_error(10, "Internal server error: could not get server")
        if fault == "too_many":
            return api_error(6, "Too many requests per second")
        if fault == "bad_gateway":
            return web.Response(status=502, text="<html>502 Bad Gateway</html>")
        assert form["group_id"] == str(GROUP) and form["v"] == "5.199"
        self.key_number += 1
        self.keys_issued.append(self.key)
        ts = self.start_ts if self.start_ts is not None else len(self.events)
        self.start_ts = None
        server = f"{self.base}/wh{GROUP}"
        return web.json_response({"response": {"key": self.key, "server": server, "ts": str(ts)}})

    async def a_check(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        assert q["act"] == "a_check"
        ts = int(q["ts"])
        self.checks.append(
            Check(q["key"], q["ts"], int(q["wait"]), asyncio.get_running_loop().time())
        )
        fault = self.faults.pop(0) if self.faults else None
        if fault == "failed1":
            return web.json_response({"failed": 1, "ts": self.forget_before})
        if fault == "failed2":
            self.key_number += 1  # the key expires: the old one is refused from now on
            return web.json_response({"failed": 2})
        if fault == "failed3":
            self.key_number += 1
            return web.json_response({"failed": 3})
        if fault == "bad_gateway":
            return web.Response(status=502, text="<html>502 Bad Gateway</html>")
        if fault == "lost":
            await self.closing.wait()
        if fault == "hang_up":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if q["key"] != self.key:
            return web.json_response({"failed": 2})
        if ts < self.forget_before:
            return web.json_response({"failed": 1, "ts": self.forget_before})
        await self._passed(ts)
        # A poll arriving as the stand-in shuts down is answered at once, not held for `wait`.
        if ts >= len(self.events) and not self.closing.is_set():
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), int(q["wait"]))
        batch = self.events[ts : ts + self.per_call]
        answer = json.dumps(
            {"ts": str(ts + len(batch)), "updates": batch}, ensure_ascii=False
        ).encode()
        if fault == "drop":  # the answer breaks off halfway
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = len(answer)
            await response.prepare(request)
            await response.write(answer[: len(answer) // 2])
            assert request.transport is not None
            request.transport.close()
            return response
        return web.Response(body=answer, content_type="application/json")

    async def _passed(self, ts: int) -> None:
        """A call from ts on leaves the events below it behind: the inbox must hold them."""
        passing = set(range(min(ts, len(self.events)))) - self.passed
        self.passed |= passing
        if self.storage is None or not passing:
            return
        async with self.storage.reader() as uow:
            rows = (await uow.inbox.stats()).pending  # no worker runs: every row is pending
        expected = {
            e["event_id"]
            for i, e in enumerate(self.events)
            if i in self.passed and i >= self.forget_before
        }
        expected &= self.accepted_ids
        if rows < len(expected):
            self.violations.append(f"ts {ts} passed {len(expected)} leads, {rows} stored")


@asynccontextmanager
async def stand_in_server(stand_in: LongPollStandIn) -> AsyncIterator[str]:
    """Serve the stand-in on loopback; yields the api_base."""
    app = web.Application()
    app.router.add_post("/method/groups.getLongPollServer", stand_in.get_server)
    app.router.add_get(f"/wh{GROUP}", stand_in.a_check)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    stand_in.base = str(server.make_url("")).rstrip("/")
    try:
        yield f"{stand_in.base}/method"
    finally:
        stand_in.closing.set()
        stand_in.arrived.set()
        await server.close()


@dataclass
class Harness:
    """A stand-in, its api_base, the storage and what the pollers counted."""

    stand_in: LongPollStandIn
    api_base: str
    storage: Storage
    writer: InboxWriter
    outcomes: Counter[str]

    def poller(
        self, backoff_max: float = 0.2, writer: Any = None, *, keep_ts: bool = False
    ) -> VkPoller:
        """A poller for the community with a 1 s long poll and short backoff."""
        group = VkGroupSettings(
            GROUP, "", mode="longpoll", access_token=TOKEN, api_base=self.api_base
        )
        return VkPoller(
            group,
            writer or self.writer,
            self.count,
            utcnow,
            wait=1,
            backoff_min=0.01,
            backoff_max=backoff_max,
            storage=self.storage if keep_ts else None,
        )

    def count(self, outcome: str) -> None:
        """The poller's metrics: outcomes counted here instead of in Prometheus."""
        self.outcomes[outcome] += 1

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
            found = await uow.leads.list(LeadFilter(), 100, None)
        assert {(lead.data.channel, lead.data.source) for lead in found} <= {("vk", str(GROUP))}
        return found

    async def leads_by_event(self) -> Counter[str]:
        """How many times each event_id went into a lead (after the worker ran)."""
        await self.leads()
        handled = await handled_external_ids(self.storage)
        return Counter({key.rpartition(":")[2]: n for key, n in handled.items()})


@asynccontextmanager
async def harness_on(storage: Storage) -> AsyncIterator[Harness]:
    stand_in = LongPollStandIn(storage)
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


# --- The poller -----------------------------------------------------------------------------


async def test_events_are_stored_once_and_ts_moves_only_after(harness: Harness) -> None:
    h = harness
    h.stand_in.per_call = 2
    h.stand_in.start_ts = 0
    h.stand_in.send(*leads("e0", "e1", "e2"))
    h.stand_in.send(event("message_reply", "r0"), accepted=False)
    h.stand_in.send(*leads("e3"))

    async with running(h.poller()) as poller:
        await wait_until(lambda: h.stand_in.check_ts()[-1:] == ["5"])
        h.stand_in.send(*leads("e5"))  # arrives while the poller waits in a long poll
        await wait_until(lambda: h.stand_in.check_ts()[-1:] == ["6"])
        assert poller.connected and poller.last_error is None
        assert poller.updates_stored == 5 and poller.last_event_at is not None

    assert h.stand_in.check_ts() == ["0", "2", "4", "5", "6"]
    assert {(c.key, c.wait) for c in h.stand_in.checks} == {("key-1", 1)}
    assert h.outcomes == Counter(accepted=5, ignored=1)
    assert await h.leads_by_event() == Counter(["e0", "e1", "e2", "e3", "e5"])
    [first] = [lead for lead in await h.leads() if lead.data.meta["event_id"] == "e0"]
    async with h.storage.reader() as uow:
        row = await uow.inbox.get(first.data.inbox_id)
    assert row is not None and (row.channel, row.source) == ("vk", str(GROUP))
    assert row.external_id == f"{GROUP}:e0"  # as the Callback API stores it
    assert row.payload == {"update": event("message_new", "e0")} and row.headers == {}


class FailingOnce:
    """The inbox writer, failing the first store of the given external ids."""

    def __init__(self, writer: InboxWriter, *external_ids: str) -> None:
        self._writer = writer
        self._fail = set(external_ids)

    async def store(self, item: NewInboxItem) -> InboxReceipt:
        """Store, or raise StorageUnavailable once for the chosen items."""
        if item.external_id in self._fail:
            self._fail.discard(item.external_id)
            raise StorageUnavailable("disk full")
        return await self._writer.store(item)


async def test_repeated_events_are_stored_once(harness: Harness) -> None:
    h = harness
    h.stand_in.start_ts = 0
    # e1 fails to store after e0 was committed: ts stays, the answer is read again.
    h.stand_in.send(*leads("e0", "e1"))
    poller = h.poller(writer=FailingOnce(h.writer, f"{GROUP}:e1"))
    try:
        assert await poller.poll_once() == 0.01
        assert poller.last_error == "storage unavailable: disk full"
        assert await poller.poll_once() == 0.0
        # The same event twice in one answer and once more in the next (VK redelivers).
        h.stand_in.send(*leads("e2", "e2"))
        assert await poller.poll_once() == 0.0
        h.stand_in.send(*leads("e2"))
        assert await poller.poll_once() == 0.0
    finally:
        await poller.close()

    assert [c.ts for c in h.stand_in.checks] == ["0", "0", "2", "4"]
    assert poller.updates_stored == 3
    assert h.outcomes == Counter(accepted=3, duplicate=3)
    assert await h.leads_by_event() == Counter(["e0", "e1", "e2"])


async def test_failed_1_goes_on_from_vks_ts(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = sqlite_harness
    h.stand_in.start_ts = 0
    h.stand_in.send(*leads("e0", "e1", "e2"))
    h.stand_in.forget_before = 1  # e0 dropped out of VK's history before it was read
    h.stand_in.accepted_ids.discard("e0")
    h.stand_in.faults = ["failed1"]
    poller = h.poller()
    try:
        assert [await poller.poll_once() for _ in range(2)] == [0.0, 0.0]
    finally:
        await poller.close()

    assert h.stand_in.check_ts() == ["0", "1"]
    assert h.stand_in.keys_issued == ["key-1"]
    assert await h.leads_by_event() == Counter(["e1", "e2"])
    assert f"vk_longpoll_history_lost group={GROUP} ts=0 new_ts=1" in caplog.text


async def test_failed_2_gets_a_new_key_and_keeps_ts(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.stand_in.start_ts = 0
    h.stand_in.send(*leads("e0"))
    poller = h.poller()
    try:
        assert await poller.poll_once() == 0.0
        h.stand_in.send(*leads("e1", "e2"))
        h.stand_in.faults = ["failed2"]
        assert [await poller.poll_once() for _ in range(2)] == [0.0, 0.0]
    finally:
        await poller.close()

    assert [(c.key, c.ts) for c in h.stand_in.checks] == [
        ("key-1", "0"),
        ("key-1", "1"),
        ("key-3", "1"),  # key-2 expired with the failed 2; the new key, the same ts
    ]
    assert len(h.stand_in.server_calls) == 2
    assert await h.leads_by_event() == Counter(["e0", "e1", "e2"])


async def test_failed_3_gets_a_new_key_and_ts(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.stand_in.start_ts = 0
    h.stand_in.send(*leads("e0", "e1"))
    poller = h.poller()
    try:
        assert await poller.poll_once() == 0.0
        h.stand_in.faults = ["failed3"]
        assert await poller.poll_once() == 0.0
        h.stand_in.start_ts = 2
        h.stand_in.send(*leads("e2"))
        assert await poller.poll_once() == 0.0
    finally:
        await poller.close()

    assert [(c.key, c.ts) for c in h.stand_in.checks] == [
        ("key-1", "0"),
        ("key-1", "2"),
        ("key-3", "2"),  # the ts of the new getLongPollServer answer
    ]
    assert await h.leads_by_event() == Counter(["e0", "e1", "e2"])


async def test_vk_outages_lose_nothing(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = sqlite_harness
    h.stand_in.per_call = 2
    h.stand_in.start_ts = 0
    h.stand_in.send(*leads("e0", "e1", "e2", "e3", "e4"))
    h.stand_in.api_faults = ["bad_gateway", "internal", "too_many"]
    h.stand_in.faults = ["bad_gateway", None, "hang_up", "drop", "bad_gateway", None, "drop"]

    async with running(h.poller()) as poller:
        await wait_until(lambda: h.stand_in.check_ts()[-1:] == ["5"])
        assert poller.connected and poller.last_error is None

    assert h.stand_in.faults == [] and h.stand_in.api_faults == []
    assert h.outcomes == Counter(accepted=5)
    assert await h.leads_by_event() == Counter(["e0", "e1", "e2", "e3", "e4"])
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("intake."))
    assert f"vk_polling_failed group={GROUP} error=ChannelUnavailable" in ours
    assert "(10 Internal server error" in ours and "(6 Too many requests" in ours
    assert f"vk_polling_recovered group={GROUP}" in ours
    for secret_or_personal in (TOKEN, "key-1", "+7 916", "Здравствуйте", "48392017"):
        assert secret_or_personal not in ours


async def test_refused_token_is_reported_and_retried_slowly(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.stand_in.token_valid = False

    async with running(h.poller(backoff_max=0.1)) as poller:
        await wait_until(lambda: len(h.stand_in.server_calls) >= 3)
        assert poller.running and not poller.connected
        assert poller.last_error is not None
        assert f"access token was refused (5 {AUTH_FAILED})" in poller.last_error
        assert TOKEN not in poller.last_error
        assert h.stand_in.checks == []
        gaps = [b - a for a, b in itertools.pairwise(h.stand_in.server_times)]
        assert min(gaps) >= 0.099  # the slow interval from the start, no quick retries
        # Someone fixes the token: polling resumes by itself.
        h.stand_in.start_ts = 0
        h.stand_in.token_valid = True
        h.stand_in.send(*leads("e0"))
        await wait_until(lambda: poller.updates_stored == 1)
        assert poller.connected and poller.last_error is None

    assert await h.leads_by_event() == Counter(["e0"])


async def test_running_vk_pollers_polls_the_longpoll_communities(
    sqlite_storage: Storage, tmp_path: Path
) -> None:
    stand_in = LongPollStandIn(sqlite_storage, start_ts=0)
    stand_in.send(*leads("e0"))
    async with stand_in_server(stand_in) as base:
        path = tmp_path / "leadintake.toml"
        groups = f"""
[[vk.groups]]
group_id = {GROUP}
mode = "longpoll"
api_base = "{base}"

[[vk.groups]]
group_id = 42
confirmation = "a1b2c3"
"""
        path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + groups, "utf-8")
        settings = load_settings(path, environ={f"LEADINTAKE_VK_{GROUP}_TOKEN": TOKEN})
        services = build_services(settings, sqlite_storage)
        services.writer.start()
        try:
            async with running_vk_pollers(services) as pollers:
                assert list(pollers) == [GROUP]
                await wait_until(lambda: pollers[GROUP].updates_stored == 1)
            assert not pollers[GROUP].running and not pollers[GROUP].connected
        finally:
            await services.writer.stop()
    accepted = services.metrics.registry.get_sample_value(
        "leadintake_intake_requests_total", {"channel": "vk", "outcome": "accepted"}
    )
    assert accepted == 1
    assert stand_in.violations == []


# --- Settings -------------------------------------------------------------------------------


def test_longpoll_settings_read_the_token_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "leadintake.toml"
    extra = '\n[[vk.groups]]\ngroup_id = 77\nmode = "longpoll"\n'
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    [group] = load_settings(path, environ={"LEADINTAKE_VK_77_TOKEN": "t"}).vk_groups
    assert (group.mode, group.access_token, group.confirmation) == ("longpoll", "t", "")
    assert group.api_base == "https://api.vk.com/method"
    assert "access_token" not in repr(group)
    with pytest.raises(ConfigError, match=r"vk\.groups\[0\]\.mode: longpoll needs the"):
        load_settings(path, environ={})


# --- The client ------------------------------------------------------------------------------


@asynccontextmanager
async def api_answering(reply: web.Response) -> AsyncIterator[str]:
    """A getLongPollServer that always gives `reply`; yields the api_base."""

    async def handler(_request: web.Request) -> web.Response:
        return reply

    app = web.Application()
    app.router.add_post("/method/groups.getLongPollServer", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/method"))
    finally:
        await server.close()


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            lambda: api_error(5, AUTH_FAILED),
            ChannelAuthFailed,
            f"vk: the access token was refused (5 {AUTH_FAILED}); check the community's token",
        ),
        (lambda: api_error(27, "Group authorization failed"), ChannelAuthFailed, "(27 Group"),
        (lambda: api_error(29, "Rate limit reached"), ChannelUnavailable, "(29 Rate limit"),
        (lambda: api_error(9, "Flood control"), ChannelUnavailable, "(9 Flood control)"),
        (
            lambda: api_error(100, f"One of the parameters is invalid: {TOKEN}"),
            ChannelError,
            "vk: groups.getLongPollServer refused (100 One of the parameters is invalid: ***)",
        ),
        (
            lambda: web.Response(status=503, text="<html>503</html>"),
            ChannelUnavailable,
            "vk: groups.getLongPollServer failed (HTTP 503)",
        ),
        (
            lambda: web.json_response({"response": {"server": "x"}}),
            ChannelUnavailable,
            "answered without a server and key",
        ),
        (lambda: web.Response(text="<html>hi</html>"), ChannelUnavailable, "network error"),
    ],
)
async def test_api_failures_are_translated(
    reply: Callable[[], web.Response], error: type[ChannelError], message: str
) -> None:
    async with api_answering(reply()) as base:
        client = BotsLongPollClient(GROUP, TOKEN, base)
        try:
            with pytest.raises(ChannelError) as caught:
                await client.get_server()
        finally:
            await client.close()
    assert type(caught.value) is error
    assert message in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_check_answers_are_read_as_vk_writes_them(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.stand_in.start_ts = 0
    h.stand_in.send(*leads("e0"))
    client = BotsLongPollClient(GROUP, TOKEN, h.api_base)
    try:
        server = await client.get_server()
        assert (server.server, server.ts) == (f"{h.stand_in.base}/wh{GROUP}", "0")
        assert "key-1" not in repr(server)
        assert await client.check(server, "0", 1) == Updates("1", leads("e0"))
        h.stand_in.faults = ["failed1", "failed2", "failed3"]
        assert [await client.check(server, "0", 1) for _ in range(3)] == [
            PollFailed(1, "0"),
            PollFailed(2),
            PollFailed(3),
        ]
    finally:
        await client.close()


async def test_events_sent_while_the_service_was_down_are_fetched_after_a_restart(
    harness: Harness,
) -> None:
    harness.stand_in.send(*leads("e0", "e1"))
    harness.stand_in.start_ts = 0
    async with running(harness.poller(keep_ts=True)) as first:
        await wait_until(lambda: first.updates_stored == 2)
        await wait_until(lambda: harness.stand_in.check_ts()[-1:] == ["2"])
    # Down for a while: two people write; a fresh getLongPollServer ts is past them.
    harness.stand_in.send(*leads("e2", "e3"))
    async with running(harness.poller(keep_ts=True)) as second:
        await wait_until(lambda: second.updates_stored == 2)
    # The second run asked from the saved ts, not from the fresh server's 4.
    assert harness.stand_in.check_ts()[:2] == ["0", "2"]
    assert len(harness.stand_in.server_calls) == 2
    assert await harness.leads_by_event() == Counter(["e0", "e1", "e2", "e3"])
