"""The operation table of conversations with clients (replies through their channel)."""

from __future__ import annotations

from intake.http.contract import (
    JSON,
    MULTIPART,
    Operation,
    Param,
    Reply,
    Request,
    id_schema,
    limit,
    path_id,
    query,
)
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
            413: "A file beyond 20 MB (field `attachments`)",
            422: "No channel to answer in, the text is empty or too long, or more than one"
            " file; names the field",
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
        request=Request(
            conversations.SendMessageRequest,
            (JSON,),
            other_bodies={MULTIPART: conversations.MULTIPART_MESSAGE},
        ),
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
    Operation(
        "GET",
        "/api/v1/conversations/{entity}/{entity_id}/attachments/{attachment}",
        "downloadConversationAttachment",
        "Download a file of the conversation: the manager's from storage, the client's"
        " fetched from the platform now (Telegram getFile, VK's URL)",
        {
            200: Reply(
                "The file, as an attachment",
                {"type": "string", "format": "binary"},
                "application/octet-stream",
            )
        },
        errors={
            400: "Invalid path",
            404: "No such record visible to the caller, or no such file on it",
            502: "The platform did not give the file; the message says why",
        },
        params=(
            ENTITY,
            path_id("entity_id"),
            Param(
                "attachment",
                "path",
                {"type": "string", "pattern": r"^(o[1-9][0-9]*|a[1-9][0-9]*|l)\.[0-9]{1,3}$"},
                "The file's `id` as the conversation lists it",
            ),
        ),
        tag="conversations",
    ),
)
