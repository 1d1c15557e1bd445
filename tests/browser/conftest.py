"""A real browser for page tests: Debian's Chromium driven by Playwright (no download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder page tests write their screenshots to."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium; as root it needs --no-sandbox."""
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
