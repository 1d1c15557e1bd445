"""Every JSON request body is validated by the model the OpenAPI document shows for its route.

The operations are taken from the table itself, independently of the middleware's lookup, and
each is called on the running service over HTTP with bodies its model refuses.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import BaseModel

from config import Settings
from intake.http.app import add_routes
from intake.http.contract import JSON, Operation
from intake.http.openapi import OPERATIONS
from intake.http.request_validation import ROUTES
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service

DATE_TIME = "2026-11-25T10:00:00+03:00"


def json_model_operations() -> list[tuple[Operation, type[BaseModel]]]:
    """Operations of the table that take a pydantic model as JSON, except the wire formats."""
    found = []
    for op in OPERATIONS:
        if op.request is None or JSON not in op.request.content_types:
            continue
        body = op.request.body
        if not (isinstance(body, type) and issubclass(body, BaseModel)):
            continue
        if op.path == "/api/v1/forms/{form_key}" or op.path.startswith("/hooks/"):
            continue
        found.append((op, body))
    return found


OPERATIONS_WITH_MODELS = json_model_operations()
IDS = [op.operation_id for op, _ in OPERATIONS_WITH_MODELS]


def _types(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a property's schema, without null."""
    options = schema.get("anyOf", [schema])
    return [option for option in options if option.get("type") != "null"]


def valid_value(schema: dict[str, Any]) -> Any:
    """A value the property's schema accepts."""
    option = _types(schema)[0]
    if "enum" in option:
        return option["enum"][0]
    kind = option.get("type")
    if kind == "integer" or kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "object":
        return {}
    if kind == "array":
        return []
    if option.get("format") == "date-time":
        return DATE_TIME
    if option.get("format") == "date":
        return DATE_TIME[:10]
    return "x"


def wrong_value(schema: dict[str, Any]) -> Any:
    """A value of a JSON type the property's schema does not accept."""
    kinds = {option.get("type") for option in _types(schema)}
    if kinds == {"integer"}:
        return "1"  # a numeric string is still not an id
    if kinds == {"boolean"}:
        return "true"
    if "string" not in kinds:
        return "x"
    return [1]


def valid_body(model: type[BaseModel]) -> dict[str, Any]:
    """A body that passes the model: every property with a valid value."""
    properties = model.model_json_schema()["properties"]
    return {name: valid_value(schema) for name, schema in properties.items()}


def concrete_path(op: Operation) -> str:
    """The operation's path with every parameter set to 1."""
    return re.sub(r"\{[^}]+\}", "1", op.path)


@pytest.fixture
async def running(settings: Settings, tmp_path: Path) -> AsyncIterator[Running]:
    """The service on SQLite; its answers are checked against the document too."""
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(settings, storage) as service,
    ):
        yield service


async def post(
    running: Running, op: Operation, body: Any, login: str | None = "head"
) -> tuple[int, dict[str, Any]]:
    """Send `body` as JSON to the operation; status and decoded answer."""
    headers = running.auth(login) if login else {}
    async with running.client.request(
        op.method, concrete_path(op), json=body, headers=headers
    ) as response:
        return response.status, await response.json()


def test_the_table_has_json_model_operations() -> None:
    assert len(OPERATIONS_WITH_MODELS) >= 10, IDS
    assert any(model.model_json_schema().get("required") for _, model in OPERATIONS_WITH_MODELS)


def test_every_json_model_operation_is_validated_by_its_documented_model() -> None:
    expected = {(op.method, op.path): model for op, model in OPERATIONS_WITH_MODELS}
    looked_up = {key: route.model for key, route in ROUTES.items()}
    assert looked_up == expected


def test_every_validated_operation_is_a_route_of_the_app() -> None:
    app = web.Application()
    add_routes(app)
    routes = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
    }
    assert set(ROUTES) <= routes


