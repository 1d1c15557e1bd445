"""Call events/s per telephony provider: signature check and inbox commit, then call assembly.

For each provider (Mango Office VPBX events/call + events/summary, Zadarma notifications,
the generic signed webhook) the real service (`create_app` with its writer, worker and
notifier, demo config plus `[telephony.*]`) runs in this process on an empty database: a
fresh SQLite file (synchronous=FULL) or a fresh PostgreSQL schema, dropped afterwards. N
calls, inbound, about 65% answered, about 20% of them from the number of an earlier call,
become the provider's events, each signed by the provider's documented recipe (the adapters'
public helpers); about 10% of the events are re-sent a little later, byte for byte. The events
of about 2 × C calls are in flight at once, each call's events in their natural order.

Phase 1 (verification + persistence): the worker is paused; a separate load-generator process
posts every request over C keep-alive connections and times each answer. Phase 2 (call
assembly): the worker is resumed and timed until no inbox row is pending; then the database is
checked: one `calls` row per call, every event's inbox row processed exactly once, one lead
per distinct caller number, one call activity per call from a known number, one call-back task
per missed call. The website form (JSON, distinct people) goes through the same two phases
first as the baseline; the "verify" column is the adapter alone (signature + mapping, no HTTP,
no database) in this process.

    .venv/bin/python bench/telephony.py [--calls 2000] [--connections 16] [--db sqlite|postgres]
        [--postgres-url URL]   (default: $LEADINTAKE_TEST_POSTGRES_URL, else
                                postgresql://postgres@127.0.0.1:5432/test)
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Run as a script, bench/ is sys.path[0] and bench/channels.py would shadow the `channels`
# package the service imports: take bench/ out and put the repository first.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import base64  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Awaitable, Callable, Sequence  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from contextlib import closing  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from functools import partial  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402

from channels.telephony.generic.adapter import GenericSource  # noqa: E402
from channels.telephony.generic.adapter import parse_event as parse_generic  # noqa: E402
from channels.telephony.generic.adapter import signature as generic_signature  # noqa: E402
from channels.telephony.mango.adapter import MangoCredentials  # noqa: E402
from channels.telephony.mango.adapter import parse_event as parse_mango  # noqa: E402
from channels.telephony.mango.adapter import sign as mango_sign  # noqa: E402
from channels.telephony.zadarma.adapter import (  # noqa: E402
    ZadarmaSpec,
    parse_notification,
    signed_string,
)
from channels.telephony.zadarma.adapter import signature as zadarma_signature  # noqa: E402
from config import Settings, load_settings  # noqa: E402
from crm_core.inbound import CALLBACK_TITLE  # noqa: E402
from crm_core.storage import Storage  # noqa: E402
from crm_core.storage.postgres import PostgresStorage  # noqa: E402
from crm_core.storage.sqlite import SqliteStorage  # noqa: E402
from intake.bootstrap import Services, build_services  # noqa: E402
from intake.http.app import create_app  # noqa: E402

HOST = "127.0.0.1"
POSTGRES_URL_ENV = "LEADINTAKE_TEST_POSTGRES_URL"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
GENERIC_SOURCE = "bench"
FORM_KEY = "site"
LINE = "74951234567"
EXTENSIONS = ("101", "102")
ZADARMA_TZ = ZoneInfo("Europe/Moscow")
# Added to the demo config, which already has `[telephony]` (call-back in 15 minutes), a
# line and the extensions 101 → ivanova, 102 → petrov.
TELEPHONY_TOML = f"""
[telephony.mango]

[telephony.zadarma]

