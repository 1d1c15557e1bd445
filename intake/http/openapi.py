"""The OpenAPI 3.1 document describing every route with request and response schemas."""

from __future__ import annotations

from typing import Any

from config import Settings
from intake.http.openapi_sales import (
    ID_SCHEMA,
    LIMIT_SCHEMA,
    hook_routes,
    id_param,
    sales_routes,
)
from intake.http.openapi_telephony import telephony_hook_routes
from intake.http.openapi_tokens import form_abuse_responses, token_routes

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


NULLABLE_STRING = {"type": ["string", "null"]}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

LEAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "status",
        "channel",
        "name",
        "phone",
        "email",
        "company",
        "assignee",
        "created_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "intake_id": {"type": "integer", "description": "The inbox row the lead came from"},
        "status": {"type": "string", "enum": ["new", "in_work", "converted", "junk"]},
        "channel": {"type": "string", "examples": ["webform"]},
        "source": {"type": "string", "description": "Form key, bot name, mailbox..."},
        "form": NULLABLE_STRING,
        "name": NULLABLE_STRING,
        "first_name": NULLABLE_STRING,
        "last_name": NULLABLE_STRING,
        "patronymic": NULLABLE_STRING,
        "phone": {"type": ["string", "null"], "description": "E.164, null when absent/invalid"},
        "phone_raw": {"type": ["string", "null"], "description": "The phone as submitted"},
        "phone_extension": NULLABLE_STRING,
        "email": {"type": ["string", "null"], "description": "Normalized, null when invalid"},
        "email_raw": NULLABLE_STRING,
        "company": NULLABLE_STRING,
        "position": NULLABLE_STRING,
        "messenger_ids": STRING_MAP,
        "comment": NULLABLE_STRING,
        "utm": STRING_MAP,
        "page_url": NULLABLE_STRING,
        "referrer": NULLABLE_STRING,
        "flags": {
            "type": "array",
            "items": {"type": "string", "enum": ["phone_invalid", "email_invalid"]},
        },
        "fields": {**STRING_MAP, "description": "Every submitted field, raw"},
        "meta": STRING_MAP,
        "queue": NULLABLE_STRING,
        "pipeline": NULLABLE_STRING,
        "assignee": {"type": ["string", "null"], "description": "Manager login"},
        "contact_id": {"type": ["integer", "null"], "description": "Known contact it came from"},
        "company_id": {"type": ["integer", "null"]},
        "is_repeat": {"type": "boolean", "description": "From a client already known"},
        "duplicate_of": {
            "type": ["integer", "null"],
            "description": "The person's open lead this message was attached to",
        },
        "duplicate_check": {
            "type": ["object", "null"],
            "description": "The duplicate detector's decision and explanation",
            "properties": {
                "decision": {"type": "string", "enum": ["auto", "review", "new"]},
                "score": {"type": "number"},
                "explanation": {
                    "type": "object",
                    "description": "Candidates compared, each field's evidence and weight",
                },
            },
        },
        "received_at": {"type": "string", "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "consents": {"type": "array", "items": _ref("Consent"), "description": "Detail only"},
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string", "description": "The field, header or parameter at fault"},
        },
    },
    "Lead": LEAD_SCHEMA,
    "LeadPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref("Lead")},
            "next_cursor": NULLABLE_STRING,
        },
    },
    "Consent": {
        "type": "object",
        "properties": {
            "given": {"type": "boolean"},
            "text_version": NULLABLE_STRING,
            "raw_value": NULLABLE_STRING,
            "source": {"type": "string"},
            "recorded_at": {"type": "string", "format": "date-time"},
        },
    },
    "FormSubmission": {
        "type": "object",
        "description": "Field names in Russian or English are understood (name/имя/fio,"
        " phone/tel/телефон, email, company, comment/message, utm_*, page_url, referrer,"
        " consent); Tilda's tranid/formid and test=test are honoured. At least one of phone"
        " or email is required.",
        "properties": {
            "name": {"type": "string"},
            "phone": {"type": "string"},
            "email": {"type": "string"},
            "company": {"type": "string"},
            "comment": {"type": "string"},
            "consent": {"type": "string"},
            "utm_source": {"type": "string"},
            "page_url": {"type": "string"},
            "tranid": {"type": "string", "description": "Idempotency key (Tilda)"},
        },
        "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
    },
    "IntakeAccepted": {
        "type": "object",
        "required": ["intake_id", "status"],
        "properties": {
            "intake_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["accepted", "ok"]},
            "duplicate": {"type": "boolean", "description": "A retry of a stored submission"},
            "test": {"type": "boolean"},
        },
    },
    "Health": {"type": "object", "properties": {"status": {"type": "string"}}},
    "Readiness": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "checks": {"type": "object"},
        },
    },
}


