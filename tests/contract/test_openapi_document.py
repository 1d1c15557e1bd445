"""The OpenAPI document matches the app's routes, and its checker catches drift."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from config import Settings
from crm_core.model import Lead, LeadContactDetails, LeadFlag, LeadMatch, LeadStatus, NewLead
from intake.http.app import add_routes
from intake.http.leads import lead_json
from intake.http.openapi import OPERATIONS, openapi_document
from tests.contract.validation import ResponseContract

METHODS = ("get", "post", "put", "patch", "delete")


def _routes() -> set[tuple[str, str]]:
    app = web.Application()
    add_routes(app)
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }


def test_every_route_is_documented_and_every_operation_is_routed(settings: Settings) -> None:
    document = openapi_document(settings)
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == _routes()
    assert len(OPERATIONS) == len(documented)


def test_no_operation_answers_an_untyped_object(settings: Settings) -> None:
    document = openapi_document(settings)
    untyped = [
        f"{method.upper()} {path} {status}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, reply in operation["responses"].items()
        for media in reply.get("content", {}).values()
        if media.get("schema") == {"type": "object"} and path != "/api/v1/openapi.json"
    ]
    assert untyped == []


def test_the_lead_schema_is_closed_and_requires_the_work_fields(settings: Settings) -> None:
    schemas = openapi_document(settings)["components"]["schemas"]
    lead = schemas["Lead"]
    assert lead["additionalProperties"] is False
    for field in (
        "assignee_id",
        "accept_by",
        "taken_at",
        "junk_reason",
        "converted_at",
        "deal_id",
    ):
        assert field in lead["required"]


@pytest.fixture
def contract(settings: Settings) -> ResponseContract:
    """The checker the e2e suite runs every answer through."""
    return ResponseContract(openapi_document(settings))


def _lead(**changes: Any) -> Lead:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    data = NewLead(
        inbox_id=7,
        channel="webform",
        source="site",
        contact=LeadContactDetails(name="Иван", phone="+79161234567", messenger_ids={"vk": "1"}),
        comment=None,
        utm={"utm_source": "yandex"},
        page_url=None,
        referrer=None,
        fields={"name": "Иван"},
        meta={},
        flags=(LeadFlag.URGENT, LeadFlag.EMAIL_INVALID),
        queue="main",
        pipeline=None,
        received_at=now,
    )
    lead = Lead(1, LeadStatus.NEW, None, now, now, data)
    return replace(lead, **changes)


def test_lead_json_matches_the_lead_schema_bare_and_fully_worked(
    contract: ResponseContract,
) -> None:
    now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    match = LeadMatch("review", 2.5, 3, None, True, {"candidates": []}, duplicate_of_id=4)
    worked = _lead(
        status=LeadStatus.CONVERTED,
        assignee="ivanova",
        assignee_id=1,
        accept_by=now,
        taken_at=now,
        converted_at=now,
        deal_id=5,
        contact_id=3,
        company_id=2,
        match=match,
    )
    assert contract.component_problems("Lead", lead_json(_lead())) == []
    assert contract.component_problems("Lead", lead_json(worked)) == []


def test_an_undocumented_status_is_caught(contract: ResponseContract) -> None:
    problems = contract.problems("GET", "/api/v1/leads", 500, "application/json", b"{}")
    assert problems
    assert "status not documented" in problems[0]


def test_a_field_the_schema_does_not_know_is_caught(contract: ResponseContract) -> None:
    body = b'{"items": [], "next_cursor": null, "total": 3}'
    problems = contract.problems("GET", "/api/v1/leads", 200, "application/json", body)
    assert problems
    assert "total" in problems[0]


def test_a_missing_field_and_a_wrong_type_are_caught(contract: ResponseContract) -> None:
    error = b'{"error": "not_found"}'
    assert contract.problems("GET", "/api/v1/leads/{lead_id}", 404, "application/json", error)
    page = b'{"items": [], "next_cursor": 5}'
    assert contract.problems("GET", "/api/v1/leads", 200, "application/json", page)


def test_a_date_time_without_an_offset_is_caught(contract: ResponseContract) -> None:
    activity = {"id": 1, "kind": "note", "text": None, "at": "2026-01-01T10:00:00", "actor": "x"}
    assert contract.component_problems("Activity", activity)
    activity["at"] = "2026-01-01T10:00:00+03:00"
    assert contract.component_problems("Activity", activity) == []


def test_an_undocumented_media_type_is_caught(contract: ResponseContract) -> None:
    problems = contract.problems("GET", "/api/v1/leads", 200, "text/html", b"<html>")
    assert problems
    assert "content type" in problems[0]


def test_a_documented_answer_passes(contract: ResponseContract) -> None:
    page = b'{"items": [], "next_cursor": null}'
    assert contract.problems("GET", "/api/v1/leads", 200, "application/json", page) == []
    error = b'{"error": "unauthorized", "message": "token", "field": "Authorization"}'
    assert contract.problems("GET", "/api/v1/leads", 401, "application/json", error) == []
