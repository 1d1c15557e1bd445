"""The OpenAPI description of the cloud-PBX webhooks (each authenticated by its own signature)."""

from __future__ import annotations

from typing import Any

from channels.telephony.generic.adapter import body_schema
from channels.telephony.generic.const import SIGNATURE_HEADER, TIMESTAMP_HEADER

FORM = "application/x-www-form-urlencoded"
ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


DENIED = {
    "400": _error("Malformed body or a missing field; the error names it. Nothing stored"),
    "403": _error("Wrong key or signature. Nothing stored"),
    "404": _error("The provider or source is not configured"),
    "413": _error("Body too large"),
}


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {FORM: {"schema": schema}}}


def _echo(provider: str) -> dict[str, Any]:
    return {
        "summary": f"{provider} URL check: answers the zd_echo value as plain text",
        "operationId": f"{provider.lower()}Echo",
        "parameters": [
            {"name": "zd_echo", "in": "query", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {"description": "The zd_echo value", "content": {"text/plain": {}}},
            "400": DENIED["400"],
            "404": DENIED["404"],
        },
    }


def _zadarma(provider: str) -> dict[str, Any]:
    text = {"type": "string"}
    fields = [
        "event",
        "caller_id",
        "called_did",
        "call_start",
        "pbx_call_id",
        "internal",
        "destination",
        "duration",
        "disposition",
        "status_code",
        "is_recorded",
        "call_id_with_rec",
    ]
    return {
        "summary": f"{provider} PBX notification (NOTIFY_START … NOTIFY_RECORD),"
        " Signature header = base64(hex HMAC-SHA1)",
        "operationId": f"{provider.lower()}Notification",
        "parameters": [
            {"name": "Signature", "in": "header", "required": True, "schema": text},
            {"name": "zd_echo", "in": "query", "required": False, "schema": text},
        ],
        "requestBody": _form(dict.fromkeys(fields, text), ["event"]),
        "responses": {"200": {"description": "Stored durably, or an event we do not use"}}
        | DENIED,
    }


def telephony_hook_routes() -> dict[str, Any]:
    """Paths the cloud PBXs and call trackers post call events to."""
    text = {"type": "string"}
    return {
        "/hooks/telephony/mango/events/{kind}": {
            "post": {
                "summary": "Mango Office VPBX event (call, summary, recording);"
                " sign = sha256(vpbx_api_key + json + vpbx_api_salt)",
                "operationId": "mangoEvent",
                "parameters": [{"name": "kind", "in": "path", "required": True, "schema": text}],
                "requestBody": _form(
                    {"vpbx_api_key": text, "sign": text, "json": text},
                    ["vpbx_api_key", "sign", "json"],
                ),
                "responses": {"200": {"description": "Stored durably, or an event we do not use"}}
                | DENIED,
            }
        },
        "/hooks/telephony/zadarma": {"get": _echo("Zadarma"), "post": _zadarma("Zadarma")},
        "/hooks/telephony/novofon": {"get": _echo("Novofon"), "post": _zadarma("Novofon")},
        "/hooks/telephony/generic/{source}": {
            "post": {
                "summary": "Generic signed call event from a configured source",
                "operationId": "genericCallEvent",
                "parameters": [
                    {"name": "source", "in": "path", "required": True, "schema": text},
                    {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": text},
                    {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": text},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body_schema()}},
                },
                "responses": {
                    "200": {
                        "description": "Stored durably (duplicate: true for a repeated id)",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": _error("Timestamp outside the 5-minute window: a replay"),
                }
                | DENIED,
            }
        },
    }
