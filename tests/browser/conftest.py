"""A real browser for page tests: Debian's Chromium driven by Playwright (no download).

One Chromium serves the whole session (a launch costs seconds), so every page test runs in
the session's event loop; each test opens browser contexts of its own, closed after it.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright
from pytest_asyncio import is_async_test

from config import Settings
from intake.clock import utcnow
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from workplace.auth.service import set_password

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Screenshots of the main pages land here; CI keeps the folder (look at them before calling a
# page done).
SCREENSHOTS = Path(os.environ.get("LEADINTAKE_SCREENSHOTS", ROOT / "var" / "screenshots"))
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    """Debian's Chromium binary, or None when the machine has none."""
    override = os.environ.get("LEADINTAKE_CHROMIUM")
    if override:
        return override
    return next((p for c in CHROMIUM_CANDIDATES if (p := shutil.which(c))), None)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's headless Chromium (as root it needs --no-sandbox); skipped without one, and
    a failure under CI."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (Debian: apt-get install chromium)")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path, args=args)
        try:
            yield launched
        finally:
            await launched.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Page tests run in the session's event loop, the one the shared Chromium lives in, and
    so do the async fixtures they use: those defined here are moved to it (a fixture in
    another loop would serve nothing while the test awaits), any other must already be."""
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if not (is_async_test(item) and HERE in Path(item.path).parents):
            continue
        item.add_marker(session_loop, append=False)
        for fixturedefs in item._fixtureinfo.name2fixturedefs.values():  # type: ignore[attr-defined]
            for fixturedef in fixturedefs:
                _into_the_session_loop(fixturedef.func, fixturedef.argname)


def _into_the_session_loop(func: object, name: str) -> None:
    """Run an async fixture of the page tests in the session's loop (pytest-asyncio reads the
    loop scope from the function's `_loop_scope`, which its decorator sets)."""
    if not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
        return
    scope = getattr(func, "_loop_scope", None)
    if scope is None and HERE in Path(inspect.getfile(func)).resolve().parents:  # type: ignore[arg-type]
        func._loop_scope = "session"  # type: ignore[attr-defined]
    elif scope != "session":
        raise pytest.UsageError(
            f"page tests use the async fixture {name!r} outside the session's event loop:"
            ' declare it with @pytest_asyncio.fixture(loop_scope="session")'
        )


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder page tests write their screenshots to."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium for every page test of the session."""
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def _contexts_closed(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Whatever browser contexts a test left open are closed after it: the next test starts
    with none (no cookies, pages or event streams of another test)."""
    if "browser" not in request.fixturenames:
        yield
        return
    shared: Browser = request.getfixturevalue("browser")
    assert not shared.contexts, "a previous test left browser contexts open"
    yield
    for context in shared.contexts:
        await context.close()


@pytest.fixture
def service_settings(settings: Settings) -> Settings:
    """The configuration `running` serves; a module overrides this fixture to change it."""
    return settings


@pytest.fixture
def sign_in_passwords() -> dict[str, str]:
    """Logins that may sign in through the form, with their passwords; a module overrides
    this fixture to give some."""
    return {}


@pytest_asyncio.fixture(params=["sqlite", "postgres"], loop_scope="session")
async def running(
    request: pytest.FixtureRequest,
    service_settings: Settings,
    sign_in_passwords: dict[str, str],
    tmp_path: Path,
) -> AsyncIterator[Running]:
    """The service on each database, on a loopback port the browser can reach; the logins of
    `sign_in_passwords` have their passwords."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(service_settings, storage) as service,
    ):
        now = utcnow()
        await asyncio.gather(
            *(set_password(storage, login, pw, now) for login, pw in sign_in_passwords.items())
        )
        yield service
