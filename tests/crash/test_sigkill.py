"""Kill -9 the server under load: every acknowledged submission survives, exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import TEST_CONFIG

CLIENTS = 16
ACKS_BEFORE_KILL = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """`python -m intake serve` on a config of its own, killable with SIGKILL; `extra_config`
    is added to the test config, `env` to the environment (secrets, the database URL)."""

    def __init__(
        self, tmp_path: Path, extra_config: str = "", env: Mapping[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.config = tmp_path / "crash.toml"
        config = TEST_CONFIG.format(db=tmp_path / "crash.sqlite3") + extra_config
        self.config.write_text(config.replace("port = 8080", f"port = {self.port}"), "utf-8")
        self.env = {**os.environ, **(env or {})}
        self.log = tmp_path / "server.log"
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "intake", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env=self.env,
        )
        return result.stdout

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "intake", "--config", str(self.config), "serve"],
                stdout=log,
                stderr=log,
                env=self.env,
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    async def wait_ready(self, session: aiohttp.ClientSession, timeout: float = 30) -> None:
        await poll(session, f"{self.base}/readyz", lambda body: body["status"] == "ready", timeout)

    async def wait_drained(self, session: aiohttp.ClientSession, timeout: float = 30) -> None:
        await poll(
            session,
            f"{self.base}/readyz",
            lambda body: body["status"] == "ready" and body["checks"]["inbox"]["pending"] == 0,
            timeout,
        )


async def poll(
    session: aiohttp.ClientSession,
    url: str,
    ok: Any,
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """GET `url` until it answers 200 with a JSON body `ok` accepts; returns that body."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            async with session.get(url, headers=headers) as response:
                if response.status == 200 and ok(body := await response.json()):
                    return body
        except aiohttp.ClientError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{url} not satisfied within {timeout}s")
        await asyncio.sleep(0.05)


@contextmanager
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path)
    proc.cli("migrate")
    try:
        yield proc
    finally:
        proc.kill()


async def load_until_killed(
    session: aiohttp.ClientSession, proc: ServerProcess, acked: dict[str, int]
) -> None:
    """Post from concurrent clients; SIGKILL the server once enough were acknowledged."""
    killed = asyncio.Event()
    kill_at = len(acked) + ACKS_BEFORE_KILL

    async def client() -> None:
        while not killed.is_set():
            tranid = uuid.uuid4().hex
            body = {"name": "Крэш Тест", "phone": "+79161234567", "tranid": tranid}
            try:
                async with session.post(f"{proc.base}/api/v1/forms/site", json=body) as r:
                    if r.status in (200, 202):
                        acked[tranid] = (await r.json())["intake_id"]
            except (TimeoutError, aiohttp.ClientError):
                return
            if len(acked) >= kill_at and not killed.is_set():
                killed.set()
                proc.kill()

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def all_leads(session: aiohttp.ClientSession, proc: ServerProcess) -> list[dict[str, Any]]:
    token = proc.cli("token", "create", "--manager", "head").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    leads: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "limit=500" + (f"&cursor={cursor}" if cursor else "")
        async with session.get(f"{proc.base}/api/v1/leads?{query}", headers=headers) as r:
            page = await r.json()
        leads += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return leads


@pytest.mark.timeout(180)
async def test_acknowledged_submissions_survive_sigkill_exactly_once(tmp_path: Path) -> None:
    acked: dict[str, int] = {}
    timeout = aiohttp.ClientTimeout(total=10)
    with server(tmp_path) as proc:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _round in range(2):  # the second kill lands on a database already recovered once
                proc.start()
                await proc.wait_ready(session)
                await load_until_killed(session, proc, acked)
                assert proc.process is not None and proc.process.returncode == -signal.SIGKILL
            proc.start()
            await proc.wait_drained(session)
            leads = await all_leads(session, proc)

            intake_ids = [lead["intake_id"] for lead in leads]
            tranids = [lead["meta"]["tranid"] for lead in leads]
            assert len(acked) >= 2 * ACKS_BEFORE_KILL
            assert len(set(intake_ids)) == len(intake_ids), "an intake became two leads"
            assert len(set(tranids)) == len(tranids), "a submission became two leads"
            by_tranid = dict(zip(tranids, intake_ids, strict=True))
            lost = [t for t in acked if t not in by_tranid]
            assert lost == [], f"{len(lost)} acknowledged submissions lost"
            assert all(by_tranid[t] == intake_id for t, intake_id in acked.items())

            for tranid in list(acked)[:20]:  # a sender's retry: the same submission again
                body = {"name": "Крэш Тест", "phone": "+79161234567", "tranid": tranid}
                async with session.post(f"{proc.base}/api/v1/forms/site", json=body) as r:
                    assert r.status == 200
                    answer = await r.json()
                assert answer == {
                    "intake_id": acked[tranid],
                    "status": "accepted",
                    "duplicate": True,
                }
            await proc.wait_drained(session)
            assert len(await all_leads(session, proc)) == len(leads)
