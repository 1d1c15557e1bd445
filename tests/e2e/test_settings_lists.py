"""Junk reasons, phone lines and extensions in the database: seeded from the file once, edited
through /api/v1/settings/{junk-reasons,lines,extensions}, in force at once without a restart."""

from __future__ import annotations

from dataclasses import replace

from config.settings import JunkReasonSettings, LeadSettings
from config.telephony_settings import LineRoute
from intake.clock import utcnow
from intake.team_settings import seed_and_sync
from tests.e2e.conftest import Running
from tests.e2e.test_missed_call import call_leads
from tests.e2e.test_sales_e2e import submit_lead
from tests.e2e.test_settings_documents import put_body, read
from tests.e2e.test_settings_managers import PHONES, call
from tests.e2e.test_telephony_hooks import (
    pbx_any_db_service,
    post,
    zadarma_body,
    zadarma_headers,
)

__all__ = ["pbx_any_db_service"]  # the fixture, used by name
JUNK = "/api/v1/settings/junk-reasons"
LINES = "/api/v1/settings/lines"
EXTENSIONS = "/api/v1/settings/extensions"
QUEUES = "/api/v1/settings/queues"
HOOK = "/hooks/telephony/zadarma"
# The number the Zadarma fixture's call was made to ("called_did=74951234567").
DID = "+7 (495) 123-45-67"


async def test_junk_reasons_are_seeded_once_and_a_new_one_is_offered_at_once(
    any_db_service: Running,
) -> None:
    running = any_db_service
    status, body = await call(running, "GET", JUNK)
    assert status == 200, body
    seeded = [item["key"] for item in body["items"]]
    assert "spam" in seeded and {item["updated_by"] for item in body["items"]} == {"seed"}

    status, created = await call(running, "POST", JUNK, {"key": "too_far", "name": "Далеко"})
    assert status == 201, created
    assert running.services.sales.junk_reasons["too_far"] == "Далеко"
    lead = await submit_lead(running, "Клиент", next(PHONES))
    status, junked = await call(
        running,
        "POST",
        f"/api/v1/leads/{lead['id']}/junk",
        {"reason": "too_far"},
        login=lead["assignee"],
    )
    assert status == 200, junked
    assert junked["junk_reason"] == "too_far"

    # Renamed while a closed lead holds it; then deleted: the lead keeps its key.
    status, renamed = await call(
        running, "PUT", f"{JUNK}/too_far", put_body(created, name="Далеко ехать")
    )
    assert status == 200, renamed
    assert running.services.sales.junk_reasons["too_far"] == "Далеко ехать"
    status, _ = await call(running, "DELETE", f"{JUNK}/too_far")
    assert status == 200
    assert "too_far" not in running.services.sales.junk_reasons
    status, again = await call(running, "GET", f"/api/v1/leads/{lead['id']}")
    assert status == 200 and again["junk_reason"] == "too_far"

    # A restart with a file that says otherwise: the database's reasons stay.
    settings = replace(
        running.services.settings, leads=LeadSettings((JunkReasonSettings("file", "Из файла"),))
    )
    async with running.services.storage.transaction() as uow:
        await seed_and_sync(uow, settings, utcnow())
    status, body = await call(running, "GET", JUNK)
    assert [item["key"] for item in body["items"]] == seeded


async def test_junk_reasons_keep_the_checkers_rules(any_db_service: Running) -> None:
    running = any_db_service
    status, body = await call(running, "POST", JUNK, {"key": "Не URL", "name": "x"})
    assert status == 422 and body["field"] == "key", body
    status, body = await call(running, "POST", JUNK, {"key": "spam", "name": "Ещё спам"})
    assert status == 409, body
    status, body = await call(running, "GET", JUNK)
    for item in body["items"][:-1]:
        assert (await call(running, "DELETE", f"{JUNK}/{item['key']}"))[0] == 200
    last = body["items"][-1]["key"]
    status, body = await call(running, "DELETE", f"{JUNK}/{last}")
    assert status == 422 and "at least one reason" in body["message"], body
    status, body = await call(running, "GET", JUNK, login="ivanova")
    assert status == 403


async def test_a_new_line_routes_the_next_call_to_its_queue(
    pbx_any_db_service: Running,
) -> None:
    running = pbx_any_db_service
    status, body = await call(
        running,
        "POST",
        QUEUES,
        {"key": "calls", "name": "Звонки", "managers": ["petrov"], "fallback": "head"},
    )
    assert status == 201, body
    status, body = await call(
        running, "POST", LINES, {"line": DID, "source": "yandex-direct", "queue": "nope"}
    )
    assert status == 422 and body["field"] == "queue", body
    assert "unknown queue 'nope'" in body["message"]
    status, line = await call(
        running,
        "POST",
        LINES,
        {"line": DID, "source": "yandex-direct", "utm_source": "yandex", "queue": "calls"},
    )
    assert status == 201, line
    assert line["key"] == "74951234567" and line["data"]["queue"] == "calls"
    assert running.services.settings.telephony.line(DID) == LineRoute(
        "74951234567", "yandex-direct", "yandex", None, None, "calls", None
    )

    name = "notify_end_no_answer.form"
    assert (await post(running, HOOK, zadarma_body(name), zadarma_headers(name))).status == 200
    [lead] = await call_leads(running)
    assert (lead["queue"], lead["assignee"]) == ("calls", "petrov")
    assert lead["utm"].get("utm_source") == "yandex"

    # The queue a line names cannot go; any spelling of the line finds it.
    status, body = await call(running, "DELETE", f"{QUEUES}/calls")
    assert status == 409 and "74951234567" in body["message"], body
    status, found = await call(running, "GET", f"{LINES}/84951234567")
    assert status == 200 and found["version"] == line["version"]


async def test_an_extension_names_a_known_manager(any_db_service: Running) -> None:
    running = any_db_service
    status, body = await call(running, "POST", EXTENSIONS, {"extension": "105", "login": "ghost"})
    assert status == 422 and body["field"] == "login", body
    status, created = await call(
        running, "POST", EXTENSIONS, {"extension": "105", "login": "petrov"}
    )
    assert status == 201, created
    assert running.services.settings.telephony.manager_for_extension("105") == "petrov"
    status, body = await call(
        running, "PUT", f"{EXTENSIONS}/105", put_body(created, login="ivanova")
    )
    assert status == 200, body
    assert running.services.settings.telephony.manager_for_extension("105") == "ivanova"
    current = await read(running, f"{EXTENSIONS}/105")
    status, body = await call(running, "PUT", f"{EXTENSIONS}/105", put_body(created, login="head"))
    assert status == 409 and current["version"] == created["version"] + 1
