"""VK Callback API request (exact JSON) → a confirmation, an InboundEvent, or a reason to ignore.

Plain dict access rather than an SDK's models: only the few fields read here are checked, so a
field VK adds later is no reason to refuse an event (and refusing makes VK retry, then give up
on the server).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.files import ListedFile, files_meta
from channels.model import EventKind, InboundEvent, PersonDetails
from channels.vk.const import (
    ACKNOWLEDGED_TYPES,
    CHANNEL,
    CHAT_PEER_ID_BASE,
    CONFIRMATION,
    IGNORED_FROM_COMMUNITY,
    IGNORED_GROUP_CHAT,
    IGNORED_NOT_A_LEAD,
    IGNORED_UNKNOWN_TYPE,
    LEAD_EVENT_TYPES,
    MESSAGE_NEW,
    PERSON_ANSWER_KEYS,
)

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class VkGroupSpec:
    """One configured community as the adapter needs it: id, confirmation string, secret."""

    group_id: int
    confirmation: str
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ConfirmationRequested:
    """VK checks the server address: answer the confirmation string, store nothing."""

    code: str


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """An event acknowledged with `ok` without storing anything, and why (const.IGNORED_*)."""

    event_type: str
    event_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    """An event that becomes a lead: the event to persist and the update without its secret."""

    event: InboundEvent
    payload: dict[str, Any]


CallbackOutcome = ConfirmationRequested | IgnoredEvent | AcceptedEvent


class WrongGroup(InvalidSubmission):
    """The body names a community other than the one its URL is for."""


def decode_body(body: bytes) -> dict[str, Any]:
    """The JSON object VK posts; anything else is a MalformedBody."""
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise MalformedBody("body is not valid UTF-8") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise MalformedBody(f"malformed JSON: {err.msg} at line {err.lineno}") from err
    except RecursionError as err:
        raise MalformedBody("malformed JSON: nested too deeply") from err
    if not isinstance(data, dict):
        raise MalformedBody("JSON body must be an object (a VK Callback API event)")
    return data


def parse_callback(group: VkGroupSpec, body: bytes, *, received_at: datetime) -> CallbackOutcome:
    """Decode, authenticate and map one Callback API request for a configured community."""
    update = decode_body(body)
    _check_group(group, update)
    _check_secret(group, update)
    event_type = _required_text(update, "type")
    if event_type == CONFIRMATION:
        return ConfirmationRequested(code=group.confirmation)
    if event_type not in LEAD_EVENT_TYPES:
        known = event_type in ACKNOWLEDGED_TYPES
        reason = IGNORED_NOT_A_LEAD if known else IGNORED_UNKNOWN_TYPE
        return IgnoredEvent(event_type, _optional_text(update, "event_id"), reason)
    event_id = _required_text(update, "event_id")
    obj = update.get("object")
    if not isinstance(obj, dict):
        raise InvalidSubmission("object", f"{event_type} without an object")
    meta = {"event_type": event_type, "event_id": event_id}
    if version := _optional_text(update, "v"):
        meta["api_version"] = version
    payload = {k: v for k, v in update.items() if k != "secret"}
    mapped = _message(obj, meta) if event_type == MESSAGE_NEW else _lead_form(obj, meta)
    if isinstance(mapped, str):
        return IgnoredEvent(event_type, event_id, mapped)
    person, comment, fields = mapped
    event = InboundEvent(
        channel=CHANNEL,
        source=str(group.group_id),
        external_id=f"{group.group_id}:{event_id}",
        received_at=received_at,
        person=person,
        comment=comment,
        fields=fields,
        meta=meta,
        kind=EventKind.MESSAGE if event_type == MESSAGE_NEW else EventKind.REQUEST,
    )
    return AcceptedEvent(event=event, payload=payload)


_Mapped = tuple[PersonDetails, str | None, dict[str, str]]


def _check_group(group: VkGroupSpec, update: Json) -> None:
    group_id = _integer(update.get("group_id"))
    if group_id is None:
        raise InvalidSubmission("group_id", "group_id is required: the community's numeric id")
    if group_id != group.group_id:
        raise WrongGroup(
            "group_id", f"the body is for community {group_id}, the URL for {group.group_id}"
        )


def _check_secret(group: VkGroupSpec, update: Json) -> None:
    # VK sends the secret in every request, the confirmation included, once one is set.
    if group.secret is None:
        return
    offered = update.get("secret")
    if not isinstance(offered, str) or not hmac.compare_digest(
        offered.encode(), group.secret.encode()
    ):
        raise ChannelAuthFailed("missing or wrong secret")


def _message(obj: Json, meta: dict[str, str]) -> _Mapped | str:
    """message_new (API ≥ 5.103: {"message", "client_info"}) mapped, or why it is ignored."""
    message = obj.get("message")
    if not isinstance(message, dict):
        raise InvalidSubmission(
            "object.message",
            "message_new without object.message: set API version 5.103 or later"
            " for this server in the community's Callback API settings",
        )
    from_id = _integer(message.get("from_id"))
    if from_id is None or from_id == 0:
        raise InvalidSubmission("object.message.from_id", "the sender's id is required")
    if from_id < 0:
        return IGNORED_FROM_COMMUNITY
    peer_id = _integer(message.get("peer_id"))
    if peer_id is not None and peer_id >= CHAT_PEER_ID_BASE:
        return IGNORED_GROUP_CHAT
    for key in ("id", "conversation_message_id", "peer_id"):
        if (number := _integer(message.get(key))) is not None:
            meta["message_id" if key == "id" else key] = str(number)
    if (date := _integer(message.get("date"))) is not None and date > 0:
        meta["date"] = datetime.fromtimestamp(date, UTC).isoformat()
    if kinds := _attachment_types(message.get("attachments")):
        meta["attachments"] = ", ".join(kinds)
        meta.update(files_meta(_files(message.get("attachments"))))
    # ref / ref_source: the tracking parameters of the link the person came by.
    for key in ("ref", "ref_source"):
        if value := _optional_text(message, key):
            meta[key] = value
    text = message.get("text")
    comment = text.strip() if isinstance(text, str) and text.strip() else None
    return PersonDetails(messenger_ids={"vk_id": str(from_id)}), comment, {}


def _attachment_types(attachments: object) -> list[str]:
    """What was attached (photo, doc, …)."""
    if not isinstance(attachments, list):
        return []
    return [
        a["type"] for a in attachments if isinstance(a, dict) and isinstance(a.get("type"), str)
    ]


def _files(attachments: object) -> list[ListedFile]:
    """The docs and photos of a message by their URLs (downloaded only when asked for)."""
    found: list[ListedFile] = []
    for item in attachments if isinstance(attachments, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        media = item.get(kind) if isinstance(kind, str) else None
        if not isinstance(media, dict):
            continue
        if kind == "doc" and isinstance(media.get("url"), str):
            title = media.get("title")
            ext = media.get("ext")
            name = title if isinstance(title, str) and title.strip() else f"document.{ext}"
            size = _integer(media.get("size"))
            found.append(ListedFile(name, "application/octet-stream", size, media["url"]))
        elif kind == "photo":
            url = _largest_photo(media)
            if url:
                found.append(ListedFile("photo.jpg", "image/jpeg", None, url))
    return found


def _largest_photo(photo: Json) -> str | None:
    """The URL of a photo's largest size (VK lists several)."""
    best: tuple[int, str] | None = None
    for size in photo.get("sizes") or []:
        if not isinstance(size, dict) or not isinstance(size.get("url"), str):
            continue
        area = (_integer(size.get("width")) or 0) * (_integer(size.get("height")) or 0)
        if best is None or area >= best[0]:
            best = (area, size["url"])
    orig = photo.get("orig_photo")
    if isinstance(orig, dict) and isinstance(orig.get("url"), str):
        return str(orig["url"])
    return best[1] if best else None


