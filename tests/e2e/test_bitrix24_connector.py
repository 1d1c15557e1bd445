"""The Bitrix24 connector end to end: leads from a form reach a loopback portal through the
webhook outbox, once each even when an answer is lost, within the portal's request limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from crm_core.webhooks import NewConnector
from intake.connectors.setup import CONNECTOR_EVENTS, create_connector
from tests.bitrix24_standin import CODE, Portal, serving
from tests.conftest import config_settings
from tests.e2e.conftest import Running
from tests.e2e.connector_checks import assert_within_limit, settled
from tests.e2e.test_webhooks import FORM_URL, submit, until

SECRET_ENV = "LEADINTAKE_TEST_BITRIX24_CODE"
RATE, BURST = 10.0, 3
CONFIG = f"""
[webhooks]
allow_private_targets = true
timeout_seconds = 0.4
base_delay_seconds = 0.02
max_delay_seconds = 0.1
poll_seconds = 0.02
bitrix24_rate = {RATE}
bitrix24_burst = {BURST}
"""
MAPPING = {
    "users": {"ivanova": 11, "petrov": 12, "smirnova": 13, "head": 1},
    "statuses": {"in_work": "UC_WORK"},
    "source_id": "WEB",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Quick retries, a small burst to measure, and the portal's code in the environment."""
    return config_settings(tmp_path, CONFIG, environ={SECRET_ENV: CODE})


async def connect(running: Running, portal: Portal) -> int:
    """A Bitrix24 connector to the stand-in portal; its id."""
    new = NewConnector("bitrix24", portal.url, SECRET_ENV, CONNECTOR_EVENTS, MAPPING)
    return (await create_connector(running.services.storage, new, "head")).id


async def test_leads_are_created_once_with_their_fields_and_follow_updates(
    any_db_service: Running,
) -> None:
    running = any_db_service
    portal = Portal(busy=2, hold_first_add_seconds=0.8)
    portal.contacts["7"] = {"PHONE": [{"VALUE": "+79161000001", "VALUE_TYPE": "WORK"}]}
    async with serving(portal):
        await connect(running, portal)
        for n in range(4):
            await submit(running, n)
        leads = await running.wait_for_leads(4)
        await until(lambda: len(portal.records["lead"]) >= 4, 20, "4 leads in Bitrix24")
        by_origin = {f["ORIGIN_ID"]: f for f in portal.records["lead"].values()}

        async def followed() -> bool:
            return all(
                by_origin[str(lead["id"])].get("ASSIGNED_BY_ID")
                == MAPPING["users"][lead["assignee"]]
                for lead in leads
            )

        await until(followed, 20, "responsible users in Bitrix24")
        first = leads[0]
        async with running.client.post(
            f"/api/v1/leads/{first['id']}/take", headers=running.auth(first["assignee"])
        ) as r:
            assert r.status == 200, await r.text()
        await until(lambda: by_origin[str(first["id"])].get("STATUS_ID") == "UC_WORK", 20, "taken")
    # The held answer timed out after the lead was made: found by ORIGIN_ID, not made again.
    assert portal.hold_first_add_seconds == 0  # the hold happened
    assert len(portal.records["lead"]) == 4
    assert portal.methods().count("crm.lead.add") == 4
    assert portal.methods().count("crm.lead.list") >= 1  # the held create's retry looked
    assert sorted(by_origin) == sorted(str(lead["id"]) for lead in leads)
    known = next(f for f in by_origin.values() if f["PHONE"][0]["VALUE"] == "+79161000001")
    assert known["CONTACT_ID"] == "7"  # a repeat lead of the client Bitrix24 knows
    assert all(f["ORIGINATOR_ID"] == "leadintake" for f in by_origin.values())
    assert all(f["SOURCE_ID"] == "WEB" for f in by_origin.values())
    untaken = [by_origin[str(lead["id"])] for lead in leads[1:]]
    assert [f["STATUS_ID"] for f in untaken] == ["NEW"] * 3
    assert known["NAME"] == "Клиент" and known["LAST_NAME"] == "1"
    assert_within_limit([t for t, _, _ in portal.calls], RATE, BURST)
    log = await settled(running)
    assert {d.status.value for d in log} == {"delivered"}
    assert any(d.last_error and "QUERY_LIMIT_EXCEEDED" in d.last_error for d in log) or any(
        d.attempts > 1 for d in log
    )
    assert all(CODE not in (d.last_error or "") for d in log)


async def test_conversion_creates_contact_company_and_deal_once_and_the_deal_follows(
    service: Running,
) -> None:
    portal = Portal()
    async with serving(portal):
        mapping = {**MAPPING, "create_deals": True, "stages": {"main:won": "C1:WON"}}
        new = NewConnector("bitrix24", portal.url, SECRET_ENV, CONNECTOR_EVENTS, mapping)
        connector = await create_connector(service.services.storage, new, "head")
        form = {"name": "Клиент 5", "phone": "+79161000005", "company": "ООО «Ромашка»"}
        async with service.client.post(FORM_URL, json=form) as r:
            assert r.status == 202, await r.text()
        (lead,) = await service.wait_for_leads(1)
        await until(lambda: len(portal.records["lead"]) == 1, 10, "the lead in Bitrix24")
        owner = service.auth(lead["assignee"])
        path = f"/api/v1/leads/{lead['id']}"
        async with service.client.post(f"{path}/take", headers=owner) as r:
            assert r.status == 200, await r.text()
        async with service.client.post(f"{path}/convert", json={}, headers=owner) as r:
            assert r.status in (200, 201), await r.text()
            converted = await r.json()
        await until(lambda: len(portal.records["deal"]) == 1, 10, "the deal in Bitrix24")
        deal_id = converted["deal_id"]
        async with service.client.post(
            f"/api/v1/deals/{deal_id}/stage",
            json={"stage": "won"},
            headers=owner,
        ) as r:
            assert r.status == 200, await r.text()
        (deal,) = portal.records["deal"].values()
        await until(lambda: deal.get("STAGE_ID") == "C1:WON", 10, "the won stage in Bitrix24")
    (remote_lead,) = portal.records["lead"].values()
    [(contact_id, contact)] = portal.records["contact"].items()
    [(company_id, company)] = portal.records["company"].items()
    assert remote_lead["STATUS_ID"] == "CONVERTED"
    assert contact["PHONE"] == [{"VALUE": "+79161000005", "VALUE_TYPE": "WORK"}]
    assert company["TITLE"] == "ООО «Ромашка»"
    assert company["ORIGIN_ID"] == str(converted["company_id"])
    assert deal["ORIGIN_ID"] == str(deal_id) and deal["ORIGINATOR_ID"] == "leadintake"
    # Bound through the batch's $result[...] references, in one call for all three.
    assert (deal["CONTACT_ID"], deal["COMPANY_ID"]) == (contact_id, company_id)
    assert deal["ASSIGNED_BY_ID"] == str(MAPPING["users"][lead["assignee"]])
    adds = [m for m, _ in portal.batched if m.endswith(".add")]
    assert adds == ["crm.contact.add", "crm.company.add", "crm.deal.add"]
    assert portal.methods().count("batch") == 2  # one looks for all three, one creates
    assert not any(m in portal.methods() for m in ("crm.contact.add", "crm.deal.add"))
    async with service.services.storage.reader() as uow:
        for entity, local, remote in (
            ("contact", converted["contact_id"], contact_id),
            ("company", converted["company_id"], company_id),
            ("deal", deal_id, next(iter(portal.records["deal"]))),
        ):
            assert await uow.webhooks.remote_id(connector.id, entity, local) == remote