def _form_route() -> dict[str, Any]:
    body = _ref("FormSubmission")
    return {
        "post": {
            "summary": "Submit a website form; stored durably before the answer",
            "operationId": "submitForm",
            "parameters": [
                {"name": "form_key", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}},
                {"name": "X-Api-Key", "in": "header", "schema": {"type": "string"}},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {"schema": body},
                    "application/x-www-form-urlencoded": {"schema": body},
                    "multipart/form-data": {"schema": body},
                },
            },
            "responses": {
                "200": _json(
                    _ref("IntakeAccepted"),
                    "Retry of a stored submission, test ping or a spam trap",
                ),
                "202": _json(_ref("IntakeAccepted"), "Stored; the lead is being created"),
                "303": {"description": "Stored; redirect to the form's thank-you page"},
                "400": _error("Malformed body"),
                "401": _error("Missing or wrong API key"),
                "404": _error("Unknown form"),
                "413": _error("Body larger than the limit"),
                "415": _error("Unsupported content type"),
                "422": _error("No way to reach the person"),
                **form_abuse_responses(),
                "503": _error("Storage unavailable; retry"),
            },
        }
    }


def _leads_routes() -> dict[str, Any]:
    auth: list[dict[str, list[str]]] = [{"bearer": []}]
    query = [
        {"name": "status", "in": "query", "schema": LEAD_SCHEMA["properties"]["status"]},
        {"name": "channel", "in": "query", "schema": {"type": "string"}},
        {"name": "assignee", "in": "query", "schema": {"type": "string"}},
        {
            "name": "duplicate_check",
            "in": "query",
            "description": "Leads waiting for a manager's answer: review",
            "schema": {"type": "string", "enum": ["auto", "review", "new", "confirmed"]},
        },
        id_param("contact_id", "query"),
        {
            "name": "created_from",
            "in": "query",
            "schema": {"type": "string", "format": "date-time"},
        },
        {"name": "created_to", "in": "query", "schema": {"type": "string", "format": "date-time"}},
        {"name": "limit", "in": "query", "schema": LIMIT_SCHEMA},
        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
    ]
    return {
        "/api/v1/leads": {
            "get": {
                "summary": "Leads visible to the caller, newest first",
                "operationId": "listLeads",
                "security": auth,
                "parameters": query,
                "responses": {
                    "200": _json(_ref("LeadPage"), "A page of leads"),
                    "400": _error("Invalid query parameter"),
                    "401": _error("No valid bearer token"),
                },
            }
        },
        "/api/v1/leads/{lead_id}": {
            "get": {
                "summary": "One lead with its consents",
                "operationId": "getLead",
                "security": auth,
                "parameters": [id_param("lead_id")],
                "responses": {
                    "200": _json(_ref("Lead"), "The lead"),
                    "400": _error("Invalid id"),
                    "401": _error("No valid bearer token"),
                    "404": _error("No such lead visible to the caller"),
                },
            }
        },
    }


def _ops_routes() -> dict[str, Any]:
    return {
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "operationId": "healthz",
                "responses": {"200": _json(_ref("Health"), "Up")},
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness: database, worker, inbox lag",
                "operationId": "readyz",
                "responses": {
                    "200": _json(_ref("Readiness"), "Ready"),
                    "503": _json(_ref("Readiness"), "Not ready"),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {
                    "200": {"description": "Prometheus text format", "content": {"text/plain": {}}}
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {}}}},
            }
        },
    }


CONTACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": NULLABLE_STRING,
        "phones": {"type": "array", "items": {"type": "string"}, "description": "E.164"},
        "emails": {"type": "array", "items": {"type": "string"}},
        "telegram_id": NULLABLE_STRING,
        "telegram_username": NULLABLE_STRING,
        "vk_id": NULLABLE_STRING,
        "company_id": {"type": ["integer", "null"]},
        "company": NULLABLE_STRING,
        "owner_id": {"type": ["integer", "null"]},
        "merged_into_id": {"type": ["integer", "null"]},
    },
}
CONTACT_CHOICE: dict[str, Any] = {
    "type": "object",
    "required": ["contact_id"],
    "properties": {"contact_id": ID_SCHEMA},
}


