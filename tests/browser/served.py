"""`leadintake serve` as an operator runs it, in a subprocess, for journeys in a real browser.

The configuration is the demo one (`config/default.toml`, what `make run` serves) with every
manager on duty around the clock, so who gets a lead does not depend on the hour the tests
run. The database URL and the port come from the environment, the way an operator passes
them; passwords are set with `leadintake user set-password LOGIN` from standard input.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from tests.browser.test_triage import FORM_URL, WIDE
from tests.conftest import postgres_url
from tests.crash.test_sigkill import free_port, poll

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "config" / "default.toml"
LOGINS = ("ivanova", "petrov", "head")
PASSWORD = "пароль-для-маршрутов-1"
READY_SECONDS = 30.0
# A clean stop takes well under a second; aiohttp's grace period for running requests is 10 s.
GRACEFUL_SECONDS = 5.0
STOP_SECONDS = 15.0


def leadintake() -> list[str]:
    """The `leadintake` console script of this environment (or `python -m intake`)."""
    script = Path(sys.executable).with_name("leadintake")
    return [str(script)] if script.exists() else [sys.executable, "-m", "intake"]


def journey_config(folder: Path) -> Path:
    """The demo configuration with working hours and absences left out: always on duty."""
    text = DEMO_CONFIG.read_text("utf-8")
    text = re.sub(r"^working_hours = .*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"^absences = \[\n.*?^\]\n", "", text, flags=re.MULTILINE | re.DOTALL)
    assert "working_hours" not in text and "absences" not in text, "the demo config changed"
    path = folder / "leadintake.toml"
    path.write_text(text, "utf-8")
    return path


@dataclass
class Served:
    """A running `leadintake serve`: its address, and the head's API token for the test's
    own checks (the browser never sends it: it signs in through the form)."""

    base: str
    kind: str
    log: Path
    head_token: str

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the JSON API as the head; the answer's JSON."""
        headers = {"Authorization": f"Bearer {self.head_token}"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.base + path, json=body, headers=headers) as response,
        ):
            assert response.status < 300, await response.text()
            return await response.json()

    async def lead(self, lead_id: int) -> dict[str, Any]:
        """One lead as the API shows it to the head."""
        found: dict[str, Any] = await self.api("GET", f"/api/v1/leads/{lead_id}")
        return found

    async def post_form(self, **fields: str) -> int:
        """A website form posted over HTTP; its intake id."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.base + FORM_URL, json=fields) as response,
        ):
            assert response.status == 202, await response.text()
            intake_id: int = (await response.json())["intake_id"]
            return intake_id

    async def lead_of_intake(self, intake_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """The lead the worker made of a request, once it exists."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            page = await self.api("GET", "/api/v1/leads?limit=500")
            found = [i for i in page["items"] if i["intake_id"] == intake_id]
            if found:
                return await self.lead(found[0]["id"])
            if loop.time() > deadline:
                raise AssertionError(f"no lead for intake {intake_id} after {timeout}s")
            await asyncio.sleep(0.05)

    async def submit(self, **fields: str) -> dict[str, Any]:
        """A website form over HTTP, and its lead once the worker has made it."""
        return await self.lead_of_intake(await self.post_form(**fields))

    async def lead_for(self, login: str, phones: Iterator[str], **fields: str) -> dict[str, Any]:
        """Forms (each with the next phone) until one goes to `login`; that lead. The queue
        shares leads by weight, so a few may go to the others."""
        for _ in range(8):
            lead = await self.submit(**fields, phone=next(phones))
            if lead["assignee"] == login:
                return lead
        raise AssertionError(f"eight forms and none went to {login}")

    async def sign_in(
        self, browser: Browser, login: str, viewport: dict[str, int] = WIDE
    ) -> BrowserContext:
        """A browser context signed in through the /login form (a session cookie only)."""
        context = await browser.new_context(
            base_url=self.base,
            viewport=viewport,  # type: ignore[arg-type]
            locale="ru-RU",
            timezone_id="Europe/Moscow",
        )
        page = await context.new_page()
        await page.goto("/login")
        await page.get_by_label("Логин").fill(login)
        await page.get_by_label("Пароль").fill(PASSWORD)
        await page.get_by_role("button", name="Войти").click()
        await expect(page.get_by_role("button", name="Выйти")).to_be_visible()
        await page.close()
        return context


