"""The website form rate limit over HTTP: per form and client IP, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from config import Settings, load_settings
from config.abuse_settings import FORM_RATE_ENV
from intake.http.ratelimit import FormRateLimiter
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service

DEMO = Path(__file__).resolve().parents[2] / "config" / "default.toml"
LIMITED_FORM = """
[[forms]]
key = "strict"
name = "Строгая"
rate_per_minute = 6
rate_burst = 2
"""


@pytest.fixture
async def limited(
    write_config: Callable[[str], Settings], tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with the rate limit at its default (the test config turns it off)."""
    source = write_config(LIMITED_FORM).source
    settings = load_settings(source, environ={FORM_RATE_ENV: "20"})
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(settings, storage) as running,
    ):
        yield running


def form(i: int) -> dict[str, str]:
    return {"name": "Иван", "phone": f"+7916{i:07d}"}


async def post(running: Running, i: int, key: str = "site", **headers: str) -> int:
    async with running.client.post(f"/api/v1/forms/{key}", json=form(i), headers=headers) as r:
        await r.read()
        return r.status


def test_the_product_default_is_on() -> None:
    settings = load_settings(DEMO, environ={})
    assert settings.intake.form_rate_per_minute == 20
    assert settings.intake.form_rate_burst == 10
    assert FormRateLimiter(settings).rate(settings.forms[0]).enabled
    off = load_settings(DEMO, environ={FORM_RATE_ENV: "0"})
    assert not FormRateLimiter(off).rate(off.forms[0]).enabled


async def test_a_burst_of_ten_passes_and_the_eleventh_gets_429(limited: Running) -> None:
    assert [await post(limited, i) for i in range(10)] == [202] * 10
    async with limited.client.post("/api/v1/forms/site", json=form(10)) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "3"
        body = await r.json()
    assert body["error"] == "rate_limited" and body["field"] == "form_key"
    assert "'site'" in body["message"]
    assert body["limit"] == {"per_minute": 20, "burst": 10, "key": "form+client_ip"}
    # Another form is another bucket.
    assert await post(limited, 11, "mapped") == 202
    async with limited.client.get("/metrics") as r:
        text = await r.text()
    assert 'leadintake_intake_requests_total{channel="webform",outcome="rate_limited"} 1.0' in text


async def test_clients_behind_a_trusted_proxy_are_told_apart(limited: Running) -> None:
    # The test client connects from loopback, a trusted proxy by default.
    one = {"X-Forwarded-For": "203.0.113.7"}
    other = {"X-Forwarded-For": "203.0.113.8"}
    assert [await post(limited, i, "strict", **one) for i in range(3)] == [202, 202, 429]
    assert await post(limited, 3, "strict", **other) == 202
    # Hops a client wrote before our proxy's own entry do not buy a fresh bucket.
    spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    assert await post(limited, 4, "strict", **spoofed) == 429


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    config = TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + LIMITED_FORM
    config = config.replace("port = 8080\n", 'port = 8080\ntrusted_proxies = ["10.0.0.0/8"]\n')
    path = tmp_path / "proxied.toml"
    path.write_text(config, "utf-8")
    settings = load_settings(path, environ={FORM_RATE_ENV: "20"})
    assert settings.http.trusted_proxies == ("10.0.0.0/8",)
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(settings, storage) as running,
    ):
        statuses = [
            await post(running, i, "strict", **{"X-Forwarded-For": f"203.0.113.{i}"})
            for i in range(3)
        ]
    assert statuses == [202, 202, 429]
