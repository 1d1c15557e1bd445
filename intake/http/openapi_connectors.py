"""The operation table of the CRM connector routes (heads only)."""

from __future__ import annotations

from intake.http.contract import Operation, Param, Reply, Request, limit, path_id
from intake.http.schemas import connectors, webhooks

HEADS_ONLY = "Not a head of sales"
CONNECTOR_ID = path_id("connector_id")
NO_CONNECTOR = "No such connector"
REFUSED = "A kind, URL, variable or mapping value not allowed (`field` names it)"

CONNECTOR_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/connectors",
        "listConnectors",
        "Every CRM connector (Bitrix24, amoCRM); heads only",
        {200: Reply("Connectors", connectors.ConnectorPage)},
        errors={403: HEADS_ONLY},
        tag="connectors",
    ),
    Operation(
        "POST",
        "/api/v1/connectors",
        "createConnector",
        "Connect Bitrix24 or amoCRM: leads and their changes are sent from now on; heads only",
        {201: Reply("The connector", connectors.Connector)},
        errors={400: "Invalid body", 403: HEADS_ONLY, 422: REFUSED},
        request=Request(connectors.NewConnector),
        tag="connectors",
    ),
    Operation(
        "GET",
        "/api/v1/connectors/{connector_id}",
        "getConnector",
        "One connector; heads only",
        {200: Reply("The connector", connectors.Connector)},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: NO_CONNECTOR},
        params=(CONNECTOR_ID,),
        tag="connectors",
    ),
    Operation(
        "PUT",
        "/api/v1/connectors/{connector_id}",
        "updateConnector",
        "Replace a connector's URL, secret variable, mapping and state (same kind); heads only",
        {200: Reply("The connector", connectors.Connector)},
        errors={400: "Invalid id or body", 403: HEADS_ONLY, 404: NO_CONNECTOR, 422: REFUSED},
        params=(CONNECTOR_ID,),
        request=Request(connectors.NewConnector),
        tag="connectors",
    ),
    Operation(
        "DELETE",
        "/api/v1/connectors/{connector_id}",
        "deleteConnector",
        "Remove a connector with its delivery log and remote ids; heads only",
        {204: Reply("Removed")},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: NO_CONNECTOR},
        params=(CONNECTOR_ID,),
        tag="connectors",
    ),
    Operation(
        "POST",
        "/api/v1/connectors/{connector_id}/test",
        "testConnector",
        "Create a test lead in the remote CRM now and answer with its id; heads only",
        {200: Reply("The test lead's remote id", connectors.TestLead)},
        errors={
            400: "Invalid id",
            403: HEADS_ONLY,
            404: NO_CONNECTOR,
            502: "The remote CRM refused or did not answer (`message` says what it said)",
        },
        params=(CONNECTOR_ID,),
        tag="connectors",
    ),
    Operation(
        "GET",
        "/api/v1/connectors/{connector_id}/deliveries",
        "listConnectorDeliveries",
        "A connector's deliveries, newest first: status, attempts, what the CRM answered",
        {200: Reply("Deliveries", webhooks.WebhookDeliveryPage)},
        errors={400: "Invalid id or query", 403: HEADS_ONLY, 404: NO_CONNECTOR},
        params=(
            CONNECTOR_ID,
            limit(),
            Param("before_id", "query", path_id("before_id").schema, "Older than this id"),
        ),
        tag="connectors",
    ),
    Operation(
        "POST",
        "/api/v1/connectors/{connector_id}/dead-letters/replay",
        "replayConnectorDeadLetters",
        "Try every dead letter of a connector again; heads only",
        {200: Reply("Queued again", webhooks.Replayed)},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: NO_CONNECTOR},
        params=(CONNECTOR_ID,),
        tag="connectors",
    ),
)
