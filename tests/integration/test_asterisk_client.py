"""The Asterisk poller against a local AMI server, storing into real SQLite and PostgreSQL.

A call's events go into the inbox once each; a connection dropped mid-call is reopened with
backoff and the rest of the call stored; events repeated or reordered add nothing; a wrong
secret is reported in the poller's state without ending it.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.telephony.asterisk.adapter import map_event
from channels.telephony.model import CallEvent
from config import load_settings
from config.asterisk_settings import AsteriskSettings
from crm_core.model import InboxItem, InboxReceipt, NewInboxItem
from crm_core.storage import Storage, StorageUnavailable
from intake.asterisk_client import AsteriskPoller, adapter_spec, running_asterisk_clients
from intake.bootstrap import build_services
from intake.clock import utcnow
from intake.http.app import create_app
from intake.inbox import InboxWriter
from tests.channels.telephony.asterisk.ami_server import (
    SECRET,
    USERNAME,
    AmiServer,
    ami_server,
    fixture_events,
)
from tests.conftest import TEST_CONFIG
from tests.integration.polling_support import running, sqlite_storage, wait_until

__all__ = ["sqlite_storage"]  # the shared fixture, used by name
CALL = "office:1732540812.84"


def call_events(name: str) -> list[CallEvent]:
    """What the adapter makes of a fixture (received time only matters without Timestamp)."""
    spec = adapter_spec(pbx_settings(0))
    now = datetime(2024, 11, 25, 14, 0, tzinfo=UTC)
    return [
        r
        for e in fixture_events(name)
        if isinstance(r := map_event(spec, e, received_at=now), CallEvent)
    ]


def pbx_settings(port: int, secret: str = SECRET) -> AsteriskSettings:
    """The PBX on the local server: quick pings so a test never waits long."""
    return AsteriskSettings(
        name="office",
        host="127.0.0.1",
        username=USERNAME,
        port=port,
        secret=secret,
        ping_seconds=0.5,
        connect_timeout=2.0,
    )


class FailingOnce:
    """The inbox writer, failing its first store with StorageUnavailable."""

    def __init__(self, writer: InboxWriter) -> None:
        self._writer = writer
        self.failed = False

    async def store(self, item: NewInboxItem) -> InboxReceipt:
        """Store, or raise once."""
        if not self.failed:
            self.failed = True
            raise StorageUnavailable("disk full")
        return await self._writer.store(item)


@dataclass
class Harness:
    """The AMI server, the storage, its inbox writer and what the poller counted."""

    server: AmiServer
    storage: Storage
    writer: InboxWriter
    outcomes: Counter[str]

    def poller(self, secret: str = SECRET, writer: Any = None) -> AsteriskPoller:
        """A poller of the local PBX with tiny backoff."""
        return AsteriskPoller(
            pbx_settings(self.server.port, secret),
            writer or self.writer,
            self.count,
            utcnow,
            backoff_min=0.05,
            backoff_max=0.2,
        )

    def count(self, outcome: str) -> None:
        """The poller's metrics, counted here."""
        self.outcomes[outcome] += 1

    async def rows(self) -> list[InboxItem]:
        """Every inbox row (no worker runs: all are pending)."""
        async with self.storage.reader() as uow:
            return await uow.inbox.peek_pending(1000, utcnow())


@pytest.fixture
async def harness(storage: Storage) -> AsyncIterator[Harness]:
    """The AMI server and the inbox on each database."""
    writer = InboxWriter(storage, max_batch=100)
    writer.start()
    try:
        async with ami_server() as server:
            yield Harness(server, storage, writer, Counter())
    finally:
        await writer.stop()


@pytest.fixture
async def sqlite_harness(sqlite_storage: Storage) -> AsyncIterator[Harness]:
    """The same on SQLite only (for behaviour the database does not change)."""
    writer = InboxWriter(sqlite_storage, max_batch=100)
    writer.start()
    try:
        async with ami_server() as server:
            yield Harness(server, sqlite_storage, writer, Counter())
    finally:
        await writer.stop()


