"""AMI names: event types, fields' special values, Cdr dispositions, reasons to ignore."""

from __future__ import annotations

from channels.telephony.model import CallOutcome

PROVIDER = "asterisk"
DEFAULT_PORT = 5038
# `Events: call,cdr`: channel life-cycle events and the Cdr record; nothing else is needed.
EVENT_MASK = "call,cdr"
BANNER_PREFIX = "Asterisk Call Manager/"
DEFAULT_INTERNAL_NUMBER_PATTERN = r"^\d{2,5}$"  # extensions are 2–5 digits

NEWCHANNEL = "Newchannel"
NEWSTATE = "Newstate"
DIAL_END = "DialEnd"
BRIDGE_ENTER = "BridgeEnter"
HANGUP = "Hangup"
CDR = "Cdr"

CHANNEL_STATE_UP = "6"
DIAL_STATUS_ANSWER = "ANSWER"
# Asterisk writes these where a number is not known.
UNKNOWN_VALUES = frozenset({"", "<unknown>", "unknown", "anonymous", "<none>"})
# Dialplan extensions that are not a dialled number (start, hang-up, timeout, invalid).
SPECIAL_EXTENS = frozenset({"s", "h", "t", "i", "o", "a"})

CDR_DISPOSITIONS: dict[str, CallOutcome] = {
    "ANSWERED": CallOutcome.ANSWERED,
    "NO ANSWER": CallOutcome.MISSED,
    "BUSY": CallOutcome.BUSY,
    "FAILED": CallOutcome.FAILED,
    "CONGESTION": CallOutcome.FAILED,
}
# Q.850 hang-up causes that say how a call ended on their own; any other (16 "Normal
# Clearing" above all) leaves the outcome to the Cdr or to whether an answer was seen.
HANGUP_CAUSE_BUSY = frozenset({"17"})  # user busy
HANGUP_CAUSE_MISSED = frozenset({"18", "19"})  # no user responding, no answer
HANGUP_CAUSE_FAILED = frozenset({"1", "3", "27", "28", "34", "38", "41", "42"})

# Why an AMI event gives no call event (logged at debug level, never stored).
IGNORED_OTHER_EVENT = "not_a_call_event"  # VarSet, Newexten, DialBegin, …
IGNORED_NO_CALL_ID = "no_call_id"  # neither Linkedid nor Uniqueid
IGNORED_OTHER_LEG = "other_leg"  # a channel other than the call's first (Newchannel, Hangup)
IGNORED_NOT_UP = "not_up"  # Newstate other than Up
IGNORED_PBX_ANSWERED = "pbx_answered"  # the call's first channel answered (IVR, Answer())
IGNORED_NOT_ANSWERED = "dial_not_answered"  # DialEnd with NOANSWER, BUSY, CANCEL, …
IGNORED_ALONE_IN_BRIDGE = "alone_in_bridge"  # first in a bridge, or a holding bridge
