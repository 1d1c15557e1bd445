"""Conversations with the client over HTTP: send a reply, read the messages both ways.

`POST /api/v1/conversations/{entity}/{entity_id}/messages` queues a manager's message to the
client (202: stored, the replies dispatcher sends it): a JSON body, or multipart/form-data
with the same fields and a file part `attachments` (up to 20 MB, sent as a document). `GET`
pages through the record's messages, newest last, outgoing ones with their delivery state,
each with its files; `GET .../attachments/{attachment}` downloads one (a client's file is
fetched from the platform then, never stored up front).
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from crm_core.attachments import received_file_token, sent_file_token
from crm_core.errors import DomainError
from crm_core.replies import ATTACHMENTS_FIELD, CONVERSATION_RECORDS, conversation_page, send_reply
from crm_core.replies_model import ConversationEntry, NewAttachment, OutgoingMessage
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
from intake.http.downloads import attachment_response
from intake.http.errors import error_code, error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.http.uploads import form_files, is_upload
from intake.replies.reasons import explain_error
from intake.replies.wiring import unavailable_accounts

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 200


@require_manager
async def send_message(request: web.Request) -> web.StreamResponse:
    """Queue a message to the client in `channel` (default: the one the client used last)."""
    entity, entity_id = _record(request)
    files: list[NewAttachment] = []
    if is_upload(request):
        form = await request.post()
        files = form_files(form)
        body: dict[str, Any] = {k: form[k] for k in ("text", "channel") if k in form}
        if not all(isinstance(v, str) for v in body.values()):
            raise BadBody("text", "text and channel are form fields, not files")
        body["text"] = body.get("text", "")
    else:
        body = await json_body(request)
        if ATTACHMENTS_FIELD in body:
            raise BadBody(
                ATTACHMENTS_FIELD,
                "files are sent as multipart/form-data parts named attachments",
            )
    channel = body.get("channel")
    if channel == "":
        channel = None
    if channel is not None and not isinstance(channel, str):
        raise BadBody("channel", "must be a string")
    text = body.get("text")
    if not isinstance(text, str):
        raise BadBody("text", "required, a string")
    manager = current_manager(request)
    key = idempotency_key(request, manager.id)
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
                attachments=files,
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
            "items": [entry_json(e, _conversation_path(entity, entity_id)) for e in page],
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
        "attachments": [
            {
                "id": sent_file_token(message, i),
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
            }
            for i, a in enumerate(message.attachments)
        ],
    }


def entry_json(entry: ConversationEntry, base: str = "") -> dict[str, Any]:
    """The public JSON shape of one message of a conversation; `base` is the record's
    conversation path, which file URLs start with."""
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
        "attachments": [{**f, "url": f"{base}/attachments/{f['id']}"} for f in entry_files(entry)],
    }


def entry_files(entry: ConversationEntry) -> list[dict[str, Any]]:
    """A message's files: id (the download's token), name, content type and size."""
    if entry.outgoing is not None:
        return [
            {
                "id": sent_file_token(entry.outgoing, i),
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
            }
            for i, a in enumerate(entry.outgoing.attachments)
        ]
    return [
        {
            "id": received_file_token(entry.activity_id, i),
            "name": f.name,
            "content_type": f.content_type,
            "size": f.size,
        }
        for i, f in enumerate(entry.files)
    ]


@require_manager
async def download_attachment(request: web.Request) -> web.StreamResponse:
    """One file of the record's conversation: the manager's from storage, the client's
    fetched from the platform now."""
    entity, entity_id = _record(request)
    return await attachment_response(
        request, current_manager(request), entity, entity_id, request.match_info["attachment"]
    )


def _conversation_path(entity: RecordKind, entity_id: int) -> str:
    return f"/api/v1/conversations/{entity.value}/{entity_id}"


def _record(request: web.Request) -> tuple[RecordKind, int]:
    raw = request.match_info["entity"]
    allowed = [r.value for r in CONVERSATION_RECORDS]
    if raw not in allowed:
        raise BadPath("entity", "one of: " + ", ".join(allowed))
    return RecordKind(raw), required_path_id(request, "entity_id")


def idempotency_key(request: web.Request, manager_id: int) -> str:
    """The client's Idempotency-Key (scoped to the manager), or a fresh one."""
    given = request.headers.get(IDEMPOTENCY_HEADER)
    if given is None:
        return f"api:{uuid.uuid4().hex}"
    given = given.strip()
    if not given or len(given) > MAX_KEY_CHARS or not given.isprintable():
        raise BadBody(IDEMPOTENCY_HEADER, f"1 to {MAX_KEY_CHARS} printable characters")
    return f"api:{manager_id}:{given}"
