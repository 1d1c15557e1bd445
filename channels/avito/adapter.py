"""Avito Messenger webhook v3 request (exact JSON) → an InboundEvent or a reason to ignore it.

The body (Messenger API, webhook v3):
`{"id", "version", "timestamp", "payload": {"type": "message", "value": {"id", "chat_id",
"user_id" (our account), "author_id" (who wrote), "created", "type", "chat_type",
"content": {"text"}, "item_id", "published_at"}}}`.
Only the fields read here are checked, so a field Avito adds later is no reason to refuse an
event (a refusal makes Avito retry, then give up).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from channels.avito.const import (
    ACCOUNT_PARAM,
    CHANNEL,
    IDENTITY_KIND,
    IGNORED_EVENT_TYPE,
    IGNORED_OWN_MESSAGE,
    IGNORED_SYSTEM,
    MESSAGE_EVENT,
    SYSTEM_MESSAGE,
    TEXT_TYPES,
    TOKEN_PARAM,
)
from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.model import EventKind, InboundEvent, PersonDetails
from channels.webhook import Accepted, Ignored, UnknownSource, WebhookRequest

Json = Mapping[str, Any]
# 9999-12-31: later times are not dates a message was sent.
MAX_UNIX_TIME = 253_402_300_800


@dataclass(frozen=True, slots=True)
class AvitoAccount:
    """An Avito account whose chats become leads; `name` is the leads' `source`."""

    name: str
    user_id: int
    webhook_secret: str = field(repr=False)
    queue: str | None = None
    pipeline: str | None = None


def receive(request: WebhookRequest, accounts: tuple[AvitoAccount, ...]) -> Accepted | Ignored:
    """Authenticate and map one webhook request for the account the URL names."""
    name = request.path.get(ACCOUNT_PARAM, "")
    account = next((a for a in accounts if a.name == name), None)
    if account is None:
        raise UnknownSource(ACCOUNT_PARAM, f"no Avito account named {name!r} is configured")
    check_token(account, request.query.get(TOKEN_PARAM))
    return parse_webhook(account, decode_body(request.body), received_at=request.received_at)


def check_token(account: AvitoAccount, offered: str | None) -> None:
    """Avito does not sign webhooks: the URL's token must be the account's secret."""
    if offered is None or not hmac.compare_digest(
        offered.encode(), account.webhook_secret.encode()
    ):
        raise ChannelAuthFailed("missing or wrong token")


def decode_body(body: bytes) -> dict[str, Any]:
    """The JSON object Avito posts; anything else is a MalformedBody."""
    try:
        data = json.loads(body.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as err:
        raise MalformedBody("body is not valid UTF-8") from err
    except json.JSONDecodeError as err:
        raise MalformedBody(f"malformed JSON: {err.msg} at line {err.lineno}") from err
    except RecursionError as err:
        raise MalformedBody("malformed JSON: nested too deeply") from err
    if not isinstance(data, dict):
        raise MalformedBody("JSON body must be an object (an Avito webhook event)")
    return data


def parse_webhook(
    account: AvitoAccount, body: Json, *, received_at: datetime
) -> Accepted | Ignored:
    """Map a decoded webhook body: a message from a person, or a reason to ignore it."""
    payload = _object(body, "payload", "payload")
    event_type = _text(payload, "type", "payload.type")
    if event_type != MESSAGE_EVENT:
        return Ignored(IGNORED_EVENT_TYPE, {"type": event_type})
    value = _object(payload, "value", "payload.value")
    message_id = _text(value, "id", "payload.value.id")
    user_id = _integer(value, "user_id", "payload.value.user_id")
    if user_id != account.user_id:
        raise InvalidSubmission(
            "payload.value.user_id",
            f"the message is for Avito user {user_id}, the account is {account.user_id}",
        )
    message_type = _text(value, "type", "payload.value.type")
    detail = {"message_id": message_id, "type": message_type}
    if message_type == SYSTEM_MESSAGE:
        return Ignored(IGNORED_SYSTEM, detail)
    author_id = _integer(value, "author_id", "payload.value.author_id")
    # Our own manager's reply (from Avito's app or the API), or a notice with no author.
    if author_id == user_id or author_id <= 0:
        return Ignored(IGNORED_OWN_MESSAGE, detail)
    chat_id = _text(value, "chat_id", "payload.value.chat_id")
    meta = {"chat_id": chat_id, "message_id": message_id, "message_type": message_type}
    if chat_type := _optional_text(value, "chat_type"):
        meta["chat_type"] = chat_type
    item_id = value.get("item_id")
    if isinstance(item_id, int | str) and not isinstance(item_id, bool) and str(item_id):
        meta["item_id"] = str(item_id)
    if sent_at := _timestamp(value.get("created")):
        meta["sent_at"] = sent_at
    if event_id := _optional_text(body, "id"):
        meta["event_id"] = event_id
    content = value.get("content")
    text = _optional_text(content, "text") if isinstance(content, Mapping) else None
    event = InboundEvent(
        channel=CHANNEL,
        source=account.name,
        external_id=f"{account.name}:{message_id}",
        received_at=received_at,
        person=PersonDetails(messenger_ids={IDENTITY_KIND: str(author_id)}),
        comment=text if message_type in TEXT_TYPES else text or f"[{message_type}]",
        meta=meta,
        kind=EventKind.MESSAGE,
    )
    return Accepted(event, {"update": dict(body)})


def _object(data: Json, key: str, where: str) -> Json:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise InvalidSubmission(where, f"{where} is required and must be an object")
    return value


def _integer(data: Json, key: str, where: str) -> int:
    value = data.get(key)
    # Avito sends ids as numbers; a numeric string is taken too.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
        raise InvalidSubmission(where, f"{where} is required and must be an integer")
    return value


def _timestamp(value: object) -> str | None:
    """A Unix time as ISO 8601; anything out of range is left out rather than refused."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < MAX_UNIX_TIME:
        return None
    return datetime.fromtimestamp(value, UTC).isoformat()


def _optional_text(data: Json, key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _text(data: Json, key: str, where: str) -> str:
    value = _optional_text(data, key)
    if value is None:
        raise InvalidSubmission(where, f"{where} is required and must be a non-empty string")
    return value
