"""The running service over real HTTP on loopback, on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from config import Settings
from crm_core.storage import Storage
from intake.auth import create_token
from intake.bootstrap import Services, build_services
from intake.http.app import create_app
from tests.conftest import storage_of_kind
from tests.contract.validation import check_responses


@dataclass
class Running:
    """A started service: its HTTP client, its wiring, and bearer tokens by login."""

    client: TestClient[Any, Any]
    services: Services
    tokens: dict[str, str]

    def auth(self, login: str = "head") -> dict[str, str]:
        """Authorization header for a demo login."""
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    async def leads(self, login: str = "head", query: str = "limit=500") -> list[dict[str, Any]]:
        """One page of leads as a login sees them."""
        async with self.client.get(f"/api/v1/leads?{query}", headers=self.auth(login)) as r:
            assert r.status == 200, await r.text()
            items: list[dict[str, Any]] = (await r.json())["items"]
            return items

    async def wait_for_leads(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll the API (as head) until at least `count` leads exist."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(items := await self.leads()) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(items)} leads, not {count}, after {timeout}s")
            await asyncio.sleep(0.02)
        return items

    async def lead(self, lead_id: int, login: str = "head") -> dict[str, Any]:
        """One lead as the API shows it."""
        async with self.client.get(f"/api/v1/leads/{lead_id}", headers=self.auth(login)) as r:
            assert r.status == 200, await r.text()
            body: dict[str, Any] = await r.json()
            return body

    async def wait_for_matched(self, intake_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """The lead of an intake id once the duplicate detector has decided on it."""
        lead = await self.wait_for_lead(intake_id, timeout)
        return await self.lead(lead["id"])

    async def wait_for_lead(self, intake_id: int, timeout: float = 10.0) -> dict[str, Any]:
        """Poll the API (as head) until the lead of an intake id exists."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (found := [i for i in await self.leads() if i["intake_id"] == intake_id]):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no lead for intake {intake_id} after {timeout}s")
            await asyncio.sleep(0.02)
        return found[0]


@asynccontextmanager
async def run_service(settings: Settings, storage: Storage) -> AsyncIterator[Running]:
    """Start create_app on a loopback port; issue tokens for every configured manager.

    Every answer the service gives is checked against its OpenAPI document (status, media
    type, body schema); a test whose requests got an undocumented answer fails on exit.
    """
    services = build_services(settings, storage)
    app = create_app(settings, services)
    contract = check_responses(app)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        tokens = {m.login: await create_token(storage, m.login) for m in settings.managers}
        yield Running(client, services, tokens)
    finally:
        await client.close()
    contract.assert_kept()


StartService = Callable[..., Awaitable[Running]]


@pytest.fixture(params=["sqlite"])
async def service(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service on SQLite (tests needing both databases use `any_db_service`)."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(settings, storage) as running,
    ):
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
async def any_db_service(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(settings, storage) as running,
    ):
        yield running
