"""The head runs the team through /api/v1/settings/managers: seeded once from the file,
versioned, audited, and in effect on every instance without a restart."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from crm_core.storage.postgres import PostgresStorage
from intake.clock import utcnow
from intake.team_settings import seed_and_sync, stored_managers
from tests.conftest import pg_schema
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_sales_e2e import submit_lead

MANAGERS = "/api/v1/settings/managers"
PHONES = iter(f"+7 916 555-{n:02d}-{m:02d}" for n in range(100) for m in range(100))


async def call(
    running: Running, method: str, path: str, body: Any = None, login: str = "head"
) -> tuple[int, Any]:
    async with running.client.request(
        method, path, json=body, headers=running.auth(login)
    ) as response:
        return response.status, await response.json()


async def manager(running: Running, login: str) -> dict[str, Any]:
    status, body = await call(running, "GET", f"{MANAGERS}/{login}")
    assert status == 200, body
    return dict(body)


def edit(current: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A PUT body: the manager as read, changed, with the version read."""
    kept = {k: v for k, v in current.items() if k not in ("login", "updated_at", "updated_by")}
    return kept | changes


def absent_now() -> list[dict[str, str]]:
    now = utcnow()
    return [
        {
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(days=1)).isoformat(),
            "note": "больничный",
        }
    ]