def _lead_form(obj: Json, meta: dict[str, str]) -> _Mapped:
    """lead_forms_new: lead_id, group_id, user_id, form_id, form_name, ad_id, answers."""
    for name in ("lead_id", "form_id", "ad_id"):
        if (number := _integer(obj.get(name))) is not None and number != 0:
            meta[name] = str(number)
    if form_name := _optional_text(obj, "form_name"):
        meta["form_name"] = form_name
    person_values: dict[str, str] = {}
    fields: dict[str, str] = {}
    for index, answer in enumerate(_answers(obj.get("answers"))):
        key = _optional_text(answer, "key")
        if key is None:
            raise InvalidSubmission(f"object.answers[{index}].key", "every answer needs a key")
        value = _answer_text(answer.get("answer"))
        if not value:
            continue
        target = PERSON_ANSWER_KEYS.get(key)
        if target is not None:
            person_values.setdefault(target, value)
            continue
        fields[key] = f"{fields[key]}, {value}" if key in fields else value
        # Custom questions without a key arrive as custom_0, custom_1…: keep what was asked.
        if question := _optional_text(answer, "question"):
            meta[f"question:{key}"] = question
    user_id = _integer(obj.get("user_id"))
    person = PersonDetails(
        first_name=person_values.get("first_name"),
        last_name=person_values.get("last_name"),
        patronymic=person_values.get("patronymic"),
        phone=person_values.get("phone"),
        email=person_values.get("email"),
        messenger_ids={"vk_id": str(user_id)} if user_id is not None and user_id > 0 else {},
    )
    if not person.reachable():
        raise InvalidSubmission(
            "object.user_id",
            "no way to reach the person: expected object.user_id or a phone_number"
            " or email answer",
        )
    return person, None, fields


def _answers(answers: object) -> list[Json]:
    if answers is None:
        return []
    if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
        raise InvalidSubmission("object.answers", "answers must be a list of objects")
    return answers


def _answer_text(value: object) -> str:
    """An answer as text: a string, or (checkbox questions) a list of {key, value} options."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(t for item in value if (t := _answer_text(item)))
    if isinstance(value, dict):
        return _answer_text(value.get("value"))
    return str(value)


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_text(data: Json, key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _required_text(data: Json, key: str) -> str:
    value = _optional_text(data, key)
    if value is None:
        raise InvalidSubmission(key, f"{key} is required and must be a non-empty string")
    return value
