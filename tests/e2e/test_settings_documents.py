"""The head edits queues, pipelines and forms through /api/v1/settings/...: checked with the
whole setup, versioned, audited, and routing the next lead without a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from config import Settings
from crm_core.storage.postgres import PostgresStorage
from tests.conftest import pg_schema
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_sales_e2e import submit_lead
from tests.e2e.test_settings_managers import PHONES, call

QUEUES = "/api/v1/settings/queues"
PIPELINES = "/api/v1/settings/pipelines"
FORMS = "/api/v1/settings/forms"


async def read(running: Running, path: str) -> dict[str, Any]:
    status, body = await call(running, "GET", path)
    assert status == 200, body
    return dict(body)


def put_body(current: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A PUT body: the document as read, changed, with the version read."""
    return {**current["data"], "version": current["version"], **changes}


async def test_a_queue_change_routes_the_next_lead_without_a_restart(
    any_db_service: Running,
) -> None:
    running = any_db_service
    main = await read(running, f"{QUEUES}/main")
    assert main["data"]["managers"] == ["ivanova", "petrov"]
    status, body = await call(
        running, "PUT", f"{QUEUES}/main", put_body(main, managers=["petrov"])
    )
    assert status == 200, body
    assert body["version"] == main["version"] + 1 and body["updated_by"] == "head"
    leads = [await submit_lead(running, f"Клиент {n}", next(PHONES)) for n in range(3)]
    assert [lead["assignee"] for lead in leads] == ["petrov"] * 3
    async with running.services.storage.reader() as uow:
        audit = await uow.audit.for_entity("settings.queues", 0)
    assert [(a.actor, a.action) for a in audit] == [("head", "update")]
    assert audit[0].before is not None and audit[0].before["managers"] == ["ivanova", "petrov"]
    assert audit[0].after is not None and audit[0].after["managers"] == ["petrov"]


async def test_a_new_queue_and_form_take_leads_at_once(any_db_service: Running) -> None:
    running = any_db_service
    status, body = await call(
        running,
        "POST",
        QUEUES,
        {
            "key": "vip",
            "name": "VIP",
            "managers": [{"login": "ivanova", "weight": 2}],
            "fallback": "head",
            "acceptance_timeout": "10m",
        },
    )
    assert status == 201, body
    assert body["data"]["acceptance_timeout"] == "10m"
    status, body = await call(
        running,
        "POST",
        FORMS,
        {"key": "vip-form", "name": "VIP-форма", "queue": "vip", "secret": "a-long-form-secret"},
    )
    assert status == 201, body
    assert body["data"]["secret"] == "••••cret", "a secret is never shown back in full"
    async with running.client.post(
        "/api/v1/forms/vip-form",
        json={"name": "Гость", "phone": next(PHONES)},
        headers={"X-Api-Key": "a-long-form-secret"},
    ) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]
    lead = await running.wait_for_lead(intake_id)
    assert lead["assignee"] == "ivanova" and lead["queue"] == "vip"
    listed = await read(running, QUEUES)
    assert [q["key"] for q in listed["items"]] == ["main", "vip"]


async def test_a_change_that_breaks_a_rule_changes_nothing(any_db_service: Running) -> None:
    running = any_db_service
    main = await read(running, f"{QUEUES}/main")
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        ("PUT", f"{QUEUES}/main", put_body(main, fallback="petrov"), 422, "fallback"),
        ("PUT", f"{QUEUES}/main", put_body(main, managers=["nobody"]), 422, "managers"),
        ("POST", FORMS, {"key": "Bad Key!", "name": "x"}, 422, "key"),
        ("POST", FORMS, {"key": "f2", "queue": "nope"}, 422, "queue"),
        (
            "POST",
            PIPELINES,
            {"key": "p2", "name": "Без финала", "stages": [{"key": "a", "name": "А"}]},
            422,
            "stages",
        ),
        ("PUT", f"{QUEUES}/main", put_body(main, version=main["version"] + 5), 409, "version"),
    ]
    for method, path, body, expected, field in cases:
        status, answer = await call(running, method, path, body)
        assert (status, answer.get("field")) == (expected, field), (path, body, answer)
    status, answer = await call(running, "PUT", f"{QUEUES}/main", put_body(main, version=99))
    assert answer["message"] == "изменено другим пользователем"
    # A form names the queue: deleting it is refused, naming the form's field.
    await call(running, "POST", QUEUES, {"key": "q2", "name": "Вторая", "managers": ["petrov"]})
    await call(running, "POST", FORMS, {"key": "f3", "name": "Ф3", "queue": "q2"})
    status, answer = await call(running, "DELETE", f"{QUEUES}/q2")
    assert status == 422 and answer["field"].endswith(".queue"), answer
    assert (await read(running, f"{QUEUES}/main"))["version"] == main["version"]
    status, _ = await call(running, "DELETE", f"{FORMS}/f3")
    assert status == 200
    status, _ = await call(running, "DELETE", f"{QUEUES}/q2")
    assert status == 200
    status, answer = await call(running, "GET", QUEUES, login="ivanova")
    assert status == 403


async def test_a_second_instance_routes_by_a_queue_change_within_2_seconds(
    settings: Settings, tmp_path: Path
) -> None:
    async with pg_schema() as (url, schema):
        first = PostgresStorage(url, min_size=1, max_size=4, schema=schema)
        second = PostgresStorage(url, min_size=1, max_size=4, schema=schema)
        async with run_service(settings, first) as a, run_service(settings, second) as b:
            main = await read(a, f"{QUEUES}/main")
            status, _ = await call(
                a, "PUT", f"{QUEUES}/main", put_body(main, managers=["ivanova"])
            )
            assert status == 200
            loop = asyncio.get_running_loop()
            changed_at = loop.time()
            while b.services.settings_version != a.services.settings_version:
                assert loop.time() - changed_at < 2.0, "the second instance did not reload"
                await asyncio.sleep(0.05)
            leads = [await submit_lead(b, f"Клиент {n}", next(PHONES)) for n in range(2)]
            assert [lead["assignee"] for lead in leads] == ["ivanova"] * 2