async def test_a_whole_call_becomes_its_inbox_rows(harness: Harness) -> None:
    h = harness
    expected = call_events("inbound_answered")
    async with running(h.poller()) as poller:
        await h.server.wait_login()
        await h.server.send(*fixture_events("inbound_answered"))
        await wait_until(lambda: poller.updates_stored == len(expected))
        assert poller.connected and poller.last_error is None
        assert poller.last_event_at is not None
    assert not poller.connected

    rows = await h.rows()
    assert sorted(r.external_id for r in rows) == sorted(e.external_id for e in expected)
    assert {(r.channel, r.source) for r in rows} == {("call", "asterisk")}
    by_id = {r.external_id: r for r in rows}
    for event in expected:
        row = by_id[event.external_id]
        assert CallEvent.from_meta(row.event["meta"]) == event
        assert row.payload["update"]["Event"] in {"Newchannel", "Newstate", "DialEnd",
                                                   "BridgeEnter", "Hangup", "Cdr"}  # fmt: skip
        assert row.headers == {}
    summary = by_id[f"asterisk:{CALL}:cdr:1732540812.84:PJSIP/101-0000002b"]
    assert summary.payload["update"]["Disposition"] == "ANSWERED"
    assert summary.event["person"]["phone"] == "79161234567"
    assert h.outcomes == Counter(accepted=len(expected))


async def test_a_drop_mid_call_reconnects_and_stores_every_event_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    raw = fixture_events("outbound")
    expected = call_events("outbound")
    halfway = next(i for i, e in enumerate(raw) if e["Event"] == "BridgeEnter")
    caplog.set_level(logging.INFO)
    async with running(h.poller()) as poller:
        await h.server.wait_login()
        # The first half arrives and the PBX goes away at once, before anything is stored:
        # what was received is stored all the same.
        await h.server.send(*raw[:halfway])
        await h.server.drop()
        await h.server.wait_login(count=2)
        first_half = {e.external_id for e in call_events("outbound")[:3]}
        await wait_until(lambda: poller.updates_stored == len(first_half))
        await h.server.send(*raw[halfway:])
        await wait_until(lambda: poller.updates_stored == len(expected))
        assert poller.logins == 2 and poller.connected and poller.last_error is None

    assert h.server.connections == 2
    assert sorted(r.external_id for r in await h.rows()) == sorted(e.external_id for e in expected)
    assert "asterisk_ami_failed pbx=office error=ChannelUnavailable retry_in=0.05" in caplog.text
    assert "79161234567" not in caplog.text and "89161234567" not in caplog.text
    assert SECRET not in caplog.text


