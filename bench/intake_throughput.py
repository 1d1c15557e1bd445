"""Durable form intake vs a bare aiohttp handler, measured in the same run.

Starts `leadintake serve` (SQLite, synchronous=FULL) and bench/bare_server.py as separate
processes, drives both with the same closed-loop load from separate load-generator processes,
then drives the durable service open-loop at half its measured throughput for latency. With
`--separate-worker` the durable service is measured a second time, as `serve --no-worker`
beside a `leadintake worker` process.

    .venv/bin/python bench/intake_throughput.py [--seconds 10] [--connections 64]
        [--separate-worker]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import Result, closed_loop, open_loop

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 30) -> None:
    """Poll a URL until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _closed_worker(args: tuple[int, int, float]) -> Result:
    port, connections, seconds = args
    return asyncio.run(closed_loop("127.0.0.1", port, connections, seconds))


def _open_worker(args: tuple[int, int, float, float]) -> Result:
    port, connections, rate, seconds = args
    return asyncio.run(open_loop("127.0.0.1", port, connections, rate, seconds))


def merge(results: list[Result]) -> Result:
    """One Result out of the load generators' results."""
    merged = Result()
    for r in results:
        merged.latencies += r.latencies
        merged.errors += r.errors
        for status, n in r.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + n
    return merged


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) in milliseconds."""
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1] * 1000


def run_closed(pool: multiprocessing.pool.Pool, port: int, args: argparse.Namespace) -> Result:
    """Closed-loop load from every load-generator process."""
    share = max(1, args.connections // args.processes)
    jobs = [(port, share, args.seconds)] * args.processes
    return merge(pool.map(_closed_worker, jobs))


def run_open(
    pool: multiprocessing.pool.Pool, port: int, rate: float, args: argparse.Namespace
) -> Result:
    """Open-loop load at a total rate split across processes."""
    share = max(1, args.connections // args.processes)
    jobs = [(port, share, rate / args.processes, args.seconds)] * args.processes
    return merge(pool.map(_open_worker, jobs))


def start_durable(workdir: Path, port: int, *, worker: bool) -> list[subprocess.Popen[bytes]]:
    """`leadintake serve` with the demo config on a fresh SQLite file; with `worker`, the
    service takes requests only and a `leadintake worker` process makes the leads."""
    env = {
        **os.environ,
        "LEADINTAKE_CONFIG": str(ROOT / "config" / "default.toml"),
        "LEADINTAKE_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LEADINTAKE_HTTP_PORT": str(port),
        "LEADINTAKE_LOG_LEVEL": "WARNING",
        # The load comes from one address: the form rate limit would answer 429.
        "LEADINTAKE_FORM_RATE_PER_MINUTE": "0",
    }
    intake = [sys.executable, "-m", "intake"]
    serve = [*intake, "serve", "--no-worker"] if worker else [*intake, "serve"]
    processes = [subprocess.Popen(serve, cwd=ROOT, env=env)]
    if worker:
        wait_http(f"http://127.0.0.1:{port}/readyz")  # migrated before the worker opens it
        processes.append(subprocess.Popen([*intake, "worker"], cwd=ROOT, env=env))
    return processes


def readyz(port: int) -> dict[str, object]:
    """The durable service's readiness document."""
    url = f"http://127.0.0.1:{port}/readyz"
    with urllib.request.urlopen(url, timeout=5) as response:
        body: dict[str, object] = json.load(response)
        return body


def wait_drained(port: int, timeout: float = 120) -> float:
    """Seconds until the inbox backlog is empty."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        inbox = readyz(port)["checks"]["inbox"]  # type: ignore[index]
        if inbox["pending"] == 0:
            return time.monotonic() - started
        time.sleep(0.1)
    return float("inf")


def count_leads(db: Path) -> tuple[int, int]:
    """(inbox rows, leads) read from the SQLite file."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        inbox = conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
        leads = conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
    return inbox, leads


def line(label: str, r: Result, seconds: float) -> str:
    """One row of the results table."""
    rps = len(r.latencies) / seconds
    p50, p99 = percentile(r.latencies, 0.5), percentile(r.latencies, 0.99)
    return f"{label:<52} {rps:>9.0f} {p50:>9.2f} {p99:>9.2f} {r.errors:>7}"


class DurableRun:
    """One configuration of the durable service, measured closed-loop then at half load."""

    def __init__(self, label: str, closed: Result, opened: Result, rate: float) -> None:
        self.label = label
        self.closed = closed
        self.opened = opened
        self.rate = rate
        self.drain = self.drain_open = 0.0
        self.inbox = self.leads = 0


def measure_durable(
    pool: multiprocessing.pool.Pool, args: argparse.Namespace, *, worker: bool
) -> DurableRun:
    """Start the service (with a separate worker process or not) and load it."""
    port = free_port()
    label = "separate worker process" if worker else "worker in-process"
    with tempfile.TemporaryDirectory(prefix="leadintake-bench-") as tmp:
        workdir = Path(tmp)
        processes = start_durable(workdir, port, worker=worker)
        try:
            wait_http(f"http://127.0.0.1:{port}/readyz")
            closed = run_closed(pool, port, args)
            drain = wait_drained(port)
            rate = len(closed.latencies) / args.seconds / 2
            run = DurableRun(label, closed, run_open(pool, port, rate, args), rate)
            run.drain, run.drain_open = drain, wait_drained(port)
            run.inbox, run.leads = count_leads(workdir / "bench.sqlite3")
        finally:
            for proc in processes:
                proc.terminate()
                proc.wait(timeout=30)
    return run


def main() -> None:
    """Run both phases for both configurations and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="also measure `serve --no-worker` beside a `leadintake worker` process",
    )
    args = parser.parse_args()

    bare_port = free_port()
    bare = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "bare_server.py"), str(bare_port)]
    )
    try:
        wait_http(f"http://127.0.0.1:{bare_port}/healthz")
        with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
            run_closed(pool, bare_port, argparse.Namespace(**{**vars(args), "seconds": 1}))
            bare_result = run_closed(pool, bare_port, args)
            modes = (False, True) if args.separate_worker else (False,)
            runs = [measure_durable(pool, args, worker=w) for w in modes]
    finally:
        bare.terminate()
        bare.wait(timeout=30)

    bare_rps = len(bare_result.latencies) / args.seconds
    print()
    print(
        f"cpus={os.cpu_count()} seconds={args.seconds} connections={args.connections}"
        f" loadgen_processes={args.processes}"
    )
    print(f"{'phase':<52} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    print(line("bare aiohttp handler (closed)", bare_result, args.seconds))
    for run in runs:
        print(line(f"durable intake, {run.label} (closed)", run.closed, args.seconds))
        print(
            line(f"durable intake, {run.label} (open, {run.rate:.0f}/s)", run.opened, args.seconds)
        )
    for run in runs:
        rps = len(run.closed.latencies) / args.seconds
        acked = len(run.closed.latencies) + len(run.opened.latencies)
        print(f"{run.label}:")
        print(f"  ratio durable/bare throughput: {rps / bare_rps:.2f} (target >= 0.80)")
        print(f"  p99 at half load: {percentile(run.opened.latencies, 0.99):.2f} ms (target < 25)")
        print(
            f"  acknowledged={acked} inbox_rows={run.inbox} leads={run.leads}"
            f" backlog_drained_after_closed={run.drain:.1f}s after_open={run.drain_open:.1f}s"
        )


if __name__ == "__main__":
    main()
