"""The OpenAPI description of the sales-process routes (leads' lifecycle, deals, tasks, events)."""

from __future__ import annotations

from typing import Any

from intake.http.body import DEFAULT_LIMIT, ID_MAX, MAX_LIMIT

JSON = "application/json"
OBJECT: dict[str, Any] = {"type": "object"}
AUTH: list[dict[str, list[str]]] = [{"bearer": []}]
RULE_ERRORS = {
    "400": {"description": "Malformed body or path; the error names the field"},
    "401": {"description": "No valid bearer token"},
    "404": {"description": "No such record visible to the caller"},
    "409": {"description": "A rule refused the move; the error names the rule and what is needed"},
    "422": {"description": "A value is not allowed (e.g. an unknown junk reason)"},
}


def _param(name: str, where: str = "path", kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": {"type": kind}}


ID_DESCRIPTION = (
    f"A record id, 1 to {ID_MAX}; anything else (negative, zero, not a number, beyond 64-bit)"
    " is 400 naming the parameter; an id of no record visible to the caller is 404"
)
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
LIMIT_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {"before_id": ID_SCHEMA, "limit": LIMIT_SCHEMA}


def id_param(name: str, where: str = "path") -> dict[str, Any]:
    """A record id parameter: its bounds and what a malformed or unknown one answers."""
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": ID_DESCRIPTION,
        "schema": ID_SCHEMA,
    }


def _query(name: str) -> dict[str, Any]:
    schema = QUERY_SCHEMAS.get(name, {"type": "string"})
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _body(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return {"required": bool(required), "content": {JSON: {"schema": schema}}}


def _op(
    summary: str,
    operation_id: str,
    *,
    params: tuple[str, ...] = (),
    query: tuple[str, ...] = (),
    body: dict[str, Any] | None = None,
    ok: str = "200",
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": operation_id,
        "security": AUTH,
        "parameters": [id_param(p) for p in params] + [_query(q) for q in query],
        "responses": {ok: {"description": "Done", "content": {JSON: {"schema": OBJECT}}}}
        | RULE_ERRORS,
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


def hook_routes() -> dict[str, Any]:
    """Paths the messaging platforms post to (authenticated by their own secrets)."""
    ok = {"200": {"description": "Stored durably (VK: the body is `ok` or the confirmation)"}}
    denied = {
        "400": {"description": "Malformed body; the error names the field"},
        "401": {"description": "Wrong secret token (Telegram)"},
        "403": {"description": "Wrong secret (VK)"},
        "404": {"description": "Unknown bot or community"},
        "413": {"description": "Body too large"},
    }
    return {
        "/hooks/telegram/{bot_name}": {
            "post": {
                "summary": "Telegram Bot API update (X-Telegram-Bot-Api-Secret-Token checked)",
                "operationId": "telegramWebhook",
                "parameters": [_param("bot_name", kind="string")],
                "responses": ok | denied,
            }
        },
        "/hooks/vk/{group_id}": {
            "post": {
                "summary": "VK Callback API event (confirmation, message_new, lead_forms_new)",
                "operationId": "vkCallback",
                "parameters": [_param("group_id")],
                "responses": ok | denied,
            }
        },
    }


def sales_routes() -> dict[str, Any]:
    """Paths of the lead lifecycle, deals, tasks, activities and the event stream."""
    text = {"type": "string"}
    lead = ("lead_id",)
    deal = ("deal_id",)
    record = {"entity": {"enum": ["lead", "contact", "company", "deal"]}, "entity_id": OBJECT}
    return {
        "/api/v1/leads/{lead_id}/take": {
            "post": _op("Take the lead into work (new → in_work)", "takeLead", params=lead)
        },
        "/api/v1/leads/{lead_id}/junk": {
            "post": _op(
                "Close the lead as junk with a configured reason",
                "junkLead",
                params=lead,
                body=_body({"reason": text}, ("reason",)),
            )
        },
        "/api/v1/leads/{lead_id}/reassign": {
            "post": _op(
                "Give the lead to another manager",
                "reassignLead",
                params=lead,
                body=_body({"manager": text}, ("manager",)),
            )
        },
        "/api/v1/leads/{lead_id}/convert": {
            "post": _op(
                "Contact + company (+ deal) from the lead, atomically and once",
                "convertLead",
                params=lead,
                body=_body(
                    {
                        "create_deal": {"type": "boolean"},
                        "contact_id": ID_SCHEMA,
                        "company_id": ID_SCHEMA,
                        "pipeline": text,
                        "title": text,
                        "amount": {"type": ["number", "string"]},
                    }
                ),
                ok="201",
            )
        },
        "/api/v1/leads/{lead_id}/assignments": {
            "get": _op("Every assignment decision with its reason", "leadAssignments", params=lead)
        },
        "/api/v1/calls": {
            "get": _op(
                "The call log: calls the caller took part in (a head: all), newest first",
                "listCalls",
                query=("outcome", "direction", "before_id", "limit"),
            )
        },
        "/api/v1/calls/{call_id}": {
            "get": _op(
                "A call with the provider events it was assembled from",
                "getCall",
                params=("call_id",),
            )
        },
        "/api/v1/deals": {
            "get": _op(
                "Deals visible to the caller",
                "listDeals",
                query=("pipeline", "status", "before_id", "limit"),
            )
        },
        "/api/v1/deals/{deal_id}": {
            "get": _op(
                "A deal with stage history, tasks, activities, health", "getDeal", params=deal
            )
        },
        "/api/v1/deals/{deal_id}/stage": {
            "post": _op(
                "Move the deal to a stage under the pipeline's rules",
                "moveDeal",
                params=deal,
                body=_body({"stage": text, "reason": text}, ("stage",)),
            )
        },
        "/api/v1/deals/{deal_id}/lost/approve": {
            "post": _op("A head approves a lost request", "approveLost", params=deal)
        },
        "/api/v1/deals/{deal_id}/lost/reject": {
            "post": _op("A head rejects a lost request", "rejectLost", params=deal)
        },
        "/api/v1/tasks": {
            "post": _op(
                "Plan a task on a lead, contact, company or deal",
                "createTask",
                body=_body(
                    {**record, "type": text, "title": text, "due_at": text, "assignee_id": OBJECT},
                    ("entity", "entity_id", "title", "due_at"),
                ),
                ok="201",
            )
        },
        "/api/v1/tasks/{task_id}/done": {
            "post": _op(
                "Mark a task done (or not done)",
                "completeTask",
                params=("task_id",),
                body=_body({"done": {"type": "boolean"}}),
            )
        },
        "/api/v1/activities": {
            "post": _op(
                "Log a call, e-mail, message or note",
                "logActivity",
                body=_body(
                    {
                        **record,
                        "kind": {"enum": ["call", "email", "message", "note"]},
                        "text": text,
                    },
                    ("entity", "entity_id", "kind"),
                ),
                ok="201",
            )
        },
        "/api/v1/reports/funnel": {
            "get": _op(
                "Funnel of one pipeline over a period: reached and current per stage",
                "funnelReport",
                query=("pipeline", "from", "to"),
            )
        },
        "/api/v1/reports/lead-quality": {
            "get": _op(
                "Lead quality per channel and form: qualified and junk shares, time to take",
                "leadQualityReport",
                query=("from", "to"),
            )
        },
        "/api/v1/events": {
            "get": {
                **_op("The caller's notifications as Server-Sent Events", "events"),
                "parameters": [_param("access_token", "query", "string")],
                "responses": {
                    "200": {"description": "text/event-stream"},
                    "401": {"description": "No valid bearer token"},
                },
            }
        },
    }
