"""Server CPU per accepted form: the HTTP path alone (`serve --no-worker`) and with the worker.

Throughput on a 2-core machine shared with the load generator swings by 15% between runs;
the CPU the server process spends per request (from /proc) is steadier, so a change to the
request path shows here first. With `--baseline DIR` (a checkout of an earlier commit, e.g.
`git worktree add ../base <rev>`) both are measured in turns in the same run, and the ratio
is printed.

    .venv/bin/python bench/request_cpu.py [--seconds 10] [--rounds 3] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_throughput import free_port, wait_http
from loadgen import closed_loop

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def pending(port: int) -> int:
    """Inbox rows not yet turned into leads."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
        return int(json.load(answer)["checks"]["inbox"]["pending"])


def measure(checkout: Path, seconds: float, *, worker: bool) -> float:
    """Milliseconds of server CPU per form posted by 64 keep-alive connections."""
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            **os.environ,
            "LEADINTAKE_CONFIG": str(checkout / "config" / "default.toml"),
            "LEADINTAKE_DATABASE_URL": f"sqlite:///{Path(workdir) / 'cpu.sqlite3'}",
            "LEADINTAKE_HTTP_PORT": str(port),
            "LEADINTAKE_LOG_LEVEL": "WARNING",
            "LEADINTAKE_FORM_RATE_PER_MINUTE": "0",
        }
        serve = [sys.executable, "-m", "intake", "serve", *([] if worker else ["--no-worker"])]
        server = subprocess.Popen(serve, cwd=checkout, env=env)
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            asyncio.run(closed_loop("127.0.0.1", port, 16, 1.0))  # warm up
            drain(port, worker)
            before = cpu_seconds(server.pid)
            result = asyncio.run(closed_loop("127.0.0.1", port, 64, seconds))
            drain(port, worker)
            spent = cpu_seconds(server.pid) - before
        finally:
            server.terminate()
            server.wait(timeout=30)
    return spent * 1000 / max(1, len(result.latencies))


def drain(port: int, worker: bool) -> None:
    """With the worker, wait until every stored form became a lead."""
    while worker and pending(port):
        time.sleep(0.1)


def main() -> None:
    """Measure in turns and print the medians (and the ratio to the baseline)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an earlier checkout to compare with")
    args = parser.parse_args()
    checkouts = {"this": ROOT} | ({"baseline": args.baseline} if args.baseline else {})
    print(f"cpus={os.cpu_count()} seconds={args.seconds} rounds={args.rounds}")
    print(f"{'':<10} {'request only ms/form':>22} {'with worker ms/form':>22}")
    medians: dict[str, tuple[float, float]] = {}
    samples: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in checkouts}
    for _ in range(args.rounds):
        for name, checkout in checkouts.items():
            samples[name][0].append(measure(checkout, args.seconds, worker=False))
            samples[name][1].append(measure(checkout, args.seconds, worker=True))
    for name, (alone, full) in samples.items():
        medians[name] = (statistics.median(alone), statistics.median(full))
        print(f"{name:<10} {medians[name][0]:>22.3f} {medians[name][1]:>22.3f}")
    if args.baseline:
        this, base = medians["this"], medians["baseline"]
        print(
            f"ratio this/baseline: request only {this[0] / base[0]:.2f},"
            f" with worker {this[1] / base[1]:.2f} (lower is cheaper)"
        )


if __name__ == "__main__":
    main()
