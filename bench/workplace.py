"""The managers' workplace under a real team's data: p95 of every main page, and its weight.

Seeds a database with `--leads` leads, `--deals` deals (`--open` of them open on the first
pipeline's board) and a team of `--managers` managers plus the head (bench/seed_workplace.py),
then requests each page `--requests` times after a warm-up, as the head and as a manager:
Входящие (`/`), a lead card with a long timeline (`/leads/{id}`), the kanban board
(`/deals?pipeline=`), Отчёты (`/reports`) and the head's team panel (`/team`). A page that
is not built yet (no route, or the "coming later" placeholder) is reported as n/a.

The issue's bar: p95 ≤ 150 ms for every page, and the kanban of 500 cards ≤ 400 KiB.
SQLite (a temporary file) always; PostgreSQL too with `--postgres-url` (a schema of its own,
dropped afterwards).

    .venv/bin/python bench/workplace.py [--leads 100000] [--deals 20000] [--open 500]
        [--managers 30] [--new-per-manager 200] [--requests 100]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from seed_workplace import (  # noqa: E402
    Seeded,
    p95,
    row,
    scratch_storage,
    seed_workplace,
    team_settings,
    time_page,
)

from config import load_settings  # noqa: E402
from intake.auth import create_token  # noqa: E402
from intake.bootstrap import build_services  # noqa: E402
from intake.http.app import create_app  # noqa: E402
from intake.http.keys import SERVICES  # noqa: E402

P95_BAR_MS = 150.0
KANBAN_BAR_KIB = 400.0
WARM_UP = 5


def pages(seeded: Seeded, head: bool) -> list[tuple[str, str]]:
    """(label, path) of every page measured for one role."""
    found = [
        ("Входящие", "/"),
        ("lead card", f"/leads/{seeded.lead_id}"),
        ("kanban", f"/deals?pipeline={seeded.pipeline}"),
        ("Отчёты", "/reports"),
    ]
    if head:
        found.append(("team panel", "/team"))
    return found


def is_built(app: web.Application, path: str) -> bool:
    """Whether a GET route answers `path` with a real page (not the placeholder)."""
    for route in app.router.routes():
        if route.method != "GET" or route.resource is None:
            continue
        if route.resource.canonical == path.split("?")[0]:
            return not route.handler.__module__.endswith(".placeholders")
    return path.startswith(("/leads/", "/deals"))


async def measure(
    client: TestClient, app: web.Application, seeded: Seeded, requests: int
) -> list[bool]:
    """Print one line per page and role; returns whether each measured page met its bar."""
    verdicts = []
    for login, role in ((seeded.head, "head"), (seeded.manager, "manager")):
        token = await create_token(app[SERVICES].storage, login)
        for label, path in pages(seeded, role == "head"):
            name = f"{label}, {role}"
            if not is_built(app, path):
                print(f"{name:<22} n/a (not built)")
                continue
            warm = await time_page(client, path, token, WARM_UP)
            if warm.status != 200:
                print(f"{name:<22} n/a (answers {warm.status})")
                continue
            timing = await time_page(client, path, token, requests)
            if timing.status != 200:
                print(f"{name:<22} FAIL: answered {timing.status} during the run")
                verdicts.append(False)
                continue
            ok = p95(timing.samples) <= P95_BAR_MS
            if label == "kanban":
                ok = ok and timing.size / 1024 <= KANBAN_BAR_KIB
            verdicts.append(ok)
            print(f"{row(name, timing)}  {'OK' if ok else 'FAIL'}")
    return verdicts


async def run_one(args: argparse.Namespace, postgres_url: str) -> list[bool]:
    """Seed one database and measure it."""
    demo = load_settings(ROOT / "config" / "default.toml", environ={})
    settings = team_settings(demo, args.managers)
    with tempfile.TemporaryDirectory() as workdir:
        async with scratch_storage(postgres_url, Path(workdir), "workplace") as (storage, db):
            app = create_app(settings, build_services(settings, storage))
            client = TestClient(TestServer(app, host="127.0.0.1"))
            await client.start_server()
            try:
                started = time.perf_counter()
                seeded = await seed_workplace(
                    storage,
                    settings,
                    leads=args.leads,
                    deals=args.deals,
                    open_deals=args.open,
                    new_per_manager=args.new_per_manager,
                )
                took = time.perf_counter() - started
                print(
                    f"\n{db}: seeded in {took:.1f} s ("
                    + ", ".join(f"{n} {t}" for t, n in seeded.counts.items())
                    + f"); {args.managers} managers and the head; lead card: lead"
                    f" {seeded.lead_id} of {seeded.manager}"
                )
                verdicts = await measure(client, app, seeded, args.requests)
                # Other processes on the machine stretch wall-clock times, not CPU times.
                print(f"load average while measuring: {os.getloadavg()[0]:.1f}")
                return verdicts
            finally:
                await client.close()


async def run(args: argparse.Namespace) -> int:
    """Every database asked for; exit status 1 when a page misses its bar."""
    verdicts = []
    if args.only in ("", "sqlite"):
        verdicts += await run_one(args, "")
    if args.postgres_url and args.only in ("", "postgres"):
        verdicts += await run_one(args, args.postgres_url)
    print(f"\n{'all pages within the bar' if all(verdicts) else 'some pages miss the bar'}")
    return 0 if all(verdicts) else 1


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--open", type=int, default=500, help="open deals on the board")
    parser.add_argument("--managers", type=int, default=30, help="managers besides the head")
    parser.add_argument("--new-per-manager", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--only", choices=("sqlite", "postgres"), default="")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
