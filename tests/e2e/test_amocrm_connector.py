"""The amoCRM connector end to end: leads from a form reach a loopback account through the
webhook outbox (unsorted forms, or leads/complex for a known client), once each even when an
answer is lost, within the account's 7 requests a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from crm_core.webhooks import NewConnector
from intake.connectors.setup import CONNECTOR_EVENTS, create_connector
from tests.amocrm_standin import TOKEN, Account, serving
from tests.conftest import config_settings
from tests.e2e.conftest import Running
from tests.e2e.connector_checks import assert_within_limit, settled
from tests.e2e.test_webhooks import submit, until

SECRET_ENV = "LEADINTAKE_TEST_AMOCRM_TOKEN"
RATE, BURST = 7.0, 7
CONFIG = """
[webhooks]
allow_private_targets = true
timeout_seconds = 0.4
base_delay_seconds = 0.02
max_delay_seconds = 0.1
poll_seconds = 0.02
"""
MAPPING = {
    "users": {"ivanova": 901, "petrov": 902, "smirnova": 903, "head": 900},
    "statuses": {"in_work": 555},
    "pipelines": {"main": 77},
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Quick retries and the account's token in the environment (default 7/s limit)."""
    return config_settings(tmp_path, CONFIG, environ={SECRET_ENV: TOKEN})


async def test_leads_reach_amocrm_once_and_follow_our_changes(any_db_service: Running) -> None:
    running = any_db_service
    account = Account(busy=2, hold_first_create_seconds=0.8)
    account.contacts[42] = {"name": "Клиент 1", "values": ["+79161000001"]}
    async with serving(account):
        new = NewConnector("amocrm", account.url, SECRET_ENV, CONNECTOR_EVENTS, MAPPING)
        await create_connector(running.services.storage, new, "head")
        for n in range(3):
            await submit(running, n)
        leads = await running.wait_for_leads(3)
        await until(lambda: len(account.leads) >= 3, 20, "3 leads in amoCRM")

        def named(lead_id: int) -> dict:
            return next(v for v in account.leads.values() if f"[LI-{lead_id}]" in v["name"])

        await until(
            lambda: all(
                named(lead["id"]).get("responsible_user_id") == MAPPING["users"][lead["assignee"]]
                for lead in leads
            ),
            20,
            "responsible users in amoCRM",
        )
        first = leads[0]
        async with running.client.post(
            f"/api/v1/leads/{first['id']}/take", headers=running.auth(first["assignee"])
        ) as r:
            assert r.status == 200, await r.text()
        await until(lambda: named(first["id"]).get("status_id") == 555, 20, "taken")
    # The held answer timed out after the lead was made: found again, not made twice.
    assert account.hold_first_create_seconds == 0  # the hold happened
    assert len(account.leads) == 3
    made = account.requests("POST", "/api/v4/leads/unsorted/forms") + account.requests(
        "POST", "/api/v4/leads/complex"
    )
    assert made == 3
    assert account.requests("GET", "/api/v4/leads/unsorted") >= 1  # the held create's retry
    assert named(first["id"])["pipeline_id"] == 77
    known = next(v for v in account.leads.values() if v.get("_embedded"))
    assert known["_embedded"]["contacts"] == [{"id": 42}]  # the client amoCRM knows
    forms = [u["request"] for u in account.unsorted]
    assert len(forms) == 2
    assert {f["source_uid"] for f in forms} == {
        f"leadintake-lead-{lead['id']}"
        for lead in leads
        if not any(
            v.get("_embedded") and f"[LI-{lead['id']}]" in v["name"]
            for v in account.leads.values()
        )
    }
    contact = forms[0]["_embedded"]["contacts"][0]
    assert contact["custom_fields_values"][0]["field_code"] == "PHONE"
    assert set(forms[0]["metadata"]) >= {"form_id", "form_name", "form_page", "ip", "form_sent_at"}
    assert all(f["metadata"]["form_sent_at"] > 0 for f in forms)
    assert_within_limit([t for t, _, _ in account.calls], RATE, BURST)
    log = await settled(running)
    assert {d.status.value for d in log} == {"delivered"}
    assert any(d.response_status == 429 or d.attempts > 1 for d in log)
    assert all(TOKEN not in (d.last_error or "") for d in log)
