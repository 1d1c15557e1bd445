"""Mango Office VPBX event (form fields `vpbx_api_key`, `sign`, `json`) → a CallEvent or a reason.

Mango signs every event with `sign = sha256_hex(vpbx_api_key + json + vpbx_api_salt)` over the
`json` field exactly as sent, so the signature is checked on that raw string before it is
parsed. One call is one `entry_id` (used as the call id); `call_id` names a leg of it (each
extension that rings is a leg), so the key of an events/call event is the leg and its `seq`.
Plain dict access: a field Mango adds later is no reason to refuse an event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.telephony.mango.const import (
    CALL_DIRECTIONS,
    CALL_STATES,
    ENTRY_RESULT_ANSWERED,
    EVENT_CALL,
    EVENT_KINDS,
    EVENT_SUMMARY,
    IGNORED_RECORDING_NOT_READY,
    IGNORED_UNKNOWN_KIND,
    IGNORED_UNKNOWN_STATE,
    PROVIDER,
    RECORDING_COMPLETED,
)
from channels.telephony.model import CallDirection, CallEvent, CallOutcome, CallStage
from channels.telephony.wire import (
    AcceptedCall,
    HookResult,
    IgnoredCall,
    decode_form,
    optional_int,
    optional_text,
    required_text,
    unix_time,
)

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class MangoCredentials:
    """The VPBX's API key (unique code) and salt (signing key) from the Mango account."""

    api_key: str = field(repr=False)
    api_salt: str = field(repr=False)


def sign(api_key: str, json_text: str, api_salt: str) -> str:
    """Mango's signature: lowercase hex SHA-256 of key + json + salt."""
    return hashlib.sha256(f"{api_key}{json_text}{api_salt}".encode()).hexdigest()


def parse_event(kind: str, body: bytes, credentials: MangoCredentials) -> HookResult:
    """Authenticate and map one events/<kind> request (every Mango event carries its time)."""
    form = decode_form(body)
    json_text = form.get("json")
    if json_text is None:
        raise InvalidSubmission("json", "the json form field is required")
    _check_sign(credentials, form, json_text)
    if kind not in EVENT_KINDS:
        return IgnoredCall(kind, IGNORED_UNKNOWN_KIND)
    data = _decode_json(json_text)
    payload = {"kind": kind, "event": data}
    if kind == EVENT_CALL:
        mapped = _call(data)
    elif kind == EVENT_SUMMARY:
        mapped = _summary(data)
    else:
        mapped = _recording(data)
    if isinstance(mapped, str):
        return IgnoredCall(kind, mapped)
    return AcceptedCall(call=mapped, payload=payload)


def _check_sign(credentials: MangoCredentials, form: Mapping[str, str], json_text: str) -> None:
    key = form.get("vpbx_api_key", "")
    offered = form.get("sign", "")
    if not hmac.compare_digest(key.encode(), credentials.api_key.encode()):
        raise ChannelAuthFailed("missing or wrong vpbx_api_key")
    expected = sign(credentials.api_key, json_text, credentials.api_salt)
    # Lowercased: the hex digest's case carries no information.
    if not hmac.compare_digest(offered.strip().lower().encode(), expected.encode()):
        raise ChannelAuthFailed("missing or wrong sign")


def _decode_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise MalformedBody(f"malformed json field: {err.msg} at char {err.pos}") from err
    except RecursionError as err:
        raise MalformedBody("malformed json field: nested too deeply") from err
    except ValueError as err:  # an integer literal of thousands of digits
        raise MalformedBody(f"malformed json field: {err}") from err
    if not isinstance(data, dict):
        raise MalformedBody("the json field must be a JSON object")
    return data


