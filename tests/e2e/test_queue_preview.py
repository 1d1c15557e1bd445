"""The routing preview over HTTP: who would get the next lead of a form, channel or queue and
why, exactly as the lead then goes; nothing written; heads only."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Running
from tests.e2e.test_sales_e2e import submit_lead
from tests.e2e.test_settings_documents import QUEUES, put_body, read
from tests.e2e.test_settings_managers import PHONES, absent_now, call, edit, manager

PREVIEW = f"{QUEUES}/preview"


async def preview(running: Running, query: str) -> dict[str, Any]:
    status, body = await call(running, "GET", f"{PREVIEW}?{query}")
    assert status == 200, body
    return dict(body)


async def assignment_reason(running: Running, lead_id: int) -> str:
    status, body = await call(running, "GET", f"/api/v1/leads/{lead_id}/assignments")
    assert status == 200, body
    return str(body["items"][-1]["reason"])


async def test_the_preview_names_who_gets_the_next_lead_and_why(any_db_service: Running) -> None:
    running = any_db_service
    main = await read(running, f"{QUEUES}/main")
    members = [{"login": "ivanova", "weight": 2, "capacity": 3}, {"login": "petrov"}]
    status, body = await call(
        running, "PUT", f"{QUEUES}/main", put_body(main, managers=members, fallback="head")
    )
    assert status == 200, body
    seen = []
    for n in range(6):
        before = await preview(running, "form=site")
        again = await preview(running, "form=site")
        assert (again["assignee"], again["reason"]) == (before["assignee"], before["reason"]), (
            "a preview writes nothing"
        )
        by_queue = await call(running, "GET", f"{QUEUES}/main/preview")
        assert by_queue[1]["reason"] == before["reason"]
        lead = await submit_lead(running, f"Клиент {n}", next(PHONES))
        assert lead["assignee"] == before["assignee"]["login"], (n, before)
        assert await assignment_reason(running, lead["id"]) == before["reason"]
        seen.append((before["assignee"]["login"], before["kind"]))
    # Weights 2:1 until ivanova's 3 a day are used up, then petrov alone; petrov has no cap.
    assert [login for login, _ in seen] == [
        "ivanova",
        "petrov",
        "ivanova",
        "ivanova",
        "petrov",
        "petrov",
    ]
    after = await preview(running, "form=site")
    assert after["queue"] == {"key": "main", "name": "Входящие"}
    assert after["routed_by"] == "form"
    assert after["route_reason"] == "форма «Сайт» направляет заявки в очередь «Входящие»"
    assert after["reason"] == "по очереди: Пётр Петров на смене, без лимита"
    states = {m["login"]: m for m in after["members"]}
    assert states["ivanova"] == {
        "login": "ivanova",
        "name": "Анна Иванова",
        "weight": 2,
        "capacity": 3,
        "active": True,
        "on_duty": True,
        "absent": False,
        "at_capacity": True,
        "assigned_today": 3,
        "served": 3,
        "state": "лимит на сегодня исчерпан",
    }
    assert states["petrov"]["assigned_today"] == 3 and states["petrov"]["state"] == "на смене"


async def test_the_fallback_and_an_absence_show_in_the_preview_as_routing_decides(
    any_db_service: Running,
) -> None:
    running = any_db_service
    petrov = await manager(running, "petrov")
    status, body = await call(
        running, "PUT", "/api/v1/settings/managers/petrov", edit(petrov, absences=absent_now())
    )
    assert status == 200, body
    main = await read(running, f"{QUEUES}/main")
    members = [{"login": "ivanova", "weight": 1, "capacity": 1}, "petrov"]
    status, body = await call(
        running, "PUT", f"{QUEUES}/main", put_body(main, managers=members, fallback="head")
    )
    assert status == 200, body
    first = await preview(running, "channel=telegram")
    assert first["assignee"]["login"] == "ivanova"
    assert first["reason"] == "по очереди: Анна Иванова на смене, загрузка 1/1"
    assert {m["login"]: m["state"] for m in first["members"]} == {
        "ivanova": "на смене",
        "petrov": "отсутствует",
    }
    lead = await submit_lead(running, "Клиент", next(PHONES))
    assert lead["assignee"] == "ivanova"
    second = await preview(running, "channel=telegram")
    assert second["kind"] == "fallback" and second["assignee"]["login"] == "head"
    assert second["reason"] == (
        "резерв: все на смене загружены до лимита, руководитель Ольга Руководитель"
    )
    lead = await submit_lead(running, "Клиент 2", next(PHONES))
    assert lead["assignee"] == "head"
    assert await assignment_reason(running, lead["id"]) == second["reason"]


async def test_a_channel_listed_by_a_queue_and_a_forms_own_queue_route_there(
    service: Running,
) -> None:
    running = service
    status, body = await call(
        running,
        "POST",
        QUEUES,
        {"key": "chats", "name": "Мессенджеры", "managers": ["petrov"], "channels": ["telegram"]},
    )
    assert status == 201, body
    chats = await preview(running, "channel=telegram")
    assert chats["routed_by"] == "channel" and chats["queue"]["key"] == "chats"
    assert chats["route_reason"] == ("канал «Telegram»: канал закреплён за очередью «Мессенджеры»")
    assert chats["assignee"]["login"] == "petrov"
    form = await read(running, "/api/v1/settings/forms/site")
    status, body = await call(
        running, "PUT", "/api/v1/settings/forms/site", put_body(form, queue="chats")
    )
    assert status == 200, body
    site = await preview(running, "form=site")
    assert site["routed_by"] == "form"
    assert site["route_reason"] == "форма «Сайт» направляет заявки в очередь «Мессенджеры»"
    lead = await submit_lead(running, "Клиент", next(PHONES))
    assert (lead["queue"], lead["assignee"]) == ("chats", "petrov")
    email = await preview(running, "channel=email")
    assert email["queue"]["key"] == "main" and email["routed_by"] == "first_queue"


async def test_a_preview_asked_wrong_names_what_is_wrong(service: Running) -> None:
    running = service
    for query, expected, field in (
        ("", 400, "channel"),
        ("form=site&channel=telegram", 400, "form"),
        ("source=bot", 400, "channel"),
        ("form=nope", 404, "form"),
        ("channel=fax", 422, "channel"),
    ):
        status, body = await call(running, "GET", f"{PREVIEW}?{query}")
        assert (status, body.get("field")) == (expected, field), (query, body)
    status, body = await call(running, "GET", f"{QUEUES}/nope/preview")
    assert (status, body["field"]) == (404, "key")
    status, body = await call(running, "GET", f"{PREVIEW}?form=site", login="ivanova")
    assert status == 403
    status, body = await call(running, "GET", f"{QUEUES}/main/preview", login="ivanova")
    assert status == 403
    status, body = await call(
        running, "POST", QUEUES, {"key": "preview", "name": "П", "managers": ["ivanova"]}
    )
    assert (status, body["field"]) == (422, "key"), body