[[telephony.generic]]
name = "{GENERIC_SOURCE}"
"""
ANSWERED_SHARE = 0.65
REPEAT_SHARE = 0.20
DUPLICATE_SHARE = 0.10
WARMUP_CALLS = 50
POLL_SECONDS = 0.02
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_HEADERS = {"Content-Type": "application/json"}
# A fixed seed: every run sends the same calls in the same order.
SEED = 20261125


# ---------------------------------------------------------------- secrets and calls


@dataclass(frozen=True, slots=True)
class Secrets:
    """Per-run provider secrets, handed to the service as its environment only."""

    mango_key: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    mango_salt: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    zadarma: str = field(default_factory=lambda: secrets.token_hex(12), repr=False)
    generic: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    def environ(self) -> dict[str, str]:
        """The variables the telephony settings read by default."""
        return {
            "LEADINTAKE_MANGO_API_KEY": self.mango_key,
            "LEADINTAKE_MANGO_API_SALT": self.mango_salt,
            "LEADINTAKE_ZADARMA_SECRET": self.zadarma,
            f"LEADINTAKE_TELEPHONY_{GENERIC_SOURCE.upper()}_SECRET": self.generic,
        }


@dataclass(frozen=True, slots=True)
class CallPlan:
    """One generated inbound call: who called, when, and whether an extension answered."""

    n: int
    number: str  # digits, country code first (synthetic)
    start: datetime
    ring_seconds: int
    talk_seconds: int  # 0: missed
    extension: str

    @property
    def answered(self) -> bool:
        """Whether an extension picked up."""
        return self.talk_seconds > 0

    @property
    def answered_at(self) -> datetime:
        """When the talk began (or would have)."""
        return self.start + timedelta(seconds=self.ring_seconds)

    @property
    def end(self) -> datetime:
        """When the call was hung up."""
        return self.answered_at + timedelta(seconds=self.talk_seconds)


def plan_calls(
    count: int, code: int, first: int, rng: random.Random, repeat_share: float = REPEAT_SHARE
) -> list[CallPlan]:
    """`count` calls; about `repeat_share` of them from the number of an earlier call."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    numbers: list[str] = []
    calls = []
    for i in range(count):
        if numbers and rng.random() < repeat_share:
            number = rng.choice(numbers)
        else:
            number = f"7{code}{first + len(numbers):07d}"
            numbers.append(number)
        answered = rng.random() < ANSWERED_SHARE
        calls.append(
            CallPlan(
                n=first + i,
                number=number,
                start=base + timedelta(seconds=i),
                ring_seconds=rng.randint(3, 25),
                talk_seconds=rng.randint(20, 400) if answered else 0,
                extension=rng.choice(EXTENSIONS),
            )
        )
    return calls


@dataclass(frozen=True, slots=True)
class Event:
    """One request as the provider puts it on the wire, and the inbox key it must land under."""

    path: str
    headers: dict[str, str]
    body: bytes
    external_id: str


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def mango_events(call: CallPlan, s: Secrets) -> list[Event]:
    """events/call Appeared, Connected (if answered), Disconnected; then events/summary."""
    entry = base64.b64encode(f"{3_544_000_000 + call.n}:721".encode()).decode()
    leg = base64.b64encode(f"1:10274599:{3_544_000_000 + call.n}:721:1".encode()).decode()
    caller = {"number": call.number, "taken_from_call_id": None, "was_transferred": False}
    ivr: dict[str, str | None] = {
        "extension": None,
        "number": LINE,
        "line_number": LINE,
        "acd_group": None,
    }
    person: dict[str, str | None] = {
        "extension": call.extension,
        "number": f"sip:user{call.extension}@vpbx.invalid",
    }
    person |= {"line_number": LINE, "acd_group": "Продажи"}
    states = [("Appeared", call.start, ivr)]
    if call.answered:
        states.append(("Connected", call.answered_at, person))
    states.append(("Disconnected", call.end, person if call.answered else ivr))
    events = []
    for seq, (state, at, target) in enumerate(states, start=1):
        data: dict[str, Any] = {
            "entry_id": entry,
            "call_id": leg,
            "timestamp": _unix(at),
            "seq": seq,
            "call_state": state,
            "location": "abonent" if target is person else "ivr",
            "from": caller,
            "to": target,
            "dct": {"number": "", "type": 0},
        }
        if state == "Disconnected":
            data["disconnect_reason"] = 1110 if call.answered else 1100
        events.append(_mango("call", data, f"mango:{entry}:call:{leg}:{seq}", s))
    summary = {
        "entry_id": entry,
        "call_direction": 1,
        "from": {"extension": None, "number": call.number},
        "to": {"extension": call.extension if call.answered else None, "number": LINE},
        "line_number": LINE,
        "create_time": _unix(call.start),
        "forward_time": _unix(call.start) + 2,
        "talk_time": _unix(call.answered_at) if call.answered else 0,
        "end_time": _unix(call.end),
        "entry_result": 1 if call.answered else 0,
        "disconnect_reason": 1110 if call.answered else 1100,
    }
    events.append(_mango("summary", summary, f"mango:{entry}:summary", s))
    return events


