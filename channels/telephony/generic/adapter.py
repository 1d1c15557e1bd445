"""Generic signed call webhook (JSON body, schema.json) → a CallEvent.

Authentication first, parsing after: `X-LeadIntake-Signature` must be the lowercase hex
HMAC-SHA256, keyed with the source's secret, of `X-LeadIntake-Timestamp + "." + raw body`;
then the timestamp must lie within MAX_SKEW of our clock, so a captured request cannot be
replayed later. The `id` is the event's idempotency key (its event_key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, TypeVar

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.telephony.generic.const import (
    COUNT_FIELDS,
    DIRECTIONS,
    EVENTS,
    MAX_ID_LENGTH,
    MAX_SKEW,
    OUTCOMES,
    SCHEMA_FILE,
    SIGNATURE_HEADER,
    TEXT_FIELDS,
    TIME_FIELDS,
    TIMESTAMP_HEADER,
)
from channels.telephony.model import CallEvent
from channels.telephony.wire import AcceptedCall

Json = Mapping[str, Any]
MAX_COUNT = 10**18  # durations and sequence numbers; far larger is garbage
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class GenericSource:
    """One configured sender: its name (the provider of its calls) and signing secret."""

    name: str
    secret: str = field(repr=False)


class MissingTimestamp(ChannelAuthFailed):
    """The timestamp header is absent or not unix seconds: nothing to verify against."""


class StaleTimestamp(ChannelAuthFailed):
    """The signature is right but the timestamp is outside the window: a replay."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of `timestamp + "." + body`."""
    signed = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def body_schema() -> dict[str, Any]:
    """The JSON schema of the body (schema.json, shipped with the package)."""
    text = resources.files("channels.telephony.generic").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def parse_event(
    source: GenericSource,
    body: bytes,
    timestamp: str | None,
    offered: str | None,
    *,
    now: datetime,
) -> AcceptedCall:
    """Authenticate (signature, then replay window) and map one request."""
    sent_at = _check_signature(source, body, timestamp, offered)
    # Compared as numbers: a signed but absurd timestamp must not overflow a datetime.
    if abs(now.timestamp() - sent_at) > MAX_SKEW.total_seconds():
        raise StaleTimestamp(
            f"{TIMESTAMP_HEADER} {sent_at} is more than {int(MAX_SKEW.total_seconds())}"
            " seconds from now: a replayed or delayed request"
        )
    data = _decode(body)
    return AcceptedCall(
        call=_call(source.name, data), payload={"source": source.name, "body": data}
    )


def _check_signature(
    source: GenericSource, body: bytes, timestamp: str | None, offered: str | None
) -> int:
    raw = (timestamp or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise MissingTimestamp(f"{TIMESTAMP_HEADER} is required: unix time in seconds")
    expected = signature(source.secret, raw, body)
    if not hmac.compare_digest((offered or "").strip().lower().encode(), expected.encode()):
        raise ChannelAuthFailed(f"missing or wrong {SIGNATURE_HEADER}")
    return int(raw)


def _decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise MalformedBody("body is not valid UTF-8") from err
    except json.JSONDecodeError as err:
        raise MalformedBody(f"malformed JSON: {err.msg} at char {err.pos}") from err
    except RecursionError as err:
        raise MalformedBody("malformed JSON: nested too deeply") from err
    except ValueError as err:  # an integer literal of thousands of digits
        raise MalformedBody(f"malformed JSON: {err}") from err
    if not isinstance(data, dict):
        raise MalformedBody("the body must be a JSON object (one call event)")
    return data


def _call(provider: str, data: Json) -> CallEvent:
    event = _required(data, "id")
    call_id = _required(data, "call_id")
    if ":" in call_id:
        # The inbox key is call_id:id; a colon in the call id could make two events one.
        raise InvalidSubmission("call_id", "call_id must not contain ':'")
    stage = EVENTS.get(_required(data, "event"))
    if stage is None:
        raise InvalidSubmission("event", f"event must be one of {', '.join(EVENTS)}")
    text = {name: _text(data, name) for name in TEXT_FIELDS}
    times = {name: _time(data, name) for name in TIME_FIELDS}
    counts = {name: _count(data, name) for name in COUNT_FIELDS}
    return CallEvent(
        provider=provider,
        call_id=call_id,
        event_key=event,
        stage=stage,
        at=_required_time(data, "at"),
        direction=_choice(data, "direction", DIRECTIONS),
        seq=counts["seq"],
        caller=text["caller"],
        callee=text["callee"],
        line=text["line"],
        extension=text["extension"],
        outcome=_choice(data, "outcome", OUTCOMES),
        started_at=times["started_at"],
        answered_at=times["answered_at"],
        ended_at=times["ended_at"],
        duration_seconds=counts["duration_seconds"],
        talk_seconds=counts["talk_seconds"],
        recording_ref=text["recording_url"],
    )


def _required(data: Json, name: str) -> str:
    value = _text(data, name)
    if value is None:
        raise InvalidSubmission(name, f"{name} is required and must be a non-empty string")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidSubmission(name, f"{name} is longer than {MAX_ID_LENGTH} characters")
    return value


def _text(data: Json, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidSubmission(name, f"{name} must be a string, got {type(value).__name__}")
    return value.strip() or None


def _choice(data: Json, name: str, allowed: Mapping[str, T]) -> T | None:
    value = _text(data, name)
    if value is None:
        return None
    if value not in allowed:
        raise InvalidSubmission(name, f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return allowed[value]


def _required_time(data: Json, name: str) -> datetime:
    value = _time(data, name)
    if value is None:
        raise InvalidSubmission(name, f"{name} is required: ISO 8601 with a UTC offset")
    return value


def _time(data: Json, name: str) -> datetime | None:
    value = _text(data, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise InvalidSubmission(
            name, f"{name} must be ISO 8601 like 2026-03-14T12:30:05+03:00, got {value!r}"
        ) from err
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidSubmission(name, f"{name} must carry a UTC offset, got {value!r}")
    return moment


def _count(data: Json, name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_COUNT:
        raise InvalidSubmission(name, f"{name} must be a non-negative integer, got {value!r}")
    return value