def cli(
    config: Path, env: dict[str, str], *commands: tuple[str, ...], stdin: str = ""
) -> list[str]:
    """Run `leadintake` commands side by side (each start costs seconds of imports); their
    standard outputs in order (a failure shows its error output)."""
    started = [
        (
            args,
            subprocess.Popen(
                [*leadintake(), "--config", str(config), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            ),
        )
        for args in commands
    ]
    outputs = []
    for args, process in started:
        out, err = process.communicate(stdin, timeout=60)
        assert process.returncode == 0, f"leadintake {' '.join(args)}: {err}"
        outputs.append(out)
    return outputs


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_SECONDS) -> int | None:
    """SIGTERM, and SIGKILL when it does not stop in time; its exit code, or None when it
    had to be killed."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)
        return None


async def _wait_ready(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        await poll(session, f"{base}/readyz", lambda b: b["status"] == "ready", READY_SECONDS)


async def _pg(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@dataclass
class Database:
    """Where a served instance keeps its data: a SQLite file or a fresh PostgreSQL schema."""

    url: str
    drop: str | None = None  # the PostgreSQL statement that removes it afterwards
    admin_url: str | None = None


def database(kind: str, folder: Path) -> Database:
    """A fresh database of a kind; a PostgreSQL schema is named in the URL's search_path."""
    if kind == "sqlite":
        return Database(f"sqlite:///{folder / 'journeys.sqlite3'}")
    url = postgres_url()
    if not url:
        pytest.skip("LEADINTAKE_TEST_POSTGRES_URL is not set")
    schema = f"j_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg(url, f"CREATE SCHEMA {schema}"))
    joiner = "&" if "?" in url else "?"
    return Database(f"{url}{joiner}search_path={schema}", f"DROP SCHEMA {schema} CASCADE", url)


def serve(kind: str, folder: Path) -> Iterator[Served]:
    """Migrate, set every demo login's password, start `leadintake serve` on a free port,
    wait for /readyz; stop it (and drop its database) afterwards."""
    db = database(kind, folder)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADINTAKE_")}
    env |= {
        "LEADINTAKE_DATABASE_URL": db.url,
        "LEADINTAKE_HTTP_PORT": str(port),
        # Journeys post a few dozen forms from one address within a minute.
        "LEADINTAKE_FORM_RATE_PER_MINUTE": "0",
    }
    config = journey_config(folder)
    log = folder / f"serve-{kind}.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        [migrated] = cli(config, env, ("migrate",))
        assert migrated.startswith("applied: 0001_initial.sql"), migrated
        # The server starts while the passwords are set (each start costs seconds of imports);
        # the journeys begin once both are done.
        with log.open("wb") as out_file:
            process = subprocess.Popen(
                [*leadintake(), "--config", str(config), "serve"],
                stdout=out_file,
                stderr=subprocess.STDOUT,
                env=env,
            )
        # One line on standard input is the password (what a script does); the head's API
        # token is for the test's own checks.
        *_, token = cli(
            config,
            env,
            *(("user", "set-password", login) for login in LOGINS),
            ("token", "create", "--manager", "head"),
            stdin=PASSWORD + "\n",
        )
        served = Served(f"http://127.0.0.1:{port}", kind, log, token.strip().splitlines()[-1])
        try:
            asyncio.run(_wait_ready(served.base))
        except AssertionError:
            state = "exited" if process.poll() is not None else "running"
            tail = log.read_text("utf-8", errors="replace")[-3000:]
            raise AssertionError(f"serve not ready ({state}); its log:\n{tail}") from None
        yield served
        # Every page held an event stream; a stop ends them too, and exits cleanly.
        stopped = stop(process, GRACEFUL_SECONDS)
        assert stopped == 0, f"serve did not stop cleanly on SIGTERM ({stopped}); log: {log}"
    finally:
        if process is not None:
            stop(process)
        if db.drop and db.admin_url:
            asyncio.run(_pg(db.admin_url, db.drop))
