"""The channels' operations, in registry order: each spec's own tables, and one operation
built from the doc of each generic webhook it declares."""

from __future__ import annotations

from channels.registry import CHANNELS
from channels.spec import Route
from channels.webhook import Webhook
from intake.http.contract import JSON, Operation, Param, Reply, Request, path_text

# What the generic webhook route answers once the event is stored (or ignored).
ACKNOWLEDGED = {
    "type": "object",
    "properties": {"ok": {"type": "boolean", "const": True}},
    "required": ["ok"],
    "additionalProperties": False,
}


def channel_operations() -> tuple[Operation, ...]:
    """Every channel route's operation."""
    operations: list[Operation] = []
    for spec in CHANNELS:
        for table in spec.openapi:
            operations.extend(table.load())
        for route in spec.routes:
            if isinstance(route.handler, Webhook):
                operations.append(webhook_operation(route, route.handler))
    return tuple(operations)


def webhook_operation(route: Route, hook: Webhook) -> Operation:
    """The operation of a generic webhook route, from its doc."""
    doc = hook.doc
    params = tuple(path_text(name, text) for name, text in doc.path_params.items())
    params += tuple(
        Param(name, "query", {"type": "string"}, text) for name, text in doc.query_params.items()
    )
    return Operation(
        route.method,
        route.path,
        doc.operation_id,
        doc.summary,
        {200: Reply("Stored durably, or acknowledged and not stored", ACKNOWLEDGED)},
        errors=dict(doc.errors),
        params=params,
        request=Request({"type": "object", "description": doc.request_description}, (JSON,)),
        auth=False,
        tag="webhooks",
    )
