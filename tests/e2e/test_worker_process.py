"""`serve --no-worker` takes requests only; a separate `leadintake worker` makes the leads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.crash.test_sigkill import ServerProcess, all_leads, poll


def start(proc: ServerProcess, *args: str) -> subprocess.Popen[bytes]:
    with proc.log.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "intake", "--config", str(proc.config), *args],
            stdout=log,
            stderr=log,
        )


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
    return process.wait(timeout=30)


async def test_requests_wait_for_the_worker_process_then_become_leads(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path)
    proc.cli("migrate")
    serve = start(proc, "serve", "--no-worker")
    worker: subprocess.Popen[bytes] | None = None
    try:
        async with aiohttp.ClientSession() as session:
            await proc.wait_ready(session)
            body = {"name": "Отдельный Воркер", "phone": "+79161234567", "tranid": "w1"}
            async with session.post(f"{proc.base}/api/v1/forms/site", json=body) as response:
                assert response.status == 202
            async with session.get(f"{proc.base}/readyz") as response:
                ready = await response.json()
            # Stored and acknowledged; nobody in this process turns it into a lead.
            assert ready["checks"]["worker"] == {
                "ok": True,
                "state": "external",
                "in_process": False,
            }
            assert ready["checks"]["inbox"]["pending"] == 1

            worker = start(proc, "worker")
            await proc.wait_drained(session)
            [lead] = await all_leads(session, proc)
            assert lead["phone"] == "+79161234567" and lead["assignee"] is not None
            assert stop(worker) == 0
            # The service itself still answers with the worker gone.
            await poll(session, f"{proc.base}/healthz", lambda body: body["status"] == "ok", 10)
    finally:
        if worker is not None:
            stop(worker)
        stop(serve)