def _mango(kind: str, data: dict[str, Any], external_id: str, s: Secrets) -> Event:
    text = _json(data)
    form = {"vpbx_api_key": s.mango_key, "sign": mango_sign(s.mango_key, text, s.mango_salt)}
    body = urlencode(form | {"json": text}).encode()
    return Event(f"/hooks/telephony/mango/events/{kind}", FORM_HEADERS, body, external_id)


def zadarma_events(call: CallPlan, s: Secrets) -> list[Event]:
    """NOTIFY_START, NOTIFY_INTERNAL, NOTIFY_ANSWER (if answered), NOTIFY_END."""
    pbx = "in_" + hashlib.sha1(f"zadarma:{call.n}".encode(), usedforsecurity=False).hexdigest()
    common = {
        "call_start": call.start.astimezone(ZADARMA_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "pbx_call_id": pbx,
        "caller_id": call.number,
    }
    forms: list[tuple[dict[str, str], str]] = [
        ({"event": "NOTIFY_START", **common, "called_did": LINE}, "NOTIFY_START"),
        (
            {"event": "NOTIFY_INTERNAL", **common, "called_did": LINE, "internal": call.extension},
            f"NOTIFY_INTERNAL:{call.extension}",
        ),
    ]
    if call.answered:
        answer = {"event": "NOTIFY_ANSWER", **common, "destination": call.extension}
        answer["internal"] = call.extension
        forms.append((answer, f"NOTIFY_ANSWER:{call.extension}"))
    end = {
        "event": "NOTIFY_END",
        **common,
        "called_did": LINE,
        "duration": str(call.talk_seconds),
        "disposition": "answered" if call.answered else "no answer",
        "status_code": "16" if call.answered else "19",
        "is_recorded": "0",
        "call_id_with_rec": "",
    }
    if call.answered:
        end["internal"] = call.extension
    forms.append((end, "NOTIFY_END"))
    events = []
    for form, key in forms:
        sign = zadarma_signature(signed_string(form["event"], form), s.zadarma)
        headers = FORM_HEADERS | {"Signature": sign}
        body = urlencode(form).encode()
        events.append(Event("/hooks/telephony/zadarma", headers, body, f"zadarma:{pbx}:{key}"))
    return events


def generic_events(call: CallPlan, s: Secrets) -> list[Event]:
    """appeared, answered (if answered), ended with the outcome and durations."""
    call_id = f"bc-{call.n:07d}"
    number = call.number
    # Sent the way people write it: "+7 916 000-12-34".
    shown = f"+{number[0]} {number[1:4]} {number[4:7]}-{number[7:9]}-{number[9:]}"
    common = {"call_id": call_id, "direction": "in", "caller": shown, "line": f"+{LINE}"}
    bodies: list[dict[str, Any]] = [
        {"id": f"{call_id}-1", "event": "appeared", "at": call.start.isoformat(), "seq": 1}
    ]
    if call.answered:
        at = call.answered_at.isoformat()
        bodies.append({"id": f"{call_id}-2", "event": "answered", "at": at, "seq": 2})
        bodies[-1]["extension"] = call.extension
    ended: dict[str, Any] = {"id": f"{call_id}-end", "event": "ended", "at": call.end.isoformat()}
    ended |= {"outcome": "answered" if call.answered else "missed", "seq": 3}
    ended |= {"started_at": call.start.isoformat(), "ended_at": call.end.isoformat()}
    ended |= {"talk_seconds": call.talk_seconds, "utm_source": "yandex"}
    if call.answered:
        ended |= {"extension": call.extension, "answered_at": call.answered_at.isoformat()}
    bodies.append(ended)
    events = []
    for data in bodies:
        body = _json(common | data).encode()
        stamp = str(int(time.time()))
        headers = JSON_HEADERS | {
            "X-LeadIntake-Timestamp": stamp,
            "X-LeadIntake-Signature": generic_signature(s.generic, stamp, body),
        }
        path = f"/hooks/telephony/generic/{GENERIC_SOURCE}"
        events.append(Event(path, headers, body, f"{GENERIC_SOURCE}:{call_id}:{data['id']}"))
    return events


def webform_event(call: CallPlan, s: Secrets) -> list[Event]:
    """The baseline: one JSON website form post from a distinct person (Tilda-style tranid)."""
    tranid = f"{4_100_000 + call.n}:{call.n:010d}"
    body = _json(
        {
            "name": f"Клиент {call.n}",
            "phone": f"+{call.number}",
            "email": f"client{call.n}@example.invalid",
            "comment": "Нужен замер окон",
            "consent": "on",
            "tranid": tranid,
        }
    ).encode()
    return [Event(f"/api/v1/forms/{FORM_KEY}", JSON_HEADERS, body, f"{FORM_KEY}:{tranid}")]


# ---------------------------------------------------------------- providers


@dataclass(frozen=True, slots=True)
class Provider:
    """A sender: how it turns a call into requests and how its adapter alone is timed."""

    label: str
    code: int  # the synthetic numbers' operator code
    build: Callable[[CallPlan, Secrets], list[Event]]
    channel: str = "call"


PROVIDERS = (
    Provider("webform JSON (baseline)", 915, webform_event, "webform"),
    Provider("mango", 916, mango_events),
    Provider("zadarma", 926, zadarma_events),
    Provider("generic", 903, generic_events),
)


def verify_only(provider: Provider, events: Sequence[Event], s: Secrets) -> float | None:
    """Microseconds per event for the adapter alone: signature check and mapping, in memory."""
    mango = MangoCredentials(api_key=s.mango_key, api_salt=s.mango_salt)
    zadarma = ZadarmaSpec("zadarma", s.zadarma)
    generic = GenericSource(GENERIC_SOURCE, s.generic)
    now = datetime.now(UTC)
    checks: list[Callable[[], object]] = []
    for e in events:
        if provider.build is mango_events:
            kind = e.path.rsplit("/", 1)[1]
            checks.append(partial(parse_mango, kind, e.body, mango))
        elif provider.build is zadarma_events:
            offered = e.headers["Signature"]
            checks.append(partial(parse_notification, zadarma, e.body, offered, received_at=now))
        elif provider.build is generic_events:
            stamp = e.headers["X-LeadIntake-Timestamp"]
            offered = e.headers["X-LeadIntake-Signature"]
            checks.append(partial(parse_generic, generic, e.body, stamp, offered, now=now))
    if not checks:
        return None
    started = time.perf_counter()
    for check in checks:
        check()
    return (time.perf_counter() - started) / len(checks) * 1e6


def send_order(calls: Sequence[list[Event]], spread: int, rng: random.Random) -> list[Event]:
    """Every event once, event k of call i around slot i + k × spread (about `spread` calls in
    flight, each in its order), plus re-sends of DUPLICATE_SHARE of them a little later."""
    slots: list[tuple[float, Event]] = []
    for i, events in enumerate(calls):
        for k, event in enumerate(events):
            slots.append((i + k * spread + k / 10, event))
    slots.sort(key=lambda slot: slot[0])
    order = [event for _, event in slots]
    later: dict[int, list[Event]] = {}
    for original in rng.sample(range(len(order)), int(len(order) * DUPLICATE_SHARE)):
        at = min(len(order) - 1, original + rng.randint(0, 2 * spread))
        later.setdefault(at, []).append(order[original])
    sent: list[Event] = []
    for i, event in enumerate(order):
        sent.append(event)
        sent.extend(later.get(i, ()))
    return sent


# ---------------------------------------------------------------- load generator (child)


@dataclass
class Delivery:
    """What the sender saw: answer latencies (s), refusals by status, connection errors."""

    latencies: list[float] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0


def http_request(event: Event, port: int) -> bytes:
    """The HTTP/1.1 keep-alive request bytes of an event."""
    headers = {"Host": f"{HOST}:{port}", "Content-Length": str(len(event.body)), **event.headers}
    head = f"POST {event.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode() + event.body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"transfer-encoding":
            raise OSError("chunked answers are not handled by this load generator")
    await reader.readexactly(length)
    return status


async def deliver(port: int, requests: list[bytes], connections: int) -> Delivery:
    """Send the requests in order over keep-alive connections, each taking the next one."""
    result = Delivery()
    pending = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for request in pending:
                sent = time.perf_counter()
                status = await _exchange(reader, writer, request)
                if 200 <= status < 300:
                    result.latencies.append(time.perf_counter() - sent)
                else:
                    result.refused[status] += 1
        except (OSError, asyncio.IncompleteReadError):
            result.errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result


def deliver_in_child(port: int, requests: list[bytes], connections: int) -> Delivery:
    """The load generator's entry point in its own process."""
    return asyncio.run(deliver(port, requests, connections))


# ---------------------------------------------------------------- the service


class Probe:
    """Reads the service's database over its own connection (never through the service)."""

    def __init__(self, kind: str, target: str, schema: str | None) -> None:
        self.kind = kind
        self.target = target
        self.schema = schema
        self._pg: asyncpg.Connection | None = None

    async def open(self) -> None:
        """Connect (PostgreSQL; SQLite opens a read-only connection per query)."""
        if self.kind == "postgres":
            settings = {"search_path": self.schema or "public"}
            self._pg = await asyncpg.connect(self.target, server_settings=settings)

    async def close(self) -> None:
        """Disconnect."""
        if self._pg is not None:
            await self._pg.close()

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        if self._pg is not None:
            return [tuple(r) for r in await self._pg.fetch(sql)]
        return await asyncio.to_thread(self._sqlite_rows, sql)

    def _sqlite_rows(self, sql: str) -> list[tuple[Any, ...]]:
        uri = f"file:{self.target}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]

    async def scalar(self, sql: str) -> int:
        """One integer."""
        [(value,)] = await self.rows(sql)
        return int(value or 0)


@dataclass
class Running:
    """The service on a loopback port, its wiring and a probe of its database."""

    port: int
    services: Services
    runner: web.AppRunner
    probe: Probe
    cleanup: Callable[[], Awaitable[None]]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def service_settings(workdir: Path, port: int, s: Secrets) -> Settings:
    """The demo config plus every telephony provider; secrets only in the environment map."""
    config = workdir / "leadintake.toml"
    demo = (ROOT / "config" / "default.toml").read_text("utf-8")
    config.write_text(demo + TELEPHONY_TOML, "utf-8")
    env = {
        "LEADINTAKE_DATABASE_URL": f"sqlite:///{workdir / 'unused.sqlite3'}",
        "LEADINTAKE_HTTP_PORT": str(port),
        "LEADINTAKE_LOG_LEVEL": "WARNING",
        **s.environ(),
    }
    return load_settings(config, environ=env)


async def start_service(kind: str, label: str, workdir: Path, pg_url: str, s: Secrets) -> Running:
    """`create_app` on a fresh database and a loopback port (the worker runs)."""
    port = free_port()
    settings = service_settings(workdir, port, s)
    schema: str | None = None
    storage: Storage
    if kind == "sqlite":
        target = str(workdir / f"{label}.sqlite3")
        storage = SqliteStorage(Path(target))
    else:
        target, schema = pg_url, f"bench_tel_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(pg_url)
        try:
            await admin.execute(f"CREATE SCHEMA {schema}")
        finally:
            await admin.close()
        db = settings.database
        storage = PostgresStorage(
            pg_url, min_size=db.pool_min, max_size=db.pool_max, schema=schema
        )
    services = build_services(settings, storage)
    runner = web.AppRunner(create_app(settings, services), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    probe = Probe(kind, target, schema)
    await probe.open()

    async def cleanup() -> None:
        await probe.close()
        await runner.cleanup()
        if schema is not None:
            admin = await asyncpg.connect(pg_url)
            try:
                await admin.execute(f"DROP SCHEMA {schema} CASCADE")
            finally:
                await admin.close()

    return Running(port, services, runner, probe, cleanup)


async def wait_drained(probe: Probe, limit_seconds: float) -> float | None:
    """perf_counter time at which no inbox row is pending, or None after `limit_seconds`."""
    deadline = time.perf_counter() + limit_seconds
    while time.perf_counter() < deadline:
        if await probe.scalar("SELECT COUNT(*) FROM inbox WHERE status = 'pending'") == 0:
            return time.perf_counter()
        await asyncio.sleep(POLL_SECONDS)
    return None


# ---------------------------------------------------------------- one provider


@dataclass(frozen=True, slots=True)
class Counts:
    """Rows of interest in the service's database."""

    inbox: int
    processed: int
    calls: int
    completed: int
    leads: int
    lead_phones: int
    activities: int
    callbacks: int

    def minus(self, other: Counts) -> Counts:
        """The difference, field by field."""
        return Counts(*(a - b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(c: Counts) -> list[int]:
    return [getattr(c, name) for name in c.__slots__]


async def counts(probe: Probe, channel: str) -> Counts:
    """Count inbox rows, calls, leads, call activities and call-back tasks."""
    q = probe.scalar
    return Counts(
        inbox=await q(f"SELECT COUNT(*) FROM inbox WHERE channel = '{channel}'"),
        processed=await q(
            f"SELECT COUNT(*) FROM inbox WHERE channel = '{channel}' AND status = 'processed'"
        ),
        calls=await q("SELECT COUNT(*) FROM calls"),
        completed=await q("SELECT COUNT(*) FROM calls WHERE completed_at IS NOT NULL"),
        leads=await q(f"SELECT COUNT(*) FROM leads WHERE channel = '{channel}'"),
        lead_phones=await q(
            f"SELECT COUNT(DISTINCT phone) FROM leads WHERE channel = '{channel}'"
        ),
        activities=await q("SELECT COUNT(*) FROM activities WHERE kind = 'call'"),
        callbacks=await q(f"SELECT COUNT(*) FROM tasks WHERE title = '{CALLBACK_TITLE}'"),
    )


@dataclass(frozen=True, slots=True)
class Result:
    """One provider's figures and checks."""

    provider: Provider
    calls: int
    numbers: int
    missed: int
    events: int  # distinct
    delivery: Delivery
    requests: int
    accept_cpu: float
    drain_seconds: float | None
    drain_cpu: float
    verify_us: float | None
    found: Counts
    missing_keys: int
    stray_keys: int
    failed_rows: int

    @property
    def accept_rate(self) -> float:
        """Acknowledged requests (re-sends included) per second of sending."""
        return len(self.delivery.latencies) / self.delivery.seconds

    @property
    def drain_rate(self) -> float:
        """Distinct events turned into calls (or leads) per second of draining."""
        return self.events / self.drain_seconds if self.drain_seconds else float("nan")

    def checks(self) -> list[tuple[str, bool, str]]:
        """(name, passed, detail) for every integrity check."""
        f, d = self.found, self.delivery
        acked = len(d.latencies)
        out = [
            ("every request acknowledged", acked == self.requests and not d.errors,
             f"{acked}/{self.requests}, refused {dict(d.refused)}, errors {d.errors}"),
            ("inbox rows == distinct events", f.inbox == self.events and not self.stray_keys,
             f"{f.inbox} vs {self.events} ({self.missing_keys} missing, {self.stray_keys} stray)"),
            ("every inbox row processed", f.processed == f.inbox and not self.failed_rows,
             f"{f.processed}/{f.inbox} processed, {self.failed_rows} failed"),
        ]  # fmt: skip
        if self.provider.channel == "webform":
            out.append(("leads == messages", f.leads == self.calls, f"{f.leads} vs {self.calls}"))
            return out
        repeats = self.calls - self.numbers
        out += [
            ("calls rows == distinct calls", f.calls == self.calls == f.completed,
             f"{f.calls} rows ({f.completed} completed) vs {self.calls}"),
            ("leads == distinct new numbers", f.leads == self.numbers == f.lead_phones,
             f"{f.leads} leads ({f.lead_phones} phones) vs {self.numbers}"),
            ("activities == repeat calls", f.activities == repeats,
             f"{f.activities} vs {repeats}"),
            ("call-back tasks == missed calls", f.callbacks == self.missed,
             f"{f.callbacks} vs {self.missed}"),
        ]  # fmt: skip
        return out


async def run_provider(
    provider: Provider,
    args: argparse.Namespace,
    workdir: Path,
    pool: ProcessPoolExecutor,
    count: int,
) -> Result:
    """Warm up, then phase 1 (worker paused) and phase 2 (worker drains) on a fresh database."""
    s = Secrets()
    rng = random.Random(f"{SEED}:{provider.label}")
    running = await start_service(args.db, provider.build.__name__, workdir, args.postgres_url, s)
    loop = asyncio.get_running_loop()
    worker = running.services.worker
    spread = 2 * args.connections
    try:
        # Warm-up numbers come from another block than the measured ones.
        # The baseline's form posts come from distinct people.
        repeats = 0.0 if provider.channel == "webform" else REPEAT_SHARE
        warm_calls = plan_calls(WARMUP_CALLS, provider.code, 5_000_000, rng, repeats)
        warm = send_order([provider.build(c, s) for c in warm_calls], spread, rng)
        warm_requests = [http_request(e, running.port) for e in warm]
        await loop.run_in_executor(
            pool, deliver_in_child, running.port, warm_requests, args.connections
        )
        if await wait_drained(running.probe, 60) is None:
            raise RuntimeError("the warm-up events were not processed within 60 s")
        await worker.stop()
        before = await counts(running.probe, provider.channel)
        warm_keys = {e.external_id for e in warm}

        calls = plan_calls(count, provider.code, 0, rng, repeats)
        per_call = [provider.build(c, s) for c in calls]
        distinct = [e for events in per_call for e in events]
        sent = send_order(per_call, spread, rng)
        requests = [http_request(e, running.port) for e in sent]
        verify_us = verify_only(provider, distinct, s)

        # Phase 1: verification and persistence only.
        cpu = time.process_time()
        delivery = await loop.run_in_executor(
            pool, deliver_in_child, running.port, requests, args.connections
        )
        accept_cpu = time.process_time() - cpu

        # Phase 2: the worker folds the stored events into calls, leads and activities.
        cpu, started = time.process_time(), time.perf_counter()
        worker.start()
        drained = await wait_drained(running.probe, args.timeout)
        drain_cpu = time.process_time() - cpu
        after = await counts(running.probe, provider.channel)
        keys = [
            r[0]
            for r in await running.probe.rows(
                f"SELECT external_id FROM inbox WHERE channel = '{provider.channel}'"
            )
        ]
        failed = await running.probe.scalar("SELECT COUNT(*) FROM inbox WHERE status = 'failed'")
    finally:
        await running.cleanup()
    expected = {e.external_id for e in distinct}
    stored = set(keys) - warm_keys
    return Result(
        provider=provider,
        calls=count,
        numbers=len({c.number for c in calls}),
        missed=sum(not c.answered for c in calls),
        events=len(expected),
        delivery=delivery,
        requests=len(requests),
        accept_cpu=accept_cpu,
        drain_seconds=None if drained is None else drained - started,
        drain_cpu=drain_cpu,
        verify_us=verify_us,
        found=after.minus(before),
        missing_keys=len(expected - stored),
        stray_keys=len(stored - expected),
        failed_rows=failed,
    )


# ---------------------------------------------------------------- report


def percentile_ms(values: list[float], q: float) -> float:
    """The q-quantile (0..1) in milliseconds."""
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1] * 1000


def report(results: list[Result], args: argparse.Namespace, wall: float) -> bool:
    """Print both phases, the checks and the legend; True when every check passed."""
    base = results[0]
    database = "SQLite (synchronous=FULL)" if args.db == "sqlite" else "PostgreSQL"
    print()
    print(
        f"cpus={os.cpu_count()} calls={args.calls}/provider (answered ~{ANSWERED_SHARE:.0%},"
        f" repeat callers ~{REPEAT_SHARE:.0%}) re-sent events ~{DUPLICATE_SHARE:.0%}"
        f" connections={args.connections} warm-up={WARMUP_CALLS} calls"
        f" database={database}, fresh per provider, wall={wall:.0f}s"
    )
    print("phase 1: verification + persistence (worker paused)")
    header = (
        f"{'provider':<24} {'events':>6} {'acked':>11} {'acc/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'CPU/req':>8} {'verify':>8} {'×acc/s':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        d = r.delivery
        verify = "-" if r.verify_us is None else f"{r.verify_us:.0f} µs"
        print(
            f"{r.provider.label:<24} {r.events:>6} {len(d.latencies):>5}/{r.requests:<5}"
            f" {r.accept_rate:>7.0f} {percentile_ms(d.latencies, 0.5):>7.1f}"
            f" {percentile_ms(d.latencies, 0.99):>7.1f}"
            f" {r.accept_cpu / r.requests * 1000:>5.2f} ms {verify:>8}"
            f" {r.accept_rate / base.accept_rate:>7.2f}"
        )
    print()
    print("phase 2: call assembly (worker drains the stored events)")
    header = (
        f"{'provider':<24} {'drain s':>7} {'events/s':>8} {'calls/s':>7} {'×ev/s':>6}"
        f" {'CPU/ev':>8} {'calls':>6} {'leads':>6} {'activ.':>6} {'tasks':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        f = r.found
        seconds = "timeout" if r.drain_seconds is None else f"{r.drain_seconds:.2f}"
        calls_rate = f.calls / r.drain_seconds if r.drain_seconds else float("nan")
        print(
            f"{r.provider.label:<24} {seconds:>7} {r.drain_rate:>8.0f} {calls_rate:>7.0f}"
            f" {r.drain_rate / base.drain_rate:>6.2f} {r.drain_cpu / r.events * 1000:>5.2f} ms"
            f" {f.calls:>6} {f.leads:>6} {f.activities:>6} {f.callbacks:>6}"
        )
    print()
    passed = True
    for r in results:
        for name, ok, detail in r.checks():
            passed &= ok
            print(f"{'PASS' if ok else 'FAIL'} {r.provider.label}: {name} ({detail})")
    print()
    print("legend:")
    print("  events     distinct events sent (webform: distinct form posts)")
    print("  acked      2xx answers / requests sent, re-sent events included")
    print("  acc/s      acknowledged requests per second, first send to last answer")
    print("  p50/p99    answer latency per request (send to full answer), milliseconds")
    print("  CPU/req    service-process CPU per request in phase 1 (the load generator runs in")
    print("             its own process)")
    print("  verify     the adapter alone per event: signature check + mapping, no HTTP, no DB")
    print("  ×acc/s     acc/s relative to the webform baseline; ×ev/s likewise for events/s")
    print("  drain s    from resuming the worker until no inbox row was pending (polled 20 ms)")
    print("  events/s   distinct events / drain s; calls/s: calls rows / drain s")
    print("  CPU/ev     service-process CPU per distinct event while draining")
    print("  calls, leads, activ., tasks: rows created by the measured events (warm-up")
    print("             excluded): calls, leads, call activities, call-back tasks")
    return passed


async def run(args: argparse.Namespace) -> bool:
    """Every provider in turn, each on its own fresh database."""
    started = time.perf_counter()
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="leadintake-bench-telephony-") as tmp,
        ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool,
    ):
        # Start the load generator's process before anything is timed.
        await asyncio.get_running_loop().run_in_executor(pool, deliver_in_child, 0, [], 0)
        for provider in PROVIDERS:
            count = args.calls
            if provider.channel == "webform":
                # As many form posts as the providers send distinct events per run, roughly.
                count = round(args.calls * 3.3)
            results.append(await run_provider(provider, args, Path(tmp), pool, count))
            print(f"measured: {provider.label}", file=sys.stderr, flush=True)
    return report(results, args, time.perf_counter() - started)


def main() -> None:
    """Command line: run the providers and exit non-zero when a check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000, help="distinct calls per provider")
    parser.add_argument("--connections", type=int, default=16, help="concurrent senders")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_ENV) or DEFAULT_PG_URL,
        help=f"PostgreSQL URL (default: ${POSTGRES_URL_ENV} or {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the worker to drain"
    )
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
