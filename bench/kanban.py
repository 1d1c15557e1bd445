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
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from seed_workplace import row, scratch_storage, time_page  # noqa: E402

from config import Settings, load_settings  # noqa: E402
from crm_core.pipelines import StageKind  # noqa: E402
from crm_core.sales import DealStatus, NewDeal, NewTask, RecordKind  # noqa: E402
from crm_core.storage import Storage  # noqa: E402
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


async def run(args: argparse.Namespace) -> None:
    """Seed, then measure."""
    settings = load_settings(ROOT / "config" / "default.toml", environ={})
    with tempfile.TemporaryDirectory() as workdir:
        async with scratch_storage(args.postgres_url, Path(workdir), "kanban") as (storage, _):
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
                    path = f"/deals?pipeline={key}"
                    await time_page(client, path, token, 3)  # warm up
                    timing = await time_page(client, path, token, args.requests)
                    assert timing.status == 200, timing.status
                    print(row(label, timing))
            finally:
                await client.close()


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
