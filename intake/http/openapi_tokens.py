"""The OpenAPI description of the API-token routes and of the abuse answers of public routes."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
ERROR = {"$ref": "#/components/schemas/Error"}
AUTH: list[dict[str, list[str]]] = [{"bearer": []}]
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "login", "created_at", "last_used_at", "expires_at", "revoked_at", "state"],
    "properties": {
        "id": {"type": "integer"},
        "login": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": NULLABLE_TIME,
        "expires_at": NULLABLE_TIME,
        "revoked_at": NULLABLE_TIME,
        "state": {"type": "string", "enum": ["active", "expired", "revoked"]},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ERROR}}}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


DENIED = {
    "401": _error("Missing, unknown, expired or revoked bearer token"),
    "403": _error("Not a head of sales"),
}


def form_abuse_responses() -> dict[str, Any]:
    """Answers of the public form route to abuse: a refused captcha, a slow body, too many."""
    return {
        "403": _error("SmartCaptcha did not confirm the smart-token field"),
        "408": _error("The body did not arrive within [http] body_timeout_seconds"),
        "429": {
            **_error("Too many submissions of this form from this address; see Retry-After"),
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        },
    }


def token_routes() -> dict[str, Any]:
    """GET /api/v1/tokens and POST /api/v1/tokens/{token_id}/revoke."""
    token_id = {"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    listing = {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": TOKEN_SCHEMA}},
    }
    return {
        "/api/v1/tokens": {
            "get": {
                "summary": "Every API token (never its secret), newest first; heads only",
                "operationId": "listTokens",
                "security": AUTH,
                "responses": {"200": _ok(listing, "Tokens"), **DENIED},
            }
        },
        "/api/v1/tokens/{token_id}/revoke": {
            "post": {
                "summary": "Revoke a token: it answers 401 from now on; heads only",
                "operationId": "revokeToken",
                "security": AUTH,
                "parameters": [token_id],
                "responses": {
                    "200": _ok(TOKEN_SCHEMA, "The token, revoked"),
                    "400": _error("The token id is not a number"),
                    **DENIED,
                    "404": _error("No such token"),
                },
            }
        },
    }
