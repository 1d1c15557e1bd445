"""Mango Office VPBX API names: event kinds, call states, reasons to ignore a request."""

from __future__ import annotations

from channels.telephony.model import CallDirection, CallStage

PROVIDER = "mango"

# The last path segment of POST {external system URL}/events/<kind>.
EVENT_CALL = "call"
EVENT_SUMMARY = "summary"
EVENT_RECORDING = "recording"
EVENT_KINDS = frozenset({EVENT_CALL, EVENT_SUMMARY, EVENT_RECORDING})

# events/call `call_state` → what it says about the call.
CALL_STATES: dict[str, CallStage] = {
    "Appeared": CallStage.APPEARED,
    "Connected": CallStage.ANSWERED,
    "OnHold": CallStage.ON_HOLD,
    "Disconnected": CallStage.ENDED,
}

# events/summary `call_direction`.
CALL_DIRECTIONS: dict[int, CallDirection] = {
    0: CallDirection.INTERNAL,
    1: CallDirection.INBOUND,
    2: CallDirection.OUTBOUND,
}
ENTRY_RESULT_ANSWERED = 1

# events/recording `recording_state`: only a completed recording can be fetched; Started and
# Continued are acknowledged and not stored, so the Completed one is not taken for a repeat of
# them (all three share the key recording:<recording_id>).
RECORDING_COMPLETED = "Completed"

# Why a request was answered 200 without storing anything (logged and counted, never stored).
# Mango posts more kinds to the same base URL (events/dtmf, events/sms, events/callback,
# result/...) when they are enabled; acknowledging them keeps its retries away.
IGNORED_UNKNOWN_KIND = "unknown_event_kind"
IGNORED_UNKNOWN_STATE = "unknown_call_state"
IGNORED_RECORDING_NOT_READY = "recording_not_completed"