@pytest.mark.parametrize(("op", "model"), OPERATIONS_WITH_MODELS, ids=IDS)
def test_the_valid_sample_body_passes_the_model(op: Operation, model: type[BaseModel]) -> None:
    model.model_validate(valid_body(model))


async def test_a_wrong_type_is_400_naming_the_field_on_every_operation(running: Running) -> None:
    wrong: list[str] = []
    checked = 0
    for op, model in OPERATIONS_WITH_MODELS:
        base = valid_body(model)
        for name, schema in model.model_json_schema()["properties"].items():
            body = {**base, name: wrong_value(schema)}
            status, answer = await post(running, op, body)
            checked += 1
            if (status, answer.get("error"), answer.get("field")) != (400, "invalid_body", name):
                wrong.append(f"{op.operation_id} {body}: {status} {answer}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 25


async def test_a_missing_required_field_is_400_naming_it_on_every_operation(
    running: Running,
) -> None:
    wrong: list[str] = []
    checked = 0
    for op, model in OPERATIONS_WITH_MODELS:
        base = valid_body(model)
        for name in model.model_json_schema().get("required", []):
            body = {key: value for key, value in base.items() if key != name}
            status, answer = await post(running, op, body)
            checked += 1
            expected = (400, "invalid_body", name)
            if (status, answer.get("error"), answer.get("field")) != expected:
                wrong.append(f"{op.operation_id} {body}: {status} {answer}")
            elif name not in answer["message"]:
                wrong.append(f"{op.operation_id}: the message does not name {name}: {answer}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 10


async def test_a_valid_body_reaches_the_handler(running: Running) -> None:
    for op, model in OPERATIONS_WITH_MODELS:
        status, answer = await post(running, op, valid_body(model))
        assert answer.get("error") != "invalid_body", (op.operation_id, status, answer)


async def test_without_a_token_a_bad_body_is_still_401(running: Running) -> None:
    for op, _ in OPERATIONS_WITH_MODELS:
        status, answer = await post(running, op, {"contact_id": "x", "done": 3}, login=None)
        assert (status, answer["error"]) == (401, "unauthorized"), op.operation_id


async def test_a_malformed_path_id_is_named_before_the_body(running: Running) -> None:
    async with running.client.post(
        "/api/v1/leads/abc/match/confirm", json={"contact_id": "x"}, headers=running.auth()
    ) as response:
        answer = await response.json()
    assert (response.status, answer["error"], answer["field"]) == (400, "invalid_path", "lead_id")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/contacts/merge", {"survivor_id": 1, "merged_id": 2, "fields": []}, "fields"),
        (
            "/api/v1/contacts/merge",
            {"survivor_id": 1, "merged_id": 2, "fields": {"name": "both"}},
            "fields.name",
        ),
        ("/api/v1/leads/1/reassign", {"manager": "   "}, "manager"),
        ("/api/v1/leads/1/convert", {"create_deal": 1}, "create_deal"),
        ("/api/v1/leads/1/convert", {"amount": "12 рублей"}, "amount"),
        ("/api/v1/leads/1/match/confirm", {"contact_id": True}, "contact_id"),
        ("/api/v1/leads/1/match/confirm", {"contact_id": 2.0}, "contact_id"),
        (
            "/api/v1/tasks",
            {"entity": "deal", "entity_id": 1, "title": "t", "due_at": "2026-11-25T10:00:00"},
            "due_at",
        ),
        ("/api/v1/activities", {"entity": "client", "entity_id": 1, "kind": "note"}, "entity"),
        ("/api/v1/activities", {"entity": "lead", "entity_id": 1, "kind": "fax"}, "kind"),
    ],
)
async def test_values_the_handlers_refuse_the_model_refuses_first(
    running: Running, path: str, body: dict[str, Any], field: str
) -> None:
    async with running.client.post(path, json=body, headers=running.auth()) as response:
        answer = await response.json()
    assert (response.status, answer["error"], answer["field"]) == (400, "invalid_body", field)
