"""Durable form intake vs a bare aiohttp handler, measured in the same run.

Starts `leadintake serve` (SQLite, synchronous=FULL) and bench/bare_server.py as separate
processes, drives both with the same closed-loop load from separate load-generator processes,
then drives the durable service open-loop at half its measured throughput for latency.

    .venv/bin/python bench/intake_throughput.py [--seconds 10] [--connections 64]
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


def start_durable(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """`leadintake serve` with the demo config on a fresh SQLite file."""
    env = {
        **os.environ,
        "LEADINTAKE_CONFIG": str(ROOT / "config" / "default.toml"),
        "LEADINTAKE_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "LEADINTAKE_HTTP_PORT": str(port),
        "LEADINTAKE_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "intake", "serve"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


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
    return f"{label:<34} {rps:>9.0f} {p50:>9.2f} {p99:>9.2f} {r.errors:>7}"


def main() -> None:
    """Run both phases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    args = parser.parse_args()

    bare_port, durable_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="leadintake-bench-") as tmp:
        workdir = Path(tmp)
        bare = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "bare_server.py"), str(bare_port)]
        )
        durable = start_durable(workdir, durable_port)
        try:
            wait_http(f"http://127.0.0.1:{bare_port}/healthz")
            wait_http(f"http://127.0.0.1:{durable_port}/readyz")
            with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
                run_closed(pool, bare_port, argparse.Namespace(**{**vars(args), "seconds": 1}))
                bare_result = run_closed(pool, bare_port, args)
                durable_result = run_closed(pool, durable_port, args)
                drain = wait_drained(durable_port)
                durable_rps = len(durable_result.latencies) / args.seconds
                half = durable_rps / 2
                open_result = run_open(pool, durable_port, half, args)
                drain_open = wait_drained(durable_port)
            inbox, leads = count_leads(workdir / "bench.sqlite3")
        finally:
            for proc in (bare, durable):
                proc.terminate()
                proc.wait(timeout=30)

    bare_rps = len(bare_result.latencies) / args.seconds
    acked = len(durable_result.latencies) + len(open_result.latencies)
    print()
    print(
        f"cpus={os.cpu_count()} seconds={args.seconds} connections={args.connections}"
        f" loadgen_processes={args.processes}"
    )
    print(f"{'phase':<34} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    print(line("bare aiohttp handler (closed)", bare_result, args.seconds))
    print(line("durable intake (closed)", durable_result, args.seconds))
    print(line(f"durable intake (open, {half:.0f}/s)", open_result, args.seconds))
    print(f"ratio durable/bare throughput: {durable_rps / bare_rps:.2f} (target >= 0.80)")
    print(f"p99 at half load: {percentile(open_result.latencies, 0.99):.2f} ms (target < 25)")
    print(
        f"acknowledged={acked} inbox_rows={inbox} leads={leads}"
        f" backlog_drained_after_closed={drain:.1f}s after_open={drain_open:.1f}s"
    )


if __name__ == "__main__":
    main()