async def test_a_reset_connection_is_reopened_with_growing_backoff(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = sqlite_harness
    caplog.set_level(logging.WARNING)
    async with running(h.poller()) as poller:
        for n in (1, 2, 3):
            await h.server.wait_login(count=n)
            await h.server.drop(reset=True)  # no event in between: the backoff keeps growing
        await h.server.wait_login(count=4)
        await h.server.send(*fixture_events("inbound_missed"))
        await wait_until(lambda: poller.updates_stored == len(call_events("inbound_missed")))
    delays = [
        r.getMessage().rsplit("retry_in=", 1)[1].split()[0]
        for r in caplog.records
        if r.getMessage().startswith("asterisk_ami_failed")
    ]
    assert delays == ["0.05", "0.1", "0.2"]


async def test_repeated_and_reordered_events_add_no_rows(harness: Harness) -> None:
    h = harness
    raw = fixture_events("inbound_answered")
    expected = call_events("inbound_answered")
    again = raw * 2
    random.Random(3).shuffle(again)
    async with running(h.poller()) as poller:
        await h.server.wait_login()
        await h.server.send(*raw)
        await wait_until(lambda: poller.updates_stored == len(expected))
        await h.server.send(*again)
        await wait_until(lambda: h.outcomes["duplicate"] == 2 * len(expected))

    rows = await h.rows()
    assert len(rows) == len(expected) and poller.updates_stored == len(expected)
    assert {r.external_id for r in rows} == {e.external_id for e in expected}
    assert {CallEvent.from_meta(r.event["meta"]).call_id for r in rows} == {CALL}


async def test_events_are_kept_until_the_inbox_takes_them(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    failing = FailingOnce(h.writer)
    expected = call_events("outbound")
    async with running(h.poller(writer=failing)) as poller:
        await h.server.wait_login()
        await h.server.send(*fixture_events("outbound"))
        await wait_until(lambda: failing.failed)
        await wait_until(lambda: poller.updates_stored == len(expected))
        assert poller.last_error is None and poller.connected

    assert {r.external_id for r in await h.rows()} == {e.external_id for e in expected}
    assert h.server.connections == 1  # the database failed, not the PBX: no reconnect


async def test_a_wrong_secret_is_reported_and_retried(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = sqlite_harness
    async with running(h.poller(secret="not-the-secret")) as poller:
        await wait_until(lambda: len(h.server.logins) >= 2)  # retried at the backoff cap
        assert poller.running and not poller.connected
        assert poller.last_error is not None and "Authentication failed" in poller.last_error
        assert "not-the-secret" not in poller.last_error
    assert {result for _, result in h.server.logins} == {"Error"}
    assert "not-the-secret" not in caplog.text
    assert await h.rows() == []


async def test_running_asterisk_clients_connects_every_configured_pbx(
    sqlite_storage: Storage, tmp_path: Path
) -> None:
    async with ami_server() as server:
        path = tmp_path / "leadintake.toml"
        pbx = f"""
[[telephony.asterisk]]
name = "office"
host = "127.0.0.1"
port = {server.port}
username = "{USERNAME}"
"""
        path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + pbx, "utf-8")
        settings = load_settings(path, environ={"LEADINTAKE_ASTERISK_OFFICE_SECRET": SECRET})
        services = build_services(settings, sqlite_storage)
        services.writer.start()
        try:
            async with running_asterisk_clients(services) as pollers:
                assert list(pollers) == ["office"]
                await server.wait_login()
                await server.send(*fixture_events("outbound"))
                expected = len(call_events("outbound"))
                await wait_until(lambda: pollers["office"].updates_stored == expected)
            assert not pollers["office"].running and not pollers["office"].connected
        finally:
            await services.writer.stop()
    accepted = services.metrics.registry.get_sample_value(
        "leadintake_intake_requests_total", {"channel": "call", "outcome": "accepted"}
    )
    assert accepted == expected


async def test_readyz_lists_the_pbx(tmp_path: Path) -> None:
    async with ami_server() as server:
        path = tmp_path / "leadintake.toml"
        pbx = f"""
[[telephony.asterisk]]
name = "office"
host = "127.0.0.1"
port = {server.port}
username = "{USERNAME}"
"""
        path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + pbx, "utf-8")
        settings = load_settings(path, environ={"LEADINTAKE_ASTERISK_OFFICE_SECRET": SECRET})
        async with TestClient(TestServer(create_app(settings))) as client:
            await server.wait_login()
            response = await client.get("/readyz")
            body = await response.json()
    assert body["checks"]["channels"]["asterisk:office"] == {
        "state": "connected",
        "connected": True,
        "last_event_at": None,
        "updates_stored": 0,
        "failing_since": None,
        "backlog": 0,
    }


def test_a_poller_needs_the_secret(sqlite_storage: Storage) -> None:
    writer = InboxWriter(sqlite_storage, max_batch=1)
    with pytest.raises(ValueError, match="no secret"):
        AsteriskPoller(replace(pbx_settings(5038), secret=None), writer, lambda _o: None, utcnow)
