"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from crm_core.model import NewInboxItem
from intake.clock import utcnow
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from workplace.app import is_workplace


async def test_healthz_and_readyz(any_db_service: Running) -> None:
    async with any_db_service.client.get("/healthz") as response:
        assert response.status == 200
    async with any_db_service.client.get("/readyz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["state"] == "ok"
    assert body["checks"]["worker"]["ok"] is True
    assert body["checks"]["worker"]["state"] == "running"
    assert body["checks"]["inbox"]["pending"] == 0
    assert body["checks"]["inbox"]["state"] == "ok"
    assert body["warnings"] == []


async def test_readyz_is_503_when_the_database_is_gone(any_db_service: Running) -> None:
    await any_db_service.services.storage.close()
    async with any_db_service.client.get("/readyz") as response:
        assert response.status == 503
        text = await response.text()
    database = json.loads(text)["checks"]["database"]
    assert (database["ok"], database["state"]) == (False, "unavailable")
    # No internal error text (it names the database's host and port) for anyone unverified.
    assert "error" not in database
    assert "storage" not in text and "127.0.0.1" not in text and "5432" not in text


async def test_readyz_shows_error_texts_only_to_a_head(service: Running) -> None:
    service.services.worker.last_error = "connection to 10.0.0.7:5432 refused"

    anonymous = await readyz(service)
    manager = await readyz(service, service.auth("ivanova"))
    forged = await readyz(service, {"Authorization": "Bearer li_not-a-token"})
    head = await readyz(service, service.auth("head"))

    for body in (anonymous, manager, forged):
        assert "last_error" not in body["checks"]["worker"]
        assert "10.0.0.7" not in json.dumps(body)
    assert head["checks"]["worker"]["last_error"] == "connection to 10.0.0.7:5432 refused"
    assert head["checks"]["worker"]["state"] == anonymous["checks"]["worker"]["state"]


async def test_rows_parked_as_failed_make_readyz_not_ready(
    settings: Settings, tmp_path: Path, db_kind: str
) -> None:
    async with storage_of_kind(db_kind, tmp_path) as storage:
        await storage.open()
        await storage.migrate()
        now = utcnow()
        item = NewInboxItem("webform", "site", "site:poisoned", now, {}, {}, {"bad": True})
        async with storage.transaction() as uow:
            [receipt] = await uow.inbox.add_batch([item])
            await uow.inbox.record_failure(receipt.intake_id, "refused", now, now, 1)
        await storage.close()
        async with run_service(settings, storage) as running:
            async with running.client.get("/readyz") as response:
                assert response.status == 503
                body = await response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["inbox"]["state"] == "failed_rows"
    assert body["checks"]["inbox"]["failed"] == 1
    assert body["checks"]["inbox"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


async def test_a_pbx_clock_off_by_more_than_five_minutes_is_a_warning_not_unready(
    service: Running,
) -> None:
    clocks = service.services.pbx_clocks
    now = utcnow()
    clocks.observe("call:zadarma", now - timedelta(hours=3), now)
    clocks.observe("call:mango", now + timedelta(seconds=20), now)

    async with service.client.get("/readyz") as response:
        assert response.status == 200
        body = await response.json()

    assert body["status"] == "ready"
    assert body["checks"]["pbx_clocks"] == {
        "call:mango": {"state": "ok", "offset_seconds": 20},
        "call:zadarma": {"state": "skewed", "offset_seconds": -10800},
    }
    [warning] = body["warnings"]
    assert (warning["check"], warning["source"], warning["state"]) == (
        "pbx_clocks",
        "call:zadarma",
        "skewed",
    )
    assert "отстают на 180 мин" in warning["message"]


async def readyz(running: Running, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The /readyz body as the given headers see it."""
    async with running.client.get("/readyz", headers=headers or {}) as response:
        body: dict[str, Any] = await response.json()
        return body


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Each database."""
    return str(request.param)


async def test_metrics_count_requests_and_leads(service: Running) -> None:
    async with service.client.post("/api/v1/forms/site", json={"phone": "+79161234567"}) as r:
        intake_id = (await r.json())["intake_id"]
    await service.wait_for_lead(intake_id)
    async with service.client.get("/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    assert 'leadintake_intake_requests_total{channel="webform",outcome="accepted"} 1.0' in text
    assert 'leadintake_leads_created_total{channel="webform"} 1.0' in text
    assert "leadintake_inbox_lag_seconds 0.0" in text
    assert 'route="/api/v1/forms/{form_key}",status="202"' in text
    assert 'leadintake_channel_last_event_timestamp_seconds{channel="webform:site"}' in text
    async with service.client.get("/readyz") as response:
        pushed = (await response.json())["checks"]["pushed"]
    assert list(pushed) == ["webform:site"] and pushed["webform:site"]["last_event_at"]


async def test_openapi_describes_every_route(service: Running) -> None:
    async with service.client.get("/api/v1/openapi.json") as response:
        document = await response.json()
    assert document["openapi"].startswith("3.")
    routes = {
        (r.method.lower(), r.resource.canonical)
        for r in service.client.app.router.routes()
        if r.resource is not None and r.method != "HEAD" and not is_workplace(r.resource)
    }
    described = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert routes == described
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert {"200", "201", "202", "204"} & set(op["responses"]), (method, path)
