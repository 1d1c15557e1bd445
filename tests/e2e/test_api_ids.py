"""Ids and numbers the API is given: malformed ones are 400 naming the parameter, absent ones
404, never a server error, for every route of the OpenAPI document on both databases."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.conftest import Running

MAX_ID = 2**63 - 1
# A plausible body for every POST route, so that a missing field cannot hide the id check.
BODY = {
    "contact_id": 1,
    "stage": "won",
    "manager": "petrov",
    "reason": "spam",
    "done": True,
    "survivor_id": 1,
    "merged_id": 2,
    "text": "Здравствуйте!",
    "vat_mode": "per_line",
    "items": [{"name": "Доставка", "quantity": "1", "price": "100.00", "vat_rate": "20"}],
    # A status both quotes and invoices know.
    "status": "draft",
    "invoice_id": 1,
}
# Well-formed values of non-id path parameters, so only the id under test is wrong.
SAMPLE_PATH_VALUES = {"attachment": "l.0"}
MALFORMED = {
    "huge": "9" * 30,
    "beyond_64_bit": str(MAX_ID + 1),
    "negative": "-5",
    "zero": "0",
    "non_numeric": "abc",
    "fraction": "1.5",
}


async def id_routes(running: Running) -> list[tuple[str, str, list[str]]]:
    """(method, path template, integer path parameters) of every API route taking an id."""
    async with running.client.get("/api/v1/openapi.json") as response:
        document = await response.json()
    routes = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            ids = [
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("type") == "integer"
            ]
            if ids and method in ("get", "post"):
                # A path naming its record's kind ({entity}) gets a kind it takes.
                fixed = path
                for p in operation.get("parameters", []):
                    if p["in"] == "path" and "enum" in p["schema"]:
                        fixed = fixed.replace(f"{{{p['name']}}}", p["schema"]["enum"][0])
                    elif p["in"] == "path" and p["name"] in SAMPLE_PATH_VALUES:
                        fixed = fixed.replace(f"{{{p['name']}}}", SAMPLE_PATH_VALUES[p["name"]])
                routes.append((method, fixed, ids))
    return routes


async def call(running: Running, method: str, path: str) -> tuple[int, Any]:
    """The route as the head calls it, with the plausible body on POST."""
    body = BODY if method == "post" else None
    async with running.client.request(
        method.upper(), path, json=body, headers=running.auth("head")
    ) as response:
        payload = await response.json() if response.content_type == "application/json" else None
        return response.status, payload


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_a_malformed_path_id_is_400_naming_it(any_db_service: Running, case: str) -> None:
    routes = await id_routes(any_db_service)
    assert len(routes) >= 15, routes
    wrong = []
    for method, template, names in routes:
        for name in names:
            path = template.replace(f"{{{name}}}", MALFORMED[case])
            for other in names:
                path = path.replace(f"{{{other}}}", "1")
            status, body = await call(any_db_service, method, path)
            if status != 400 or (body or {}).get("field") != name:
                wrong.append(f"{method.upper()} {path}: {status} {body}")
    assert not wrong, "\n".join(wrong)


async def test_a_well_formed_id_of_nothing_is_404(any_db_service: Running) -> None:
    wrong = []
    for method, template, names in await id_routes(any_db_service):
        path = template
        for name in names:
            path = path.replace(f"{{{name}}}", str(MAX_ID))
        status, body = await call(any_db_service, method, path)
        if status != 404 or (body or {}).get("field") not in names:
            wrong.append(f"{method.upper()} {path}: {status} {body}")
    assert not wrong, "\n".join(wrong)


LISTINGS = ("/api/v1/leads", "/api/v1/deals", "/api/v1/calls")
BAD_LIMITS = ("-1", "0", "501", "9" * 25, "abc", "", "1e3")


@pytest.mark.parametrize("listing", LISTINGS)
async def test_a_bad_limit_is_400_on_every_listing(any_db_service: Running, listing: str) -> None:
    for limit in BAD_LIMITS:
        status, body = await call(any_db_service, "get", f"{listing}?limit={limit}")
        assert (status, body["field"]) == (400, "limit"), (limit, body)
        assert body["error"] == "invalid_query" and "500" in body["message"]
    status, _ = await call(any_db_service, "get", f"{listing}?limit=500")
    assert status == 200


@pytest.mark.parametrize(
    ("listing", "name"),
    [
        ("/api/v1/deals", "before_id"),
        ("/api/v1/calls", "before_id"),
        ("/api/v1/leads", "contact_id"),
    ],
)
async def test_a_bad_id_in_the_query_is_400_naming_it(
    any_db_service: Running, listing: str, name: str
) -> None:
    for value in (str(MAX_ID + 1), "9" * 40, "-3", "0", "x"):
        status, body = await call(any_db_service, "get", f"{listing}?{name}={value}")
        assert (status, body["field"]) == (400, name), (value, body)
    status, body = await call(any_db_service, "get", f"{listing}?{name}={MAX_ID}")
    assert status == 200 and body["items"] == []


async def test_a_cursor_beyond_64_bit_is_400(any_db_service: Running) -> None:
    cursor = base64.urlsafe_b64encode(f"v1:{'9' * 30}".encode()).decode().rstrip("=")
    status, body = await call(any_db_service, "get", f"/api/v1/leads?cursor={cursor}")
    assert (status, body["field"]) == (400, "cursor")


async def post_raw(running: Running, path: str, text: str) -> tuple[int, Any]:
    """POST a JSON text as is (numbers Python would not write), as the head."""
    headers = {**running.auth("head"), "Content-Type": "application/json"}
    async with running.client.post(path, data=text.encode(), headers=headers) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        ("/api/v1/leads/1/match/confirm", '{"contact_id": ' + "9" * 5000 + "}", "body"),
        ("/api/v1/leads/1/match/confirm", '{"contact_id": -' + "9" * 5000 + "}", "body"),
        ("/api/v1/leads/1/match/confirm", f'{{"contact_id": {MAX_ID + 1}}}', "contact_id"),
        ("/api/v1/leads/1/match/reject", '{"contact_id": 1e400}', "contact_id"),
        ("/api/v1/leads/1/match/reject", '{"contact_id": NaN}', "body"),
        ("/api/v1/leads/1/convert", f'{{"contact_id": {MAX_ID + 1}}}', "contact_id"),
        ("/api/v1/leads/1/convert", f'{{"company_id": {2**64}}}', "company_id"),
        ("/api/v1/leads/1/convert", '{"amount": 1' + "0" * 20 + "}", "amount"),
        ("/api/v1/leads/1/convert", '{"amount": "1e999999999"}', "amount"),
        ("/api/v1/leads/1/convert", '{"amount": Infinity}', "body"),
        ("/api/v1/leads/1/convert", '{"amount": -1}', "amount"),
        ("/api/v1/contacts/merge", f'{{"survivor_id": 1, "merged_id": {2**63}}}', "merged_id"),
        ("/api/v1/companies/merge", '{"survivor_id": 0, "merged_id": 2}', "survivor_id"),
        (
            "/api/v1/tasks",
            f'{{"entity": "deal", "entity_id": {2**63}, "title": "t",'
            ' "due_at": "2026-01-01T10:00:00+03:00"}',
            "entity_id",
        ),
        (
            "/api/v1/tasks",
            '{"entity": "deal", "entity_id": 1, "title": "t", "assignee_id": -1,'
            ' "due_at": "2026-01-01T10:00:00+03:00"}',
            "assignee_id",
        ),
        (
            "/api/v1/activities",
            '{"entity": "lead", "entity_id": ' + "7" * 400 + ', "kind": "note"}',
            "body",
        ),
    ],
)
async def test_a_number_out_of_bounds_in_a_body_is_400_naming_it(
    any_db_service: Running, path: str, text: str, field: str
) -> None:
    status, body = await post_raw(any_db_service, path, text)
    assert (status, body["field"]) == (400, field), body


async def test_a_task_for_a_manager_who_does_not_exist_is_422(any_db_service: Running) -> None:
    running = any_db_service
    async with running.services.storage.reader() as uow:
        managers = await uow.managers.list()
    lead = {"name": "Ирина", "phone": "+79161112233"}
    async with running.client.post("/api/v1/forms/site", json=lead) as response:
        intake_id = (await response.json())["intake_id"]
    lead_id = (await running.wait_for_lead(intake_id))["id"]
    task = {"entity": "lead", "entity_id": lead_id, "title": "Позвонить"}
    task["due_at"] = "2026-01-01T10:00:00+03:00"
    for assignee in (MAX_ID, max(m.id for m in managers) + 1):
        status, body = await post_raw(
            running, "/api/v1/tasks", json.dumps({**task, "assignee_id": assignee})
        )
        assert (status, body["field"]) == (422, "assignee_id"), body
