"""Zadarma/Novofon notification (form fields + `Signature` header) → a CallEvent or a reason.

The header is `base64(hash_hmac('sha1', fields, secret))` as PHP computes it: the base64 of
the lowercase HEX digest (not of the raw digest), over the concatenated values of the
event's signed fields (const.SIGNED_FIELDS). `pbx_call_id` is the call's id across every
notification. Every call event carries `call_start` (the call's start in the account's time
zone, `[telephony.zadarma] timezone`), which dates NOTIFY_START and NOTIFY_OUT_START.

The hang-up (NOTIFY_END, NOTIFY_OUT_END) is dated from the PBX's own fields, never from when
it reached us (a re-sent 2024 call ends in 2024): it ends at `call_start + duration`, and
`duration` is the conversation's length (0 when nobody answered), so an answered call
(inbound or outbound; Zadarma sends NOTIFY_ANSWER for inbound calls only) is answered at
`call_start` and talked `duration` seconds. The PBX sends no time for ringing
(NOTIFY_INTERNAL), answer (NOTIFY_ANSWER) or recording: the moment we receive those, sent as
they happen, stands in for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from channels.errors import ChannelAuthFailed, InvalidSubmission
from channels.telephony.model import CallDirection, CallEvent, CallOutcome, CallStage
from channels.telephony.wire import (
    AcceptedCall,
    HookResult,
    IgnoredCall,
    decode_form,
    optional_int,
    optional_text,
    required_text,
)
from channels.telephony.zadarma.const import (
    CALL_START_FORMAT,
    DISPOSITIONS,
    IGNORED_IVR,
    IGNORED_UNKNOWN_EVENT,
    NOTIFY_ANSWER,
    NOTIFY_INTERNAL,
    NOTIFY_IVR,
    NOTIFY_OUT_END,
    NOTIFY_OUT_START,
    NOTIFY_RECORD,
    NOTIFY_START,
    SIGNED_FIELDS,
)

Form = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ZadarmaSpec:
    """One configured account: provider name, API secret and the zone of `call_start`."""

    provider: str
    secret: str = field(repr=False)
    timezone: str = "Europe/Moscow"


def signature(data: str, secret: str) -> str:
    """PHP's base64_encode(hash_hmac('sha1', $data, $secret)): base64 of the hex digest."""
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def signed_string(event: str, form: Form) -> str:
    """The concatenated values the event's signature covers (absent fields count as "")."""
    return "".join(form.get(name, "") for name in SIGNED_FIELDS[event])


def parse_notification(
    spec: ZadarmaSpec, body: bytes, offered: str | None, *, received_at: datetime
) -> HookResult:
    """Authenticate and map one notification; `offered` is the Signature header."""
    form = decode_form(body)
    event = required_text(form.get("event"), "event")
    if event not in SIGNED_FIELDS:
        return IgnoredCall(event, IGNORED_UNKNOWN_EVENT)
    expected = signature(signed_string(event, form), spec.secret)
    if not hmac.compare_digest((offered or "").strip().encode(), expected.encode()):
        raise ChannelAuthFailed("missing or wrong Signature header")
    if event == NOTIFY_IVR:
        return IgnoredCall(event, IGNORED_IVR)
    call = _map(spec, event, form, received_at)
    return AcceptedCall(call=call, payload={"event": event, "form": dict(form)})


def _map(spec: ZadarmaSpec, event: str, form: Form, received_at: datetime) -> CallEvent:
    call_id = required_text(form.get("pbx_call_id"), "pbx_call_id")
    internal = optional_text(form.get("internal"), "internal")
    if event == NOTIFY_RECORD:
        recording = required_text(form.get("call_id_with_rec"), "call_id_with_rec")
        return CallEvent(
            provider=spec.provider,
            call_id=call_id,
            event_key=f"{event}:{recording}",  # each recorded leg is its own recording
            stage=CallStage.RECORDING,
            at=received_at,
            recording_ref=recording,
        )
    started = _call_start(form, spec.timezone)
    outbound = event in (NOTIFY_OUT_START, NOTIFY_OUT_END)
    caller = optional_text(form.get("caller_id"), "caller_id")
    destination = optional_text(form.get("destination"), "destination")
    # The company number: the one dialled in, or the one shown to the person called out.
    line = caller if outbound else optional_text(form.get("called_did"), "called_did")
    event_key, stage, at = event, CallStage.ENDED, received_at
    answered_at = ended_at = None
    if event in (NOTIFY_START, NOTIFY_OUT_START):
        stage, at = CallStage.APPEARED, started
    elif event == NOTIFY_INTERNAL:
        # Several extensions ring for one call: each one's ringing is its own event.
        event_key, stage = _with_extension(event, internal), CallStage.APPEARED
    elif event == NOTIFY_ANSWER:
        # A transferred call is answered again by another extension: key it by extension.
        event_key, stage, answered_at = _with_extension(event, internal), CallStage.ANSWERED, at
    ended = stage is CallStage.ENDED
    disposition = optional_text(form.get("disposition"), "disposition") if ended else None
    outcome = DISPOSITIONS.get(disposition.lower()) if disposition else None
    duration = optional_int(form.get("duration"), "duration") if ended else None
    talk_seconds = None
    if ended:
        at = ended_at = started + timedelta(seconds=duration or 0)
        if outcome is CallOutcome.ANSWERED:
            answered_at, talk_seconds = started, duration
    recorded = ended and form.get("is_recorded", "").strip() == "1"
    return CallEvent(
        provider=spec.provider,
        call_id=call_id,
        event_key=event_key,
        stage=stage,
        at=at,
        direction=CallDirection.OUTBOUND if outbound else CallDirection.INBOUND,
        caller=caller,
        # NOTIFY_ANSWER's destination is whoever picked up; outbound, the number dialled.
        callee=destination if outbound or event == NOTIFY_ANSWER else None,
        line=None if event == NOTIFY_ANSWER else line,
        extension=internal,
        outcome=outcome,
        started_at=started,
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=duration,
        talk_seconds=talk_seconds,
        recording_ref=optional_text(form.get("call_id_with_rec"), "call_id_with_rec")
        if recorded
        else None,
        disconnect_reason=(optional_text(form.get("status_code"), "status_code") or disposition)
        if ended
        else None,
    )


def _call_start(form: Form, timezone: str) -> datetime:
    raw = required_text(form.get("call_start"), "call_start")
    try:
        local = datetime.strptime(raw, CALL_START_FORMAT).replace(tzinfo=ZoneInfo(timezone))
    except ValueError as err:
        raise InvalidSubmission(
            "call_start", f"call_start must look like 2026-03-14 12:30:05, got {raw!r}"
        ) from err
    return local


def _with_extension(event: str, internal: str | None) -> str:
    return f"{event}:{internal}" if internal else event
