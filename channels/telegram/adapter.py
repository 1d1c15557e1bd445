"""Telegram Bot API update (exact webhook JSON) → InboundEvent, or a reason to ignore it.

Plain dict access rather than aiogram's models: the HTTP app imports this module and must
start fast, and only the few fields read here are checked (a field Telegram adds later is
no reason to refuse an update).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.files import ListedFile, files_meta
from channels.model import Attribution, EventKind, InboundEvent, PersonDetails
from channels.telegram.const import (
    ATTACHMENT_KINDS,
    CHANNEL,
    IGNORED_BOT_SENDER,
    IGNORED_KIND,
    IGNORED_NO_CONTENT,
    IGNORED_NOT_PRIVATE,
    LEAD_UPDATE_KIND,
    PRIVATE_CHAT,
    START_COMMAND,
    START_PAYLOAD_UTM,
)

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AcceptedUpdate:
    """An update that becomes a lead: the event to persist."""

    event: InboundEvent


@dataclass(frozen=True, slots=True)
class IgnoredUpdate:
    """An update acknowledged without storing anything, and why (see const.IGNORED_*)."""

    update_id: int
    kind: str
    reason: str


UpdateOutcome = AcceptedUpdate | IgnoredUpdate


def check_secret(expected: str | None, offered: str | None) -> None:
    """Compare the secret-token header in constant time; no secret configured passes all."""
    if expected is None:
        return
    # aiohttp keeps undecodable header bytes as surrogates: compare those bytes, never crash.
    given = (offered or "").encode("utf-8", "surrogateescape")
    if offered is None or not hmac.compare_digest(given, expected.encode()):
        raise ChannelAuthFailed("missing or wrong X-Telegram-Bot-Api-Secret-Token")


def decode_update(body: bytes) -> dict[str, Any]:
    """The JSON object of one update (Telegram always sends UTF-8 JSON)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise MalformedBody("body is not valid UTF-8") from err
    except json.JSONDecodeError as err:
        raise MalformedBody(f"malformed JSON: {err.msg} at line {err.lineno}") from err
    except RecursionError as err:
        raise MalformedBody("malformed JSON: nested too deeply") from err
    if not isinstance(data, dict):
        raise MalformedBody("a Telegram Update must be a JSON object")
    return data


def parse_update(bot_name: str, update: Json, *, received_at: datetime) -> UpdateOutcome:
    """Map one update of a bot: a private message from a person becomes a lead."""
    update_id = _int(update, "update_id", "update_id")
    kind = next((k for k in update if k != "update_id"), "")
    if LEAD_UPDATE_KIND not in update:
        return IgnoredUpdate(update_id, kind, IGNORED_KIND)
    message = _object(update, LEAD_UPDATE_KIND, LEAD_UPDATE_KIND)
    return _from_message(bot_name, update_id, message, received_at)


def _from_message(
    bot_name: str, update_id: int, message: Json, received_at: datetime
) -> UpdateOutcome:
    message_id = _int(message, "message_id", "message.message_id")
    date = _int(message, "date", "message.date")
    chat = _object(message, "chat", "message.chat")
    if _required_str(chat, "type", "message.chat.type") != PRIVATE_CHAT:
        return IgnoredUpdate(update_id, LEAD_UPDATE_KIND, IGNORED_NOT_PRIVATE)
    sender = _object(message, "from", "message.from")
    sender_id = _int(sender, "id", "message.from.id")
    if _bool(sender, "is_bot", "message.from.is_bot"):
        return IgnoredUpdate(update_id, LEAD_UPDATE_KIND, IGNORED_BOT_SENDER)

    text = _str(message, "text", "message.text")
    caption = _str(message, "caption", "message.caption")
    contact = _optional_object(message, "contact", "message.contact")
    attachments = _attachments(message)
    if not (text or caption or contact is not None or attachments):
        return IgnoredUpdate(update_id, LEAD_UPDATE_KIND, IGNORED_NO_CONTENT)

    start_payload = _start_payload(text)
    meta = {
        "update_id": str(update_id),
        "message_id": str(message_id),
        "message_date": _unix_time(date, "message.date"),
        **attachments,
    }
    if language := _str(sender, "language_code", "message.from.language_code"):
        meta["language_code"] = language
    if "forward_origin" in message or "forward_date" in message:
        meta["forwarded"] = "true"
    if start_payload is not None:
        meta["command"] = "start"
        if start_payload:
            meta["start_payload"] = start_payload

    phone: str | None = None
    fields: dict[str, str] = {}
    if contact is not None:
        phone, fields = _contact(contact, sender_id)
        if phone is not None:
            meta["phone_verified"] = "true"

    first_name = _required_str(sender, "first_name", "message.from.first_name")
    last_name = _str(sender, "last_name", "message.from.last_name")
    username = _str(sender, "username", "message.from.username")
    messenger_ids = {"telegram_id": str(sender_id)}
    if username:
        messenger_ids["telegram_username"] = username
    event = InboundEvent(
        channel=CHANNEL,
        source=bot_name,
        external_id=f"{bot_name}:{update_id}",
        received_at=received_at,
        person=PersonDetails(
            # Telegram shows "first last"; the parts are free text, kept as the person typed.
            name=" ".join(p for p in (first_name, last_name) if p) or None,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            messenger_ids=messenger_ids,
        ),
        # The /start command line is not something the person wrote to us.
        comment=None if start_payload is not None else (text or caption),
        attribution=Attribution(
            utm={START_PAYLOAD_UTM: start_payload} if start_payload else {},
        ),
        fields=fields,
        meta=meta,
        kind=EventKind.MESSAGE,
    )
    return AcceptedUpdate(event)


