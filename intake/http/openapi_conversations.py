"""The operation table of conversations with clients (replies through their channel)."""

from __future__ import annotations

from intake.http.contract import Operation, Param, Reply, Request, id_schema, limit, path_id, query
from intake.http.conversations import MAX_KEY_CHARS
from intake.http.schemas import conversations

PATH = "/api/v1/conversations/{entity}/{entity_id}/messages"
ENTITY = Param(
    "entity", "path", {"type": "string", "enum": ["lead", "deal", "contact"]}, "The record kind"
)

CONVERSATION_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        PATH,
        "sendConversationMessage",
        "Send the client a message in the channel they wrote in (queued, sent by the worker)",
        {
            202: Reply(
                "Queued (or already queued under this Idempotency-Key)",
                conversations.QueuedMessage,
            )
        },
        errors={
            400: "Malformed body, path or header; the error names the field",
            404: "No such record the caller may work on",
            409: "The Idempotency-Key was used for another message",
            422: "No channel to answer in, or the text is empty or too long; names the field",
        },
        params=(
            ENTITY,
            path_id("entity_id"),
            Param(
                "Idempotency-Key",
                "header",
                {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
                "A retry with the same key queues nothing new",
            ),
        ),
        request=Request(conversations.SendMessageRequest),
        tag="conversations",
    ),
    Operation(
        "GET",
        PATH,
        "listConversationMessages",
        "The record's messages both ways, newest last, outgoing ones with their delivery state",
        {200: Reply("Messages", conversations.ConversationPage)},
        errors={400: "Invalid path or query", 404: "No such record visible to the caller"},
        params=(
            ENTITY,
            path_id("entity_id"),
            query("before", id_schema(), "Messages older than this activity id"),
            limit(),
        ),
        tag="conversations",
    ),
)