def _call(data: Json) -> CallEvent | str:
    """events/call: one leg changed state (Appeared, Connected, OnHold, Disconnected)."""
    entry_id = required_text(data.get("entry_id"), "entry_id")
    leg = required_text(data.get("call_id"), "call_id")
    seq = optional_int(data.get("seq"), "seq")
    if seq is None:
        raise InvalidSubmission("seq", "seq is required: the event's number within the call")
    stage = CALL_STATES.get(required_text(data.get("call_state"), "call_state"))
    if stage is None:
        return IGNORED_UNKNOWN_STATE
    at = unix_time(data.get("timestamp"), "timestamp")
    source, target = _party(data, "from"), _party(data, "to")
    direction = _leg_direction(source, target)
    return CallEvent(
        provider=PROVIDER,
        call_id=entry_id,
        event_key=f"call:{leg}:{seq}",
        stage=stage,
        at=at,
        direction=direction,
        seq=seq,
        caller=optional_text(source.get("number"), "from.number"),
        callee=optional_text(target.get("number"), "to.number"),
        line=optional_text(target.get("line_number"), "to.line_number"),
        extension=_extension(direction, source, target),
        started_at=at if stage is CallStage.APPEARED else None,
        answered_at=at if stage is CallStage.ANSWERED else None,
        ended_at=at if stage is CallStage.ENDED else None,
        disconnect_reason=optional_text(data.get("disconnect_reason"), "disconnect_reason"),
    )


def _summary(data: Json) -> CallEvent:
    """events/summary: the final verdict on the whole call (entry)."""
    entry_id = required_text(data.get("entry_id"), "entry_id")
    created = unix_time(data.get("create_time"), "create_time")
    ended = unix_time(data.get("end_time"), "end_time")
    # talk_time is the moment the talk began, 0 when nobody answered.
    talk_start = optional_int(data.get("talk_time"), "talk_time") or 0
    answered_at = unix_time(talk_start, "talk_time") if talk_start else None
    entry_result = optional_int(data.get("entry_result"), "entry_result")
    answered = answered_at is not None or entry_result == ENTRY_RESULT_ANSWERED
    code = optional_int(data.get("call_direction"), "call_direction")
    direction = CALL_DIRECTIONS.get(code) if code is not None else None
    source, target = _party(data, "from"), _party(data, "to")
    return CallEvent(
        provider=PROVIDER,
        call_id=entry_id,
        event_key="summary",
        stage=CallStage.SUMMARY,
        at=ended,
        direction=direction,
        caller=optional_text(source.get("number"), "from.number"),
        callee=optional_text(target.get("number"), "to.number"),
        line=optional_text(data.get("line_number"), "line_number"),
        extension=_extension(direction, source, target),
        outcome=CallOutcome.ANSWERED if answered else CallOutcome.MISSED,
        started_at=created,
        answered_at=answered_at,
        ended_at=ended,
        duration_seconds=_seconds(created, ended),
        talk_seconds=_seconds(answered_at, ended) if answered_at else 0,
        disconnect_reason=optional_text(data.get("disconnect_reason"), "disconnect_reason"),
    )


def _recording(data: Json) -> CallEvent | str:
    """events/recording: only a Completed recording is stored (it can be downloaded)."""
    recording_id = required_text(data.get("recording_id"), "recording_id")
    state = required_text(data.get("recording_state"), "recording_state")
    if state != RECORDING_COMPLETED:
        return IGNORED_RECORDING_NOT_READY
    return CallEvent(
        provider=PROVIDER,
        call_id=required_text(data.get("entry_id"), "entry_id"),
        event_key=f"recording:{recording_id}",
        stage=CallStage.RECORDING,
        at=unix_time(data.get("timestamp"), "timestamp"),
        seq=optional_int(data.get("seq"), "seq"),
        extension=optional_text(data.get("extension"), "extension"),
        recording_ref=recording_id,
    )


def _party(data: Json, key: str) -> Json:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidSubmission(key, f"{key} must be an object with number and extension")
    return value


def _leg_direction(source: Json, target: Json) -> CallDirection:
    """events/call names no direction: an employee (extension) dialling out, or not."""
    if optional_text(source.get("extension"), "from.extension") is None:
        return CallDirection.INBOUND
    if optional_text(target.get("extension"), "to.extension") is not None:
        return CallDirection.INTERNAL
    return CallDirection.OUTBOUND


def _extension(direction: CallDirection | None, source: Json, target: Json) -> str | None:
    """The employee's extension: who dialled out, else who was rung."""
    if direction is CallDirection.OUTBOUND:
        return optional_text(source.get("extension"), "from.extension")
    return optional_text(target.get("extension"), "to.extension")


def _seconds(start: datetime | None, end: datetime) -> int:
    if start is None:
        return 0
    return max(0, int((end - start).total_seconds()))
