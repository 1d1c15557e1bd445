"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from tests.e2e.conftest import Running


async def test_healthz_and_readyz(any_db_service: Running) -> None:
    async with any_db_service.client.get("/healthz") as response:
        assert response.status == 200
    async with any_db_service.client.get("/readyz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True
    assert body["checks"]["inbox"]["pending"] == 0


async def test_readyz_is_503_when_the_database_is_gone(service: Running) -> None:
    await service.services.storage.close()
    async with service.client.get("/readyz") as response:
        assert response.status == 503
        assert (await response.json())["checks"]["database"]["ok"] is False


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
        if r.resource is not None and r.method != "HEAD"
    }
    described = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert routes == described
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert {"200", "201", "202"} & set(op["responses"]), (method, path)
