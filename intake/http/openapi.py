"""The OpenAPI 3.1 document: the table of every route, generated into the served document.

To describe a new route, add an `Operation` to a table (this module's `CORE_OPERATIONS`, or a
module of its own whose tuple joins `OPERATIONS` below; a channel's routes are described by
its spec, see intake/http/openapi_channels.py); its bodies are pydantic models in
`intake/http/schemas/`. A JSON request model also validates the route's requests
(`intake/http/request_validation.py`). `tests/contract` checks the table against the app's
routes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from config import Settings
from crm_core.model import LeadStatus
from intake.http.contract import (
    TEXT,
    Operation,
    Reply,
    Request,
    build_document,
    id_schema,
    limit,
    path_id,
    query,
)
from intake.http.openapi_catalogue import CATALOGUE_OPERATIONS
from intake.http.openapi_channels import channel_operations
from intake.http.openapi_closing import CLOSING_OPERATIONS
from intake.http.openapi_conversations import CONVERSATION_OPERATIONS
from intake.http.openapi_invoices import INVOICE_OPERATIONS
from intake.http.openapi_persons import PERSON_OPERATIONS
from intake.http.openapi_quotes import QUOTE_OPERATIONS
from intake.http.openapi_sales import MANAGER_BOT_OPERATIONS, SALES_OPERATIONS
from intake.http.openapi_settings import DOCUMENT_OPERATIONS, SETTINGS_OPERATIONS
from intake.http.openapi_team import TEAM_OPERATIONS
from intake.http.openapi_tokens import TOKEN_OPERATIONS
from intake.http.openapi_webhooks import WEBHOOK_OPERATIONS, webhooks_section
from intake.http.schemas import contacts, leads, ops
from intake.http.schemas.base import enum_schema

TITLE = "LeadIntake API"
VERSION = "1"


def _ops() -> tuple[Operation, ...]:
    return (
        Operation(
            "GET",
            "/healthz",
            "healthz",
            "Liveness",
            {200: Reply("Up", ops.Health)},
            auth=False,
            storage=False,
            tag="operations",
        ),
        Operation(
            "GET",
            "/readyz",
            "readyz",
            "Readiness: database, worker, inbox lag",
            {200: Reply("Ready", ops.Readiness), 503: Reply("Not ready", ops.Readiness)},
            auth=False,
            storage=False,
            tag="operations",
        ),
        Operation(
            "GET",
            "/metrics",
            "metrics",
            "Prometheus metrics",
            {200: Reply("Prometheus text format", {"type": "string"}, TEXT)},
            auth=False,
            storage=False,
            tag="operations",
        ),
        Operation(
            "GET",
            "/api/v1/openapi.json",
            "openapi",
            "This document",
            {200: Reply("OpenAPI 3.1", {"type": "object"})},
            auth=False,
            storage=False,
            tag="operations",
        ),
    )


def _leads() -> tuple[Operation, ...]:
    decision = {"type": "string", "enum": list(leads.DECISIONS)}
    date_time = {"type": "string", "format": "date-time"}
    lead = path_id("lead_id")
    return (
        Operation(
            "GET",
            "/api/v1/leads",
            "listLeads",
            "Leads visible to the caller, newest first",
            {200: Reply("A page of leads", leads.LeadPage)},
            errors={400: "Invalid query parameter"},
            params=(
                query("status", enum_schema(LeadStatus)),
                query("channel"),
                query("assignee", description="Manager login"),
                query("duplicate_check", decision, "Leads waiting for a manager's answer: review"),
                query("contact_id", id_schema()),
                query("created_from", date_time),
                query("created_to", date_time),
                limit(),
                query("cursor", description="next_cursor of the previous page"),
            ),
            tag="leads",
        ),
        Operation(
            "GET",
            "/api/v1/leads/{lead_id}",
            "getLead",
            "One lead with its consents, tasks and activities",
            {200: Reply("The lead", leads.LeadDetail)},
            errors={400: "Invalid id", 404: "No such lead visible to the caller"},
            params=(lead,),
            tag="leads",
        ),
        Operation(
            "POST",
            "/api/v1/leads/joins/{join_id}/undo",
            "undoLeadJoin",
            "Undo a join of one person's open leads (see the lead's `joins`)",
            {200: Reply("The joined lead restored", leads.JoinUndone)},
            errors={
                400: "Invalid id",
                403: "Only a head of sales",
                404: "No such join",
                409: "Already undone, or either lead changed since (converted, closed, joined)",
            },
            params=(path_id("join_id"),),
            tag="duplicates",
        ),
        _match("confirm", "Confirm that the lead is this contact (it learns its identifiers)"),
        _match("reject", "Not the same person: remembered team-wide, never proposed again"),
    )


def _match(verb: str, summary: str) -> Operation:
    return Operation(
        "POST",
        f"/api/v1/leads/{{lead_id}}/match/{verb}",
        f"{verb}Match",
        summary,
        {200: Reply("The lead after the decision", leads.Lead)},
        errors={
            400: "Invalid id or body",
            404: "No such lead visible to the caller, or no such contact",
            409: "The contact was merged into another one",
            422: "The decision cannot be applied to this lead",
        },
        params=(path_id("lead_id"),),
        request=Request(leads.ContactChoice),
        tag="duplicates",
    )


def _records(entity: str, plural: str) -> tuple[Operation, ...]:
    title = entity.capitalize()
    models: dict[str, tuple[type[BaseModel], type[BaseModel], type[BaseModel]]] = {
        "contact": (contacts.ContactDetail, contacts.ContactMerged, contacts.ContactRestored),
        "company": (contacts.CompanyDetail, contacts.CompanyMerged, contacts.CompanyRestored),
    }
    detail, merged, restored = models[entity]
    return (
        Operation(
            "POST",
            f"/api/v1/{plural}/merge",
            f"merge{title}",
            f"Merge two {plural}, choosing per field which value survives",
            {201: Reply("Merged; keep merge_id to undo", merged)},
            errors={
                400: "Invalid body",
                403: "Only a head or the owner of both",
                404: "No such record",
                409: "A record is already merged",
                422: "A record cannot be merged into itself, or an unknown field in `fields`",
            },
            request=Request(contacts.MergeRequest),
            tag="duplicates",
        ),
        Operation(
            "POST",
            f"/api/v1/{plural}/merges/{{merge_id}}/undo",
            f"undo{title}Merge",
            "Undo a merge from the merge journal",
            {200: Reply("Both records restored", restored)},
            errors={
                400: "Invalid id",
                403: "Only a head of sales",
                404: "No such merge",
                409: "Already undone, or the survivor was merged later",
            },
            params=(path_id("merge_id"),),
            tag="duplicates",
        ),
        Operation(
            "GET",
            f"/api/v1/{plural}/{{{entity}_id}}",
            f"get{title}",
            f"One {entity} with all its identities, tasks and activities",
            {200: Reply(f"The {entity}", detail)},
            errors={400: "Invalid id", 404: f"No such {entity}"},
            params=(path_id(f"{entity}_id"),),
            tag="contacts",
        ),
    )


CORE_OPERATIONS: tuple[Operation, ...] = (
    *_ops(),
    *_leads(),
    *_records("contact", "contacts"),
    *_records("company", "companies"),
)
OPERATIONS: tuple[Operation, ...] = (
    *CORE_OPERATIONS,
    *SALES_OPERATIONS,
    *MANAGER_BOT_OPERATIONS,
    *CONVERSATION_OPERATIONS,
    *channel_operations(),
    *TOKEN_OPERATIONS,
    *TEAM_OPERATIONS,
    *SETTINGS_OPERATIONS,
    *DOCUMENT_OPERATIONS,
    *CATALOGUE_OPERATIONS,
    *QUOTE_OPERATIONS,
    *INVOICE_OPERATIONS,
    *CLOSING_OPERATIONS,
    *WEBHOOK_OPERATIONS,
    *PERSON_OPERATIONS,
)


@cache
def _document(server_url: str) -> dict[str, Any]:
    document = build_document(OPERATIONS, server_url=server_url, title=TITLE, version=VERSION)
    section, schemas = webhooks_section()
    document["webhooks"] = section
    clashes = set(schemas) & set(document["components"]["schemas"])
    if clashes:
        raise ValueError(f"webhook schemas reuse component names: {sorted(clashes)}")
    document["components"]["schemas"].update(schemas)
    return document


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The document served at /api/v1/openapi.json."""
    return _document(settings.http.public_url)