def _start_payload(text: str | None) -> str | None:
    """The deep-link payload of `/start abc` ("abc"; "" for a bare /start), else None."""
    if not text:
        return None
    command, _, rest = text.strip().partition(" ")
    # "/start@SomeBot" is how the command is written when a client names the bot.
    if command.partition("@")[0] != START_COMMAND:
        return None
    return rest.strip()


def _contact(contact: Json, sender_id: int) -> tuple[str | None, dict[str, str]]:
    """The sender's own verified phone, or someone else's contact kept as fields."""
    number = _required_str(contact, "phone_number", "message.contact.phone_number")
    user_id = _optional_int(contact, "user_id", "message.contact.user_id")
    if user_id == sender_id:
        # Telegram's number is always international but often sent without the plus.
        return number if number.startswith("+") else f"+{number}", {}
    fields = {"contact_phone": number}
    for key in ("first_name", "last_name"):
        if value := _str(contact, key, f"message.contact.{key}"):
            fields[f"contact_{key}"] = value
    if user_id is not None:
        fields["contact_user_id"] = str(user_id)
    return None, fields


# What a file is called and typed when Telegram names neither (photos and voice never do).
DEFAULT_FILES = {
    "photo": ("photo.jpg", "image/jpeg"),
    "document": ("document", "application/octet-stream"),
    "video": ("video.mp4", "video/mp4"),
    "voice": ("voice.ogg", "audio/ogg"),
    "audio": ("audio.mp3", "audio/mpeg"),
    "video_note": ("video_note.mp4", "video/mp4"),
}


def _attachments(message: Json) -> dict[str, str]:
    """`attachments` plus each attachment's file_id, and the files listed by reference for
    downloads (`files`: they are never downloaded on arrival)."""
    meta: dict[str, str] = {}
    kinds = []
    listed: list[ListedFile] = []
    for kind in ATTACHMENT_KINDS:
        if kind not in message:
            continue
        path = f"message.{kind}"
        if kind == "photo":
            # One photo arrives as several sizes, smallest first: keep the largest.
            sizes = message[kind]
            if not isinstance(sizes, list) or not sizes or not isinstance(sizes[-1], Mapping):
                raise InvalidSubmission(path, f"{path} must be a non-empty array of PhotoSize")
            media: Json = sizes[-1]
        else:
            media = _object(message, kind, path)
        file_id = _required_str(media, "file_id", f"{path}.file_id")
        meta[f"{kind}_file_id"] = file_id
        for extra in ("file_name", "mime_type"):
            if value := _str(media, extra, f"{path}.{extra}"):
                meta[f"{kind}_{extra}"] = value
        size = media.get("file_size")
        name, content_type = DEFAULT_FILES[kind]
        listed.append(
            ListedFile(
                meta.get(f"{kind}_file_name", name),
                meta.get(f"{kind}_mime_type", content_type),
                size if isinstance(size, int) and not isinstance(size, bool) else None,
                file_id,
            )
        )
        kinds.append(kind)
    if kinds:
        meta["attachments"] = ",".join(kinds)
    return {**meta, **files_meta(listed)}


def _unix_time(value: int, path: str) -> str:
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError) as err:
        raise InvalidSubmission(path, f"{path} is not a Unix time") from err


def _object(data: Json, key: str, path: str) -> Json:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise InvalidSubmission(path, f"{path} must be an object")
    return value


def _optional_object(data: Json, key: str, path: str) -> Json | None:
    return None if data.get(key) is None else _object(data, key, path)


def _int(data: Json, key: str, path: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidSubmission(path, f"{path} must be an integer")
    return value


def _optional_int(data: Json, key: str, path: str) -> int | None:
    return None if data.get(key) is None else _int(data, key, path)


def _bool(data: Json, key: str, path: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise InvalidSubmission(path, f"{path} must be true or false")
    return value


def _str(data: Json, key: str, path: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidSubmission(path, f"{path} must be a string")
    return value


def _required_str(data: Json, key: str, path: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidSubmission(path, f"{path} must be a non-empty string")
    return value
