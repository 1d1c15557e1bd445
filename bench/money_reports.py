"""The money reports on a year of documents: `--invoices` invoices (and as many quotes) on
deals of the demo managers, most paid in one or two payments, some open, overdue, cancelled.

Seeds a scratch database (SQLite, or a schema of its own on PostgreSQL), then requests each
report over HTTP as the head (everyone's) and as a manager and prints p50/p95 latency.

    .venv/bin/python bench/money_reports.py [--invoices 10000] [--requests 20]
        [--postgres-url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from seed_workplace import _session, row, scratch_storage, time_page  # noqa: E402

from config import Settings, load_settings  # noqa: E402
from crm_core.storage import Storage  # noqa: E402
from intake.auth import create_token  # noqa: E402
from intake.bootstrap import build_services  # noqa: E402
from intake.clock import utcnow  # noqa: E402
from intake.http.app import create_app  # noqa: E402

DEALS_PER_MANAGER_INVOICE = 5  # invoices per deal
STATUSES = ["paid"] * 70 + ["issued"] * 10 + ["partially_paid"] * 10 + ["cancelled"] * 5
STATUSES += ["draft"] * 5


async def seed(storage: Storage, settings: Settings, invoices: int) -> None:
    """Deals, quotes, invoices and payments over the last year, written in bulk."""
    rng = random.Random(18)
    now = utcnow()
    today = now.astimezone(ZoneInfo(settings.documents.timezone)).date()
    pipeline = settings.pipelines[0]
    async with storage.transaction() as uow:
        owners = [m.id for m in await uow.managers.list() if not m.is_head]
        s = _session(uow)
        deal_rows = []
        for n in range(invoices // DEALS_PER_MANAGER_INVOICE + 1):
            owner = owners[n % len(owners)]
            first_stage = pipeline.stages[0].key
            deal_rows.append(
                (f"Поставка №{n}", pipeline.key, first_stage, "open", "RUB", "{}", owner, now)
            )
        await s.executemany(
            "INSERT INTO deals (title, pipeline, stage, status, currency, fields, owner_id,"
            " stage_entered_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
            " $8, $8)",
            deal_rows,
        )
        deal_ids = [int(r["id"]) for r in await s.fetch("SELECT id FROM deals ORDER BY id")]
        quotes, bills, payments, made_at = [], [], [], []
        for n in range(invoices):
            deal_id = deal_ids[n // DEALS_PER_MANAGER_INVOICE]
            issued = today - timedelta(days=rng.randrange(365))
            made = now - timedelta(days=(today - issued).days)
            total = rng.randrange(1_000_00, 1_000_000_00)
            quote_status = rng.choice(["draft", "sent", "accepted", "accepted", "rejected"])
            quotes.append(
                (deal_id, f"КП-{n}", 2026, n + 1, quote_status, "included", 0, total, 0, total)
            )
            status = rng.choice(STATUSES)
            due = issued + timedelta(days=rng.choice((5, 10, 30)))
            made_at.append(made)
            dates = (issued.isoformat(), due.isoformat())
            bills.append((deal_id, n + 1, f"СЧ-{n}", n + 1, status, *dates, total, made))
            if status in ("paid", "partially_paid"):
                first = total if status == "paid" and rng.random() < 0.6 else total // 2
                days = [rng.randrange(0, 40)]
                amounts = [first]
                if first < total and status == "paid":
                    days.append(days[0] + rng.randrange(1, 30))
                    amounts.append(total - first)
                for d, amount in zip(days, amounts, strict=True):
                    paid_on = min(issued + timedelta(days=d), today)
                    payments.append((n + 1, amount, paid_on.isoformat(), "manual", "bench", now))
        await s.executemany(
            "INSERT INTO quotes (deal_id, number, year, sequence, status, vat_mode, discount_bp,"
            " subtotal_kopecks, vat_kopecks, total_kopecks, created_by, created_at,"
            " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'bench', $11, $11)",
            [(*q, made) for q, made in zip(quotes, made_at, strict=True)],
        )
        # Quote ids are 1..n on the fresh database, so invoice n comes from quote n.
        await s.executemany(
            "INSERT INTO invoices (deal_id, quote_id, number, year, sequence, status, vat_mode,"
            " discount_bp, invoice_date, due_date, seller, buyer, subtotal_kopecks,"
            " vat_kopecks, total_kopecks, created_by, created_at, updated_at) VALUES ($1, $2,"
            " $3, 2026, $4, $5, 'included', 0, $6, $7, '{}', '{}', $8, 0, $8, 'bench', $9, $9)",
            bills,
        )
        await s.executemany(
            "INSERT INTO payments (invoice_id, amount_kopecks, paid_on, source, created_by,"
            " created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            payments,
        )
    print(f"seeded {invoices} invoices, {len(quotes)} quotes, {len(payments)} payments")


async def run(args: argparse.Namespace) -> None:
    """Seed, then measure."""
    settings = load_settings(ROOT / "config" / "default.toml", environ={})
    with tempfile.TemporaryDirectory() as workdir:
        async with scratch_storage(args.postgres_url, Path(workdir), "money") as (storage, db):
            app = create_app(settings, build_services(settings, storage))
            client = TestClient(TestServer(app, host="127.0.0.1"))
            await client.start_server()
            try:
                started = time.perf_counter()
                await seed(storage, settings, args.invoices)
                print(f"{db}: seeded in {time.perf_counter() - started:.1f} s")
                head = next(m.login for m in settings.managers if m.role == "head")
                manager = next(m.login for m in settings.managers if m.role != "head")
                today = utcnow().date()
                year = f"from={today - timedelta(days=365)}&to={today + timedelta(days=1)}"
                paths = {
                    "revenue by month": f"/api/v1/reports/revenue?{year}&group=month",
                    "revenue by day": f"/api/v1/reports/revenue?{year}&group=day",
                    "receivables": "/api/v1/reports/receivables",
                    "conversion": f"/api/v1/reports/documents-conversion?{year}",
                    "page Деньги": f"/reports/money?from={today.replace(day=1)}",
                }
                for login in (head, manager):
                    token = await create_token(storage, login)
                    for label, path in paths.items():
                        await time_page(client, path, token, 2)  # warm up
                        timing = await time_page(client, path, token, args.requests)
                        assert timing.status == 200, (path, timing.status)
                        print(row(f"{label}, {login}", timing))
                    await _summary(client, token, paths["receivables"])
            finally:
                await client.close()


async def _summary(client: TestClient, token: str, path: str) -> None:
    async with client.get(path, headers={"Authorization": f"Bearer {token}"}) as response:
        body: dict[str, Any] = json.loads(await response.text())
    print(f"  receivables: {body['invoices']} invoices, {body['due']} due")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--postgres-url", default="")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
