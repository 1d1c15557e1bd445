"""Сделки under load: the kanban board of 500 open deals among many closed ones.

Seeds the demo configuration's database with `--deals` deals (`--open` of them open in the
first pipeline, each with a next task; the rest closed), then requests the board as the head
and as a manager and prints p50/p95 latency and the page weight (the issue's bar: p95 ≤ 150
ms, ≤ 400 KiB).

    .venv/bin/python bench/kanban.py [--deals 20000] [--open 500] [--requests 100]
        [--postgres-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from config import Settings, load_settings  # noqa: E402
from crm_core.pipelines import StageKind  # noqa: E402
from crm_core.sales import DealStatus, NewDeal, NewTask, RecordKind  # noqa: E402
from crm_core.storage import Storage  # noqa: E402
from crm_core.storage.factory import open_storage  # noqa: E402
from crm_core.storage.postgres import PostgresStorage  # noqa: E402
from intake.auth import create_token  # noqa: E402
from intake.bootstrap import build_services  # noqa: E402
from intake.clock import utcnow  # noqa: E402
from intake.http.app import create_app  # noqa: E402


async def seed(storage: Storage, settings: Settings, deals: int, open_deals: int) -> str:
    """Deals of the configured managers; returns the board's pipeline key."""
    pipeline = settings.pipelines[0]
    open_stages = [s.key for s in pipeline.stages if StageKind(s.kind) is StageKind.OPEN]
    won = next(s.key for s in pipeline.stages if StageKind(s.kind) is StageKind.WON)
    now = utcnow()
    async with storage.transaction() as uow:
        owners = [m.id for m in await uow.managers.list() if not m.is_head] or [None]
        for n in range(deals):
            is_open = n < open_deals
            owner = owners[n % len(owners)]
            new = NewDeal(
                f"Поставка оборудования №{n}",
                pipeline.key,
                open_stages[n % len(open_stages)] if is_open else open_stages[0],
                Decimal(100000 + n * 7),
                "RUB",
                [],
                None,
                {},
                None,
                None,
                None,
                owner,
            )
            stored = await uow.sales.add_deal(new, "bench", now)
            if is_open:
                due = now + timedelta(hours=(n % 3 - 1) * 30)
                task = NewTask(
                    RecordKind.DEAL, stored.id, "call", "Позвонить", due, owner, "bench"
                )
                await uow.sales.add_tasks([task], now)
            else:
                await uow.sales.move_deal(stored.id, won, DealStatus.WON, "bench", now, None)
    return pipeline.key


async def time_board(client: TestClient, path: str, token: str, count: int) -> tuple[list, int]:
    """Latencies in milliseconds of `count` board requests, and the page's size in bytes."""
    samples, size = [], 0
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(count):
        started = time.perf_counter()
        async with client.get(path, headers=headers) as response:
            body = await response.read()
            assert response.status == 200, response.status
        samples.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return samples, size


def row(label: str, samples: list[float], size: int) -> str:
    """One line of the report."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{label:<28} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   "
        f"{size / 1024:7.1f} KiB"
    )


async def run(args: argparse.Namespace) -> None:
    """Seed, then measure."""
    settings = load_settings(ROOT / "config" / "default.toml", environ={})
    with tempfile.TemporaryDirectory() as workdir:
        if args.postgres_url:  # a schema of its own, dropped afterwards
            schema = f"bench_kanban_{os.getpid()}"
            conn = await asyncpg.connect(args.postgres_url)
            await conn.execute(f"CREATE SCHEMA {schema}")
            await conn.close()
            storage: Storage = PostgresStorage(args.postgres_url, schema=schema)
        else:
            storage = open_storage(f"sqlite:///{Path(workdir) / 'kanban.sqlite3'}")
        app = create_app(settings, build_services(settings, storage))
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        try:
            started = time.perf_counter()
            key = await seed(storage, settings, args.deals, args.open)
            took = time.perf_counter() - started
            print(f"seeded {args.deals} deals ({args.open} open) in {took:.1f} s")
            head = next(m.login for m in settings.managers if m.role == "head")
            manager = next(m.login for m in settings.managers if m.role != "head")
            for login, label in (
                (head, "board, head (all deals)"),
                (manager, "board, one manager"),
            ):
                token = await create_token(storage, login)
                await time_board(client, f"/deals?pipeline={key}", token, 3)  # warm up
                samples, size = await time_board(
                    client, f"/deals?pipeline={key}", token, args.requests
                )
                print(row(label, samples, size))
        finally:
            await client.close()
            if args.postgres_url:
                conn = await asyncpg.connect(args.postgres_url)
                await conn.execute(f"DROP SCHEMA {schema} CASCADE")
                await conn.close()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=20000)
    parser.add_argument("--open", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--postgres-url", default="")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
