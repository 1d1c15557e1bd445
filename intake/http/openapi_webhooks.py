"""The operation table of the webhook subscription routes (heads only) and the document's
`webhooks` section: what a subscriber receives for each event type (OpenAPI 3.1)."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from crm_core.webhooks import DeliveryStatus
from intake.http.contract import REF, Operation, Param, Reply, Request, limit, path_id, query
from intake.http.schemas import webhooks
from intake.http.schemas.base import enum_schema

HEADS_ONLY = "Not a head of sales"
WEBHOOK_ID = path_id("webhook_id")
NO_WEBHOOK = "No such webhook"
SIGNED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

WEBHOOK_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/webhooks",
        "listWebhooks",
        "Every webhook subscription (never its secret); heads only",
        {200: Reply("Subscriptions", webhooks.WebhookPage)},
        errors={403: HEADS_ONLY},
        tag="webhooks",
    ),
    Operation(
        "POST",
        "/api/v1/webhooks",
        "createWebhook",
        "Subscribe a URL to events; the secret is shown in this answer only; heads only",
        {201: Reply("The subscription, with its secret this once", webhooks.CreatedWebhook)},
        errors={
            400: "Invalid body",
            403: HEADS_ONLY,
            422: "A URL, event type, queue or pipeline not allowed",
        },
        request=Request(webhooks.NewWebhook),
        tag="webhooks",
    ),
    Operation(
        "GET",
        "/api/v1/webhooks/{webhook_id}",
        "getWebhook",
        "One subscription; heads only",
        {200: Reply("The subscription", webhooks.Webhook)},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: NO_WEBHOOK},
        params=(WEBHOOK_ID,),
        tag="webhooks",
    ),
    Operation(
        "PUT",
        "/api/v1/webhooks/{webhook_id}",
        "updateWebhook",
        "Replace a subscription's URL, events, filters and state (the secret when given)",
        {200: Reply("The subscription", webhooks.Webhook)},
        errors={
            400: "Invalid id or body",
            403: HEADS_ONLY,
            404: NO_WEBHOOK,
            422: "A URL, event type, queue or pipeline not allowed",
        },
        params=(WEBHOOK_ID,),
        request=Request(webhooks.NewWebhook),
        tag="webhooks",
    ),
    Operation(
        "DELETE",
        "/api/v1/webhooks/{webhook_id}",
        "deleteWebhook",
        "Remove a subscription and its delivery log; heads only",
        {204: Reply("Removed")},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: NO_WEBHOOK},
        params=(WEBHOOK_ID,),
        tag="webhooks",
    ),
    Operation(
        "GET",
        "/api/v1/webhooks/{webhook_id}/deliveries",
        "listWebhookDeliveries",
        "A subscription's deliveries, newest first: status, attempts, latency, answer",
        {200: Reply("Deliveries", webhooks.WebhookDeliveryPage)},
        errors={400: "Invalid id or query", 403: HEADS_ONLY, 404: NO_WEBHOOK},
        params=(
            WEBHOOK_ID,
            query("status", enum_schema(DeliveryStatus)),
            limit(),
            Param("before_id", "query", path_id("before_id").schema, "Older than this id"),
        ),
        tag="webhooks",
    ),
    Operation(
        "POST",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
        "replayWebhookDelivery",
        "Send a delivered or dead delivery again, with the same webhook-id; heads only",
        {200: Reply("Queued again", webhooks.Replayed)},
        errors={
            400: "Invalid id",
            403: HEADS_ONLY,
            404: "No such delivery of this webhook",
            409: "The delivery is still being tried",
        },
        params=(WEBHOOK_ID, path_id("delivery_id")),
        tag="webhooks",
    ),
    Operation(
        "GET",
        "/api/v1/webhooks/{webhook_id}/dead-letters",
        "listWebhookDeadLetters",
        "A subscription's dead letters (given up after retries), newest first",
        {200: Reply("Dead letters", webhooks.WebhookDeliveryPage)},
        errors={400: "Invalid id or query", 403: HEADS_ONLY, 404: NO_WEBHOOK},
        params=(
            WEBHOOK_ID,
            limit(),
            Param("before_id", "query", path_id("before_id").schema, "Older than this id"),
        ),
        tag="webhooks",
    ),
    Operation(
        "POST",
        "/api/v1/webhooks/{webhook_id}/dead-letters/replay",
        "replayWebhookDeadLetters",
        "Send every dead letter of a subscription again; heads only",
        {200: Reply("Queued again", webhooks.Replayed)},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: NO_WEBHOOK},
        params=(WEBHOOK_ID,),
        tag="webhooks",
    ),
)


def webhooks_section() -> tuple[dict[str, Any], dict[str, Any]]:
    """The document's `webhooks` (one POST per event type) and the schemas they refer to."""
    models = sorted(set(webhooks.EVENT_MODELS.values()), key=lambda m: m.__name__)
    refs, top = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
    section: dict[str, Any] = {}
    for event, model in webhooks.EVENT_MODELS.items():
        section[event.value] = {
            "post": {
                "summary": f"{event.value}, signed as Standard Webhooks",
                "operationId": f"webhook_{event.value.replace('.', '_')}",
                "parameters": [
                    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                    for h in SIGNED_HEADERS
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": dict(refs[(model, "serialization")])}
                    },
                },
                "responses": {
                    "2XX": {"description": "Delivered (any other answer is retried)"},
                    "410": {"description": "Gone: the subscription is disabled"},
                },
            }
        }
    return section, top.get("$defs", {})
