"""/api/v1/connectors end to end: heads set up Bitrix24 with a mapping, send a test lead,
and see the connector's health (and its dead letters) in /readyz and /metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config import Settings
from tests.bitrix24_standin import CODE, Portal, serving
from tests.conftest import config_settings
from tests.e2e.conftest import Running
from tests.e2e.test_webhooks import get_json, submit, until

SECRET_ENV = "LEADINTAKE_TEST_BITRIX24_CODE"
WRONG_ENV = "LEADINTAKE_TEST_BITRIX24_WRONG"
CONFIG = """
[webhooks]
allow_private_targets = true
timeout_seconds = 0.4
base_delay_seconds = 0.05
max_delay_seconds = 0.1
max_age_hours = 0.0002
poll_seconds = 0.02
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Quick retries that give up within a second; a right and a wrong portal code."""
    return config_settings(tmp_path, CONFIG, environ={SECRET_ENV: CODE, WRONG_ENV: "nope"})


def body(portal: Portal, **extra: Any) -> dict[str, Any]:
    """A Bitrix24 connector to the stand-in portal."""
    mapping = {"users": {"ivanova": 11, "petrov": 12}, "source_id": "WEB"}
    found = {"kind": "bitrix24", "url": portal.url, "secret_env": SECRET_ENV, "mapping": mapping}
    return found | extra


async def test_connectors_are_heads_only_and_checked_field_by_field(service: Running) -> None:
    portal = Portal(url="http://127.0.0.1:9/rest/1/")
    async with service.client.post(
        "/api/v1/connectors", json=body(portal), headers=service.auth("ivanova")
    ) as r:
        assert r.status == 403
    good = body(portal)
    for wrong, field in (
        ({**good, "kind": "salesforce"}, "kind"),
        ({**good, "url": "http://127.0.0.1:9/rest/1/code/"}, "url"),
        ({**good, "url": "ftp://portal.example/rest/1/"}, "url"),
        ({**good, "secret_env": "LEADINTAKE_NOT_SET"}, "secret_env"),
        ({**good, "secret_env": "lower case"}, "secret_env"),
        ({**good, "mapping": {"users": {"nobody": 5}}}, "mapping.users.nobody"),
        ({**good, "mapping": {"statuses": {"new": 0}}}, "mapping.statuses.new"),
        ({**good, "mapping": {"colour": "red"}}, "mapping.colour"),
        ({**good, "kind": "amocrm"}, "url"),
    ):
        async with service.client.post(
            "/api/v1/connectors", json=wrong, headers=service.auth()
        ) as r:
            assert r.status == 422, (wrong, await r.text())
            assert (await r.json())["field"] == field
    async with service.client.post("/api/v1/connectors", json=good, headers=service.auth()) as r:
        assert r.status == 201, await r.text()
        created = await r.json()
    assert created["kind"] == "bitrix24" and created["secret_env"] == SECRET_ENV
    assert CODE not in str(created)
    path = f"/api/v1/connectors/{created['id']}"
    listed = await get_json(service, "/api/v1/connectors")
    assert [c["id"] for c in listed["items"]] == [created["id"]]
    # A connector is not a plain webhook: the webhook routes do not see it.
    assert (await get_json(service, "/api/v1/webhooks"))["items"] == []
    async with service.client.get(
        f"/api/v1/webhooks/{created['id']}", headers=service.auth()
    ) as r:
        assert r.status == 404
    changed = body(portal, mapping={"statuses": {"junk": "UC_BAD"}}, active=False)
    async with service.client.put(path, json=changed, headers=service.auth()) as r:
        assert r.status == 200, await r.text()
        assert (await r.json())["mapping"] == {"statuses": {"junk": "UC_BAD"}}
    async with service.client.put(
        path,
        json={**changed, "kind": "amocrm", "url": "http://127.0.0.1:9"},
        headers=service.auth(),
    ) as r:
        assert r.status == 422
        assert (await r.json())["field"] == "kind"
    async with service.client.post(f"{path}/test", headers=service.auth()) as r:
        assert r.status == 502  # nothing listens on port 9
        assert (await r.json())["error"] == "connector_failed"
    async with service.client.delete(path, headers=service.auth()) as r:
        assert r.status == 204
    async with service.client.get(path, headers=service.auth()) as r:
        assert r.status == 404


async def test_test_lead_health_and_dead_letters(any_db_service: Running) -> None:
    running = any_db_service
    portal = Portal()
    async with serving(portal):
        async with running.client.post(
            "/api/v1/connectors", json=body(portal), headers=running.auth()
        ) as r:
            assert r.status == 201, await r.text()
            connector = await r.json()
        path = f"/api/v1/connectors/{connector['id']}"
        name = f"bitrix24:{connector['id']}"
        async with running.client.post(f"{path}/test", headers=running.auth()) as r:
            assert r.status == 200, await r.text()
            tested = await r.json()
        fields = portal.records["lead"][tested["remote_id"]]
        assert fields["TITLE"].startswith("Тестовая заявка") and fields["SOURCE_ID"] == "WEB"
        assert int(fields["ORIGIN_ID"]) < 0  # never one of our lead ids

        await submit(running, 1)
        await until(lambda: len(portal.records["lead"]) == 2, 10, "the lead in Bitrix24")
        await until(lambda: portal.methods().count("crm.lead.update") >= 1, 10, "the assignment")
        ready = await get_json(running, "/readyz")
        health = ready["checks"]["connectors"][name]
        # First tries that went through: nothing was looked up by our id.
        assert "crm.lead.list" not in portal.methods()
        assert health["state"] == "ok" and health["last_success_at"] is not None
        assert health["dead_letters"] == 0

        # The portal refuses a wrong code: retried, then given up on as a dead letter.
        async with running.client.put(
            path, json=body(portal, secret_env=WRONG_ENV), headers=running.auth()
        ) as r:
            assert r.status == 200
        await submit(running, 2)

        async def dead() -> bool:
            found = await get_json(running, "/readyz")
            return bool(found["checks"]["connectors"][name]["dead_letters"] >= 1)

        await until(dead, 15, "a dead letter")
        health = (await get_json(running, "/readyz"))["checks"]["connectors"][name]
        assert health["state"] == "failing"
        assert "INVALID_CREDENTIALS" in health["last_error"]  # a head's token sees the error
        assert "nope" not in health["last_error"]
        async with running.client.get("/metrics") as r:
            metrics = await r.text()
        assert (
            f'leadintake_connector_dead_letters{{connector="{name}",kind="bitrix24"}}' in metrics
        )
        assert "leadintake_connector_last_success_timestamp_seconds{" in metrics
        log = await get_json(running, f"{path}/deliveries")
        assert {d["status"] for d in log["items"]} >= {"delivered", "dead"}

        # Fixed and replayed: the dead letters reach Bitrix24 after all.
        async with running.client.put(path, json=body(portal), headers=running.auth()) as r:
            assert r.status == 200
        async with running.client.post(f"{path}/dead-letters/replay", headers=running.auth()) as r:
            assert r.status == 200
            assert (await r.json())["replayed"] >= 1
        await until(lambda: len(portal.records["lead"]) == 3, 10, "the replayed lead")
    # A replayed create is looked up first (an earlier try may have made it); the test lead
    # and the first lead's first try were not.
    assert portal.methods().count("crm.lead.list") >= 1
    assert portal.methods().index("crm.lead.list") > portal.methods().index("crm.lead.add")
