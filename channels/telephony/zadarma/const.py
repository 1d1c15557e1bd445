"""Zadarma/Novofon notification names, signed fields, dispositions and reasons to ignore."""

from __future__ import annotations

from channels.telephony.model import CallOutcome

PROVIDERS = ("zadarma", "novofon")

NOTIFY_START = "NOTIFY_START"  # an inbound call reached the PBX
NOTIFY_INTERNAL = "NOTIFY_INTERNAL"  # an extension starts ringing (one per extension)
NOTIFY_ANSWER = "NOTIFY_ANSWER"  # someone answered
NOTIFY_END = "NOTIFY_END"  # an inbound call ended
NOTIFY_OUT_START = "NOTIFY_OUT_START"  # an outbound call started
NOTIFY_OUT_END = "NOTIFY_OUT_END"  # an outbound call ended
NOTIFY_RECORD = "NOTIFY_RECORD"  # a recording is ready
NOTIFY_IVR = "NOTIFY_IVR"  # the caller reached the voice menu (signed like NOTIFY_START)

# The fields whose values, concatenated in this order, are signed for each event.
SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    NOTIFY_START: ("caller_id", "called_did", "call_start"),
    NOTIFY_INTERNAL: ("caller_id", "called_did", "call_start"),
    NOTIFY_END: ("caller_id", "called_did", "call_start"),
    NOTIFY_IVR: ("caller_id", "called_did", "call_start"),
    NOTIFY_ANSWER: ("caller_id", "destination", "call_start"),
    NOTIFY_OUT_START: ("internal", "destination", "call_start"),
    NOTIFY_OUT_END: ("internal", "destination", "call_start"),
    NOTIFY_RECORD: ("pbx_call_id", "call_id_with_rec"),
}
STORED_EVENTS = frozenset(SIGNED_FIELDS) - {NOTIFY_IVR}

# The header carrying base64(hex(HMAC-SHA1(signed fields, API secret))).
SIGNATURE_HEADER = "Signature"
# The URL check when a notification URL is saved: answer the parameter's value as is.
ECHO_PARAM = "zd_echo"
MAX_ECHO_LENGTH = 256

# `call_start` is the account's local time in this format.
CALL_START_FORMAT = "%Y-%m-%d %H:%M:%S"

# NOTIFY_END / NOTIFY_OUT_END `disposition` → how the call ended.
DISPOSITIONS: dict[str, CallOutcome] = {
    "answered": CallOutcome.ANSWERED,
    "busy": CallOutcome.BUSY,
    "cancel": CallOutcome.MISSED,  # the caller hung up while it rang
    "no answer": CallOutcome.MISSED,
    "failed": CallOutcome.FAILED,
    "no money": CallOutcome.FAILED,
    "unallocated number": CallOutcome.FAILED,
    "no limit": CallOutcome.FAILED,
    "no day limit": CallOutcome.FAILED,
    "line limit": CallOutcome.FAILED,
    "no money, no limit": CallOutcome.FAILED,
    "no money no limit": CallOutcome.FAILED,
}

# Why a notification was answered 200 without storing anything (logged and counted).
# Unknown events (SMS, SPEECH_RECOGNITION, ones added later) have signature recipes of their
# own, so they are acknowledged unverified: nothing of them is stored, and an error would
# only make the PBX retry.
IGNORED_UNKNOWN_EVENT = "unknown_event"
IGNORED_IVR = "ivr_menu"  # NOTIFY_START has already reported the call
