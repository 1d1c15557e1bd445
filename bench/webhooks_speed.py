"""Webhook delivery speed: deliveries per second to a local receiver, and the p95 time from a
lead's creation to its lead.created arriving.

The service (`create_app`, the demo configuration with the product's webhook settings except
that a loopback receiver is allowed; SQLite in a temporary file or `--postgres-url`) runs in
this process with a receiver stand-in on 127.0.0.1 that verifies every signature
(tests/webhook_receiver.py) and answers 200 at once.

1. Latency: `--leads` website forms are posted (`--concurrency` at a time); for each lead the
   time from its `created_at` (in the event body) to the receiver processing the event.
2. Throughput: `--backlog` events are queued in one transaction (a burst, e.g. an import)
   and the time until the receiver processed all of them gives deliveries per second.

    .venv/bin/python bench/webhooks_speed.py [--leads 300] [--backlog 2000]
        [--concurrency 8] [--postgres-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from config import Settings, load_settings  # noqa: E402
from crm_core.storage import Storage  # noqa: E402
from crm_core.storage.factory import open_storage  # noqa: E402
from crm_core.storage.postgres import PostgresStorage  # noqa: E402
from crm_core.webhooks import EventType, WebhookEvent  # noqa: E402
from intake.auth import create_token  # noqa: E402
from intake.bootstrap import build_services  # noqa: E402
from intake.clock import utcnow  # noqa: E402
from intake.http.app import create_app  # noqa: E402
from tests.webhook_receiver import Receiver, receiving  # noqa: E402


def bench_settings(workdir: Path) -> Settings:
    """The demo configuration; the receiver is on loopback, so private targets are allowed."""
    text = (ROOT / "config" / "default.toml").read_text("utf-8")
    text = text.replace("allow_private_targets = false", "allow_private_targets = true")
    assert "allow_private_targets = true" in text
    path = workdir / "webhooks.toml"
    path.write_text(text, "utf-8")
    # One loopback client posts every form: the per-address limit would refuse most of them.
    return load_settings(path, environ={"LEADINTAKE_FORM_RATE_PER_MINUTE": "0"})


async def wait_for(receiver: Receiver, count: int, within: float) -> bool:
    """Poll until the receiver processed `count` events; False when `within` s pass first."""
    deadline = time.monotonic() + within
    while len(receiver.processed) < count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def measure(args: argparse.Namespace, storage: Storage, settings: Settings) -> bool:
    """Both phases against one running service; prints the numbers."""
    receiver = Receiver()
    app = create_app(settings, build_services(settings, storage))
    async with receiving(receiver), TestClient(TestServer(app, host="127.0.0.1")) as client:
        head = next(m.login for m in settings.managers if m.role == "head")
        headers = {"Authorization": f"Bearer {await create_token(storage, head)}"}
        body = {"url": receiver.url, "events": [EventType.LEAD_CREATED.value]}
        async with client.post("/api/v1/webhooks", json=body, headers=headers) as r:
            assert r.status == 201, await r.text()
            receiver.secret = (await r.json())["secret"]

        limit = asyncio.Semaphore(args.concurrency)

        async def post(n: int) -> None:
            form = {"name": f"Клиент {n}", "phone": f"+7915{n:07d}", "tranid": f"bench-{n}"}
            async with limit, client.post("/api/v1/forms/site", json=form) as r:
                assert r.status in (200, 202), await r.text()

        started = time.monotonic()
        await asyncio.gather(*(post(n) for n in range(args.leads)))
        done = await wait_for(receiver, args.leads, args.timeout)
        latencies = [
            time.time()
            - (time.monotonic() - receiver.arrived_at[m])
            - datetime.fromisoformat(e["data"]["created_at"]).timestamp()
            for m, e in receiver.processed.items()
        ]
        print(f"leads: {args.leads} posted and delivered in {time.monotonic() - started:.2f} s")
        if latencies:
            ordered = sorted(latencies)
            p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
            print(
                f"lead creation → delivery: p50 {statistics.median(ordered) * 1000:.0f} ms,"
                f" p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
            )

        before = len(receiver.processed)
        now = utcnow()
        async with storage.transaction() as uow:
            for n in range(args.backlog):
                uow.webhooks.record(
                    WebhookEvent(EventType.LEAD_CREATED, f"bench:{n}", now, {"n": n})
                )
        started = time.monotonic()
        drained = await wait_for(receiver, before + args.backlog, args.timeout)
        took = time.monotonic() - started
        print(
            f"backlog: {args.backlog} deliveries in {took:.2f} s ="
            f" {args.backlog / took:.0f} deliveries/s"
            f" (concurrency {settings.webhooks.concurrency} per subscription)"
        )
        print(f"duplicates {receiver.repeats}, bad signatures {receiver.bad_signatures}")
    return done and drained and receiver.bad_signatures == 0


async def run(args: argparse.Namespace) -> bool:
    """A fresh database (a temporary SQLite file or a PostgreSQL schema), then measure."""
    with tempfile.TemporaryDirectory() as workdir:
        settings = bench_settings(Path(workdir))
        if args.postgres_url:
            schema = f"bench_webhooks_{os.getpid()}"
            conn = await asyncpg.connect(args.postgres_url)
            await conn.execute(f"CREATE SCHEMA {schema}")
            await conn.close()
            storage: Storage = PostgresStorage(args.postgres_url, schema=schema)
            print(f"database: PostgreSQL (schema {schema})")
        else:
            storage = open_storage(f"sqlite:///{Path(workdir) / 'webhooks.sqlite3'}")
            print("database: SQLite (temporary file)")
        try:
            return await measure(args, storage, settings)
        finally:
            if args.postgres_url:
                conn = await asyncpg.connect(args.postgres_url)
                await conn.execute(f"DROP SCHEMA {schema} CASCADE")
                await conn.close()


def main() -> None:
    """Parse the arguments and run; exit 1 when something was not delivered."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="forms posted at a time")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait per phase")
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