async def test_the_first_start_seeds_the_team_and_later_starts_ignore_the_file(
    any_db_service: Running, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    running = any_db_service
    status, body = await call(running, "GET", MANAGERS)
    assert status == 200
    assert [m["login"] for m in body["items"]] == ["head", "ivanova", "petrov"]
    assert {m["version"] for m in body["items"]} == {1}
    assert {m["updated_by"] for m in body["items"]} == {"seed"}
    ivanova = await manager(running, "ivanova")
    status, _ = await call(
        running, "PUT", f"{MANAGERS}/ivanova", edit(ivanova, name="Анна Сергеевна")
    )
    assert status == 200
    # A restart with a file that says otherwise: the database's team stays.
    renamed = tuple(replace(m, name="Из файла") for m in settings.managers)
    storage = running.services.storage
    # What a start does after opening and migrating (prepare_storage would open the already
    # open storage a second time and leak its connections).
    with caplog.at_level(logging.INFO, logger="intake.team_settings"):
        async with storage.transaction() as uow:
            await seed_and_sync(uow, replace(settings, managers=renamed), utcnow())
    ignored = (
        "the file's [[managers]], [[queues]], [[pipelines]], [[forms]], [leads] junk_reasons,"
        " [telegram] [vk] [email] [telephony] [avito] channel declarations, [telephony.lines],"
        " [telephony.extensions] are ignored"
    )
    assert ignored in caplog.text
    async with storage.reader() as uow:
        stored = await stored_managers(uow)
        row = await uow.managers.get_by_login("ivanova")
    assert stored is not None
    assert {m.login: m.name for m in stored}["ivanova"] == "Анна Сергеевна"
    assert row is not None and row.name == "Анна Сергеевна"


async def test_a_stale_version_is_refused_and_a_bad_field_changes_nothing(
    any_db_service: Running,
) -> None:
    running = any_db_service
    petrov = await manager(running, "petrov")
    status, first = await call(running, "PUT", f"{MANAGERS}/petrov", edit(petrov, email="p@x.ru"))
    assert status == 200 and first["version"] == 2
    # A second head saving the version they read before: refused, not silently lost.
    status, body = await call(running, "PUT", f"{MANAGERS}/petrov", edit(petrov, name="Другое"))
    assert status == 409
    assert body["message"] == "изменено другим пользователем" and body["field"] == "version"
    status, body = await call(
        running, "PUT", f"{MANAGERS}/petrov", edit(first, timezone="Mars/Base", name="Новое")
    )
    assert status == 422 and body["field"] == "timezone"
    assert "unknown time zone 'Mars/Base'" in body["message"]
    status, body = await call(
        running,
        "PUT",
        f"{MANAGERS}/petrov",
        edit(first, absences=[{"from": "2026-12-29T00:00:00", "to": "2027-01-09T00:00:00+03:00"}]),
    )
    assert status == 422 and body["field"] == "absences[0].from"
    status, body = await call(running, "POST", MANAGERS, {"login": "Bad Login", "name": "X"})
    assert status == 422 and body["field"] == "login"
    after = await manager(running, "petrov")
    assert after == first
    status, _ = await call(running, "GET", MANAGERS, login="ivanova")
    assert status == 403


async def test_an_absence_set_through_the_api_routes_the_next_leads_without_a_restart(
    any_db_service: Running,
) -> None:
    running = any_db_service
    petrov = await manager(running, "petrov")
    status, _ = await call(
        running, "PUT", f"{MANAGERS}/petrov", edit(petrov, absences=absent_now())
    )
    assert status == 200
    leads = [await submit_lead(running, f"Клиент {n}", next(PHONES)) for n in range(3)]
    assert [lead["assignee"] for lead in leads] == ["ivanova"] * 3


async def test_a_new_manager_is_added_and_audited(any_db_service: Running) -> None:
    running = any_db_service
    body = {
        "login": "sidorov",
        "name": "Иван Сидоров",
        "timezone": "Asia/Yekaterinburg",
        "working_hours": {"mon-fri": "09:00-18:00"},
        "telegram_chat_id": "12345",
    }
    status, created = await call(running, "POST", MANAGERS, body)
    assert status == 201, created
    assert created["version"] == 1 and created["updated_by"] == "head"
    status, again = await call(running, "POST", MANAGERS, body)
    assert status == 409 and again["field"] == "login"
    storage = running.services.storage
    async with storage.reader() as uow:
        row = await uow.managers.get_by_login("sidorov")
        assert row is not None and row.active
        audit = await uow.audit.for_entity("manager", row.id)
    assert [(a.actor, a.action, a.before) for a in audit] == [("head", "create", None)]
    assert audit[0].after is not None and audit[0].after["timezone"] == "Asia/Yekaterinburg"
    assert running.services.sales.manager_id("sidorov") == row.id


@pytest.mark.parametrize("heir", [None, "head"])
async def test_deactivating_a_manager_re_owns_every_open_lead(
    any_db_service: Running, heir: str | None
) -> None:
    running = any_db_service
    leads = [await submit_lead(running, f"Клиент {n}", next(PHONES)) for n in range(4)]
    petrovs = [lead["id"] for lead in leads if lead["assignee"] == "petrov"]
    assert petrovs
    query = f"?hand_over_to={heir}" if heir else ""
    status, body = await call(running, "DELETE", f"{MANAGERS}/petrov{query}")
    assert status == 200, body
    assert body["manager"]["active"] is False
    expected = heir or "ivanova"  # the only member of the queue still active
    assert body["handed_over"]["leads"] == {str(i): expected for i in petrovs}
    for lead in await running.leads():
        assert lead["assignee"] in ("ivanova", expected)
    storage = running.services.storage
    async with storage.reader() as uow:
        row = await uow.managers.get_by_login("petrov")
        assert row is not None and not row.active
        assert await uow.handover.open_lead_ids(row.id) == []
        audit = await uow.audit.for_entity("manager", row.id)
    assert audit[-1].action == "deactivate" and audit[-1].actor == "head"
    assert audit[-1].before is not None and audit[-1].before["active"] is True
    assert audit[-1].after is not None and audit[-1].after["active"] is False
    # A head cannot take themselves out.
    status, body = await call(running, "DELETE", f"{MANAGERS}/head")
    assert status == 422


async def test_a_second_instance_on_the_same_postgresql_sees_a_change_within_2_seconds(
    settings: Settings, tmp_path: Path
) -> None:
    async with pg_schema() as (url, schema):
        first = PostgresStorage(url, min_size=1, max_size=4, schema=schema)
        second = PostgresStorage(url, min_size=1, max_size=4, schema=schema)
        async with run_service(settings, first) as a, run_service(settings, second) as b:
            petrov = await manager(a, "petrov")
            status, _ = await call(
                a, "PUT", f"{MANAGERS}/petrov", edit(petrov, absences=absent_now())
            )
            assert status == 200
            loop = asyncio.get_running_loop()
            changed_at = loop.time()
            while b.services.settings_version != a.services.settings_version:
                assert loop.time() - changed_at < 2.0, "the second instance did not reload"
                await asyncio.sleep(0.05)
            team = b.services.sales.team
            petrov_id = b.services.sales.manager_id("petrov")
            assert petrov_id is not None
            assert team.availability[petrov_id].is_absent(utcnow())
            # The next leads, whichever instance takes them, go by the new rule.
            leads = [await submit_lead(b, f"Клиент {n}", next(PHONES)) for n in range(2)]
            assert [lead["assignee"] for lead in leads] == ["ivanova"] * 2


async def test_two_heads_saving_the_same_version_one_wins_one_is_told(
    any_db_service: Running,
) -> None:
    running = any_db_service
    ivanova = await manager(running, "ivanova")
    answers = await asyncio.gather(
        call(running, "PUT", f"{MANAGERS}/ivanova", edit(ivanova, name="Первая")),
        call(running, "PUT", f"{MANAGERS}/ivanova", edit(ivanova, name="Вторая")),
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 409]
    saved = next(body for status, body in answers if status == 200)
    refused = next(body for status, body in answers if status == 409)
    assert refused["message"] == "изменено другим пользователем"
    assert (await manager(running, "ivanova"))["name"] == saved["name"]
    storage = running.services.storage
    async with storage.reader() as uow:
        row = await uow.managers.get_by_login("ivanova")
        assert row is not None
        audit = await uow.audit.for_entity("manager", row.id)
    assert len(audit) == 1
