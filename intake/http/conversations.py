"""Conversations with the client over HTTP: send a reply, read the messages both ways.

`POST /api/v1/conversations/{entity}/{entity_id}/messages` queues a manager's message to the
client (202: stored, the replies dispatcher sends it); `GET` pages through the record's
messages, newest last, outgoing ones with their delivery state.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from crm_core.errors import DomainError
from crm_core.replies import CONVERSATION_RECORDS, conversation_page, send_reply
from crm_core.replies_model import ConversationEntry, OutgoingMessage
from crm_core.sales import RecordKind
from intake.clock import utcnow
from intake.http.body import (
    BadBody,
    BadPath,
    json_body,
    query_id,
    query_limit,
    required_path_id,
)
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.replies.reasons import explain_error
from intake.replies.wiring import unavailable_accounts

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 200


@require_manager
async def send_message(request: web.Request) -> web.StreamResponse:
    """Queue a message to the client in `channel` (default: the one the client used last)."""
    entity, entity_id = _record(request)
    body = await json_body(request)
    channel = body.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise BadBody("channel", "must be a string")
    text = body.get("text")
    if not isinstance(text, str):
        raise BadBody("text", "required, a string")
    manager = current_manager(request)
    key = _idempotency_key(request, manager.id)
    services = request.app[SERVICES]
    try:
        async with services.storage.transaction() as uow:
            queued = await send_reply(
                uow,
                manager,
                entity,
                entity_id,
                channel.strip() if channel is not None else None,
                text,
                utcnow(),
                idempotency_key=key,
                unavailable=unavailable_accounts(services.settings),
            )
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    services.outgoing_wakeup.set()
    return json_response(
        {**outgoing_json(queued.message), "duplicate": queued.duplicate}, status=202
    )


@require_manager
async def list_messages(request: web.Request) -> web.StreamResponse:
    """The record's messages both ways, newest last; `before` pages back to older ones."""
    entity, entity_id = _record(request)
    limit, before = query_limit(request), query_id(request, "before")
    manager = current_manager(request)
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            entries = await conversation_page(uow, manager, entity, entity_id, limit + 1, before)
    except DomainError as err:
        return error_response(err.status, error_code(err), err.message, field=err.field)
    more = len(entries) > limit
    page = entries[1:] if more else entries
    return json_response(
        {
            "items": [entry_json(e) for e in page],
            "next_before": page[0].activity_id if more else None,
        }
    )


def outgoing_json(message: OutgoingMessage) -> dict[str, Any]:
    """The public JSON shape of a queued outgoing message."""
    return {
        "id": message.id,
        "activity_id": message.activity_id,
        "channel": message.channel,
        "state": message.state.value,
        "error": message.last_error,
        "error_ru": explain_error(message.channel, message.state, message.last_error),
        "attempts": message.attempts,
        "created_at": message.created_at.isoformat(),
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
    }


def entry_json(entry: ConversationEntry) -> dict[str, Any]:
    """The public JSON shape of one message of a conversation."""
    out = entry.outgoing
    return {
        "activity_id": entry.activity_id,
        "direction": "in" if entry.incoming else "out",
        "channel": entry.channel,
        "text": entry.text,
        "at": entry.at.isoformat(),
        "manager_id": entry.manager_id,
        "message_id": out.id if out else None,
        "state": out.state.value if out else None,
        "error": out.last_error if out else None,
        "error_ru": explain_error(out.channel, out.state, out.last_error) if out else None,
        "sent_at": out.sent_at.isoformat() if out and out.sent_at else None,
    }


def _record(request: web.Request) -> tuple[RecordKind, int]:
    raw = request.match_info["entity"]
    allowed = [r.value for r in CONVERSATION_RECORDS]
    if raw not in allowed:
        raise BadPath("entity", "one of: " + ", ".join(allowed))
    return RecordKind(raw), required_path_id(request, "entity_id")


def _idempotency_key(request: web.Request, manager_id: int) -> str:
    """The client's Idempotency-Key (scoped to the manager), or a fresh one."""
    given = request.headers.get(IDEMPOTENCY_HEADER)
    if given is None:
        return f"api:{uuid.uuid4().hex}"
    given = given.strip()
    if not given or len(given) > MAX_KEY_CHARS or not given.isprintable():
        raise BadBody(IDEMPOTENCY_HEADER, f"1 to {MAX_KEY_CHARS} printable characters")
    return f"api:{manager_id}:{given}"
