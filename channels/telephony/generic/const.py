"""Generic call webhook names: headers, the replay window, the accepted event values."""

from __future__ import annotations

from datetime import timedelta

from channels.telephony.model import CallDirection, CallOutcome, CallStage

TIMESTAMP_HEADER = "X-LeadIntake-Timestamp"  # unix seconds when the sender signed the body
SIGNATURE_HEADER = "X-LeadIntake-Signature"  # lowercase hex HMAC-SHA256(secret, ts + "." + body)
# A signed request older or newer than this is refused as a replay (or a badly wrong clock).
MAX_SKEW = timedelta(minutes=5)

# The schema is ours and closed: an `event` outside this list is a sender's mistake and is
# refused with 400 naming the field, never silently dropped (there is nothing to ignore).
EVENTS: dict[str, CallStage] = {stage.value: stage for stage in CallStage}
DIRECTIONS: dict[str, CallDirection] = {d.value: d for d in CallDirection}
OUTCOMES: dict[str, CallOutcome] = {o.value: o for o in CallOutcome}

MAX_ID_LENGTH = 200
TEXT_FIELDS = ("caller", "callee", "line", "extension", "recording_url")
TIME_FIELDS = ("started_at", "answered_at", "ended_at")
COUNT_FIELDS = ("duration_seconds", "talk_seconds", "seq")
SCHEMA_FILE = "schema.json"