def _match_route(verb: str, summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "operationId": f"{verb}Match",
            "security": [{"bearer": []}],
            "parameters": [id_param("lead_id")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": CONTACT_CHOICE}},
            },
            "responses": {
                "200": _json(_ref("Lead"), "The lead after the decision"),
                "400": _error("Invalid id or body"),
                "401": _error("No valid bearer token"),
                "404": _error("No such lead visible to the caller, or no such contact"),
                "409": _error(
                    "The lead is converted (lead_converted), or the contact was merged into"
                    " another one"
                ),
                "422": _error(
                    "A manager chose a contact the detector did not propose (contact_not_proposed)"
                ),
            },
        }
    }


COMPANY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "inn": NULLABLE_STRING,
        "phones": {"type": "array", "items": {"type": "string"}},
        "emails": {"type": "array", "items": {"type": "string"}},
        "website": NULLABLE_STRING,
        "owner_id": {"type": ["integer", "null"]},
        "merged_into_id": {"type": ["integer", "null"]},
    },
}


def _merge_routes(entity: str, schema: dict[str, Any]) -> dict[str, Any]:
    auth: list[dict[str, list[str]]] = [{"bearer": []}]
    plural = f"{entity}s" if entity == "contact" else "companies"
    title = entity.capitalize()
    return {
        f"/api/v1/{plural}/merge": {
            "post": {
                "summary": f"Merge two {plural}, choosing per field which value survives",
                "operationId": f"merge{title}",
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["survivor_id", "merged_id"],
                                "properties": {
                                    "survivor_id": {"type": "integer"},
                                    "merged_id": {"type": "integer"},
                                    "fields": {
                                        "type": "object",
                                        "additionalProperties": {
                                            "type": "string",
                                            "enum": ["survivor", "merged"],
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {"merge_id": {"type": "integer"}, entity: schema},
                        },
                        "Merged; keep merge_id to undo",
                    ),
                    "400": _error("Invalid body"),
                    "401": _error("No valid bearer token"),
                    "403": _error("Only a head or the owner of both"),
                    "404": _error("No such record visible to the caller"),
                    "409": _error("A record is already merged"),
                    "422": _error("A record cannot be merged into itself, or bad field choice"),
                },
            }
        },
        f"/api/v1/{plural}/merges/{{merge_id}}/undo": {
            "post": {
                "summary": "Undo a merge from the merge journal",
                "operationId": f"undo{title}Merge",
                "security": auth,
                "parameters": [id_param("merge_id")],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"merge_id": {"type": "integer"}, "restored": schema},
                        },
                        "Both records restored",
                    ),
                    "401": _error("No valid bearer token"),
                    "403": _error("Only a head of sales"),
                    "404": _error("No such merge"),
                    "409": _error("Already undone, or the survivor was merged later"),
                },
            }
        },
        f"/api/v1/{plural}/{{{entity}_id}}": {
            "get": {
                "summary": f"One {entity} with all its identities",
                "operationId": f"get{title}",
                "security": auth,
                "parameters": [id_param(f"{entity}_id")],
                "responses": {
                    "200": _json(schema, f"The {entity}"),
                    "400": _error("Invalid id"),
                    "401": _error("No valid bearer token"),
                    "404": _error(f"No such {entity} visible to the caller"),
                },
            }
        },
    }


def _contact_routes() -> dict[str, Any]:
    return {
        "/api/v1/leads/{lead_id}/match/confirm": _match_route(
            "confirm", "Confirm that the lead is this contact (it learns the lead's identifiers)"
        ),
        "/api/v1/leads/{lead_id}/match/reject": _match_route(
            "reject", "Not the same person: remembered team-wide, never proposed again"
        ),
        **_merge_routes("contact", CONTACT_SCHEMA),
        **_merge_routes("company", COMPANY_SCHEMA),
    }


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The document served at /api/v1/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "LeadIntake API", "version": "1"},
        "servers": [{"url": settings.http.public_url}],
        "paths": {
            **_ops_routes(),
            "/api/v1/forms/{form_key}": _form_route(),
            **_leads_routes(),
            **_contact_routes(),
            **sales_routes(),
            **hook_routes(),
            **telephony_hook_routes(),
            **token_routes(),
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
