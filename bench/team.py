"""Команда under load: the head's team panel over 100,000 leads, 20,000 deals and 30 managers.

Seeds the demo configuration (plus managers up to `--managers`) with plain rows (leads spread
over 90 days, most closed, some new or in work, most taken; deals mostly closed; an open task
per open deal, a third of them overdue), then requests /team as the head and prints p50/p95
latency and the page weight (the issue's bar: p95 ≤ 150 ms).

    .venv/bin/python bench/team.py [--leads 100000] [--deals 20000] [--managers 30]
        [--requests 100] [--postgres-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bench.kanban import row, time_board  # noqa: E402
from config import Settings, load_settings  # noqa: E402
from config.settings import ManagerSettings  # noqa: E402
from crm_core.storage import Storage  # noqa: E402
from crm_core.storage.factory import open_storage  # noqa: E402
from crm_core.storage.postgres import PostgresStorage  # noqa: E402
from intake.auth import create_token  # noqa: E402
from intake.bootstrap import build_services  # noqa: E402
from intake.clock import utcnow  # noqa: E402
from intake.http.app import create_app  # noqa: E402

BATCH = 5000


def with_team(settings: Settings, size: int) -> Settings:
    """The demo settings with managers added until the team has `size` members."""
    extra = tuple(
        ManagerSettings(
            login=f"bench{n}",
            name=f"Менеджер {n}",
            role="manager",
            email=None,
            telegram_chat_id=None,
            timezone="Europe/Moscow" if n % 2 else "Asia/Vladivostok",
            active=True,
            working_hours={"mon-fri": "09:00-18:00"} if n % 3 else None,
        )
        for n in range(max(0, size - len(settings.managers)))
    )
    return replace(settings, managers=settings.managers + extra)


async def seed(storage: Storage, leads: int, deals: int, rng: random.Random) -> None:
    """Plain rows straight into the tables (COPY on PostgreSQL)."""
    now = utcnow()
    async with storage.transaction() as uow:
        session: Any = uow.team._s  # type: ignore[attr-defined]  # a bench reaches in
        owners = [m.id for m in await uow.managers.list() if not m.is_head]
        # asyncpg's COPY takes Decimal; SQLite's NUMERIC column reads the text as a number.
        amount = (lambda d: d) if isinstance(storage, PostgresStorage) else str
        for start in range(0, leads, BATCH):
            inbox, rows = [], []
            for n in range(start, min(leads, start + BATCH)):
                created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
                status = rng.choices(("new", "in_work", "converted", "junk"), (3, 17, 40, 40))[0]
                taken = (
                    None
                    if status == "new"
                    else created + timedelta(seconds=rng.randrange(60, 7200))
                )
                inbox.append(
                    (
                        "webform",
                        "site",
                        f"bench-{n}",
                        f"t{n}",
                        created,
                        created,
                        "{}",
                        "{}",
                        "{}",
                        "processed",
                    )
                )
                assignee = None if n % 97 == 0 else owners[n % len(owners)]
                rows.append(
                    (n + 1, status, "webform", "site", assignee, created, created, created, taken)
                )
            await session.insert_rows(
                "inbox",
                (
                    "channel",
                    "source",
                    "external_id",
                    "ingest_token",
                    "received_at",
                    "available_at",
                    "payload",
                    "headers",
                    "event",
                    "status",
                ),
                inbox,
            )
            await session.insert_rows(
                "leads",
                (
                    "inbox_id",
                    "status",
                    "channel",
                    "source",
                    "assignee_id",
                    "received_at",
                    "created_at",
                    "updated_at",
                    "taken_at",
                ),
                rows,
            )
        deal_rows, task_rows = [], []
        for n in range(deals):
            is_open = n % 10 == 0
            created = now - timedelta(days=rng.randrange(180))
            owner = owners[n % len(owners)]
            deal_rows.append(
                (
                    f"Сделка {n}",
                    "main",
                    "new" if is_open else "won",
                    "open" if is_open else "won",
                    amount(Decimal(rng.randrange(10_000, 2_000_000)) / 100),
                    "RUB",
                    owner,
                    created,
                    created,
                    created,
                )
            )
            if is_open:
                due = now + timedelta(hours=rng.randrange(-72, 144))
                task_rows.append(
                    ("deal", n + 1, "call", "Позвонить", due, owner, "bench", created)
                )
        await session.insert_rows(
            "deals",
            (
                "title",
                "pipeline",
                "stage",
                "status",
                "amount",
                "currency",
                "owner_id",
                "stage_entered_at",
                "created_at",
                "updated_at",
            ),
            deal_rows,
        )
        await session.insert_rows(
            "tasks",
            (
                "entity",
                "entity_id",
                "task_type",
                "title",
                "due_at",
                "assignee_id",
                "created_by",
                "created_at",
            ),
            task_rows,
        )


async def run(args: argparse.Namespace) -> None:
    """Seed, then measure."""
    settings = with_team(
        load_settings(ROOT / "config" / "default.toml", environ={}), args.managers
    )
    with tempfile.TemporaryDirectory() as workdir:
        if args.postgres_url:  # a schema of its own, dropped afterwards
            schema = f"bench_team_{os.getpid()}"
            conn = await asyncpg.connect(args.postgres_url)
            await conn.execute(f"CREATE SCHEMA {schema}")
            await conn.close()
            storage: Storage = PostgresStorage(args.postgres_url, schema=schema)
        else:
            storage = open_storage(f"sqlite:///{Path(workdir) / 'team.sqlite3'}")
        app = create_app(settings, build_services(settings, storage))
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        try:
            started = time.perf_counter()
            await seed(storage, args.leads, args.deals, random.Random(14))
            if args.postgres_url:  # what autovacuum does after a bulk load, done now
                conn = await asyncpg.connect(args.postgres_url)
                await conn.execute(f"SET search_path TO {schema}")
                await conn.execute("VACUUM ANALYZE")
                await conn.close()
            took = time.perf_counter() - started
            print(
                f"seeded {args.leads} leads, {args.deals} deals, {args.managers} managers"
                f" in {took:.1f} s"
            )
            head = next(m.login for m in settings.managers if m.role == "head")
            token = await create_token(storage, head)
            await time_board(client, "/team", token, 3)  # warm up
            samples, size = await time_board(client, "/team", token, args.requests)
            print(row("team panel, head", samples, size))
        finally:
            await client.close()
            if args.postgres_url:
                conn = await asyncpg.connect(args.postgres_url)
                await conn.execute(f"DROP SCHEMA {schema} CASCADE")
                await conn.close()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--managers", type=int, default=30)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--postgres-url", default="")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
