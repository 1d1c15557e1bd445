"""The provider-neutral call event every telephony adapter yields, and its inbox form.

A provider reports one call as several events (appeared, answered, ended, summary,
recording), possibly repeated and out of order. Each adapter turns one provider event into
one `CallEvent`; each becomes one inbox row (unique on `external_id`), and the worker folds
all events of a `(provider, call_id)` into one call record. So an adapter never keeps state
between requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from channels.model import EventKind, InboundEvent, PersonDetails

CHANNEL = "call"


class CallDirection(StrEnum):
    """Who dialled."""

    INBOUND = "in"
    OUTBOUND = "out"
    INTERNAL = "internal"


class CallStage(StrEnum):
    """What a provider event says about the call."""

    APPEARED = "appeared"  # ringing: the call entered the PBX (or an extension rings)
    ANSWERED = "answered"  # someone (an extension, a manager) picked up
    ON_HOLD = "on_hold"
    ENDED = "ended"  # hung up; the outcome may be known already or come with the summary
    SUMMARY = "summary"  # the provider's final verdict (Mango summary, Asterisk Cdr)
    RECORDING = "recording"  # a recording became available


class CallOutcome(StrEnum):
    """How the call ended."""

    ANSWERED = "answered"
    MISSED = "missed"  # nobody answered (no answer, caller hung up while ringing)
    BUSY = "busy"
    FAILED = "failed"  # the network refused it (congestion, invalid number, ...)


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One provider event about one call, in neutral terms.

    `seq` orders events of one call when the provider numbers them (Mango's `seq`, AMI's
    arrival order); None when it does not. `caller` is the external party for inbound
    calls and `callee` the number dialled for outbound ones; `line` is the company's number
    (DID) the call came in on; `extension` the internal line that answered or dialled.
    """

    provider: str
    call_id: str
    event_key: str  # unique per event within the call: "seq:3", "NOTIFY_END", "summary"
    stage: CallStage
    at: datetime
    direction: CallDirection | None = None
    seq: int | None = None
    caller: str | None = None
    callee: str | None = None
    line: str | None = None
    extension: str | None = None
    outcome: CallOutcome | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None  # from the start to the hang-up
    talk_seconds: int | None = None  # from the answer to the hang-up
    recording_ref: str | None = None  # a recording id or URL, as the provider names it
    disconnect_reason: str | None = None  # the provider's raw code, kept for support

    @property
    def external_id(self) -> str:
        """The inbox idempotency key: one row per provider event, however often it is sent."""
        # The provider too: two PBX vendors' call ids may coincide.
        return f"{self.provider}:{self.call_id}:{self.event_key}"

    @property
    def customer_number(self) -> str | None:
        """The outside party's number: the caller of an inbound call, else the callee."""
        if self.direction is CallDirection.OUTBOUND:
            return self.callee
        return self.caller

    def to_inbound(self, received_at: datetime) -> InboundEvent:
        """The inbox form: `meta` carries every call field as text (see `from_meta`)."""
        meta = {"provider": self.provider, "call_id": self.call_id, "event_key": self.event_key}
        meta["stage"] = self.stage.value
        meta["at"] = self.at.isoformat()
        optional: dict[str, str | None] = {
            "direction": self.direction.value if self.direction else None,
            "seq": str(self.seq) if self.seq is not None else None,
            "caller": self.caller,
            "callee": self.callee,
            "line": self.line,
            "extension": self.extension,
            "outcome": self.outcome.value if self.outcome else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_seconds": _text(self.duration_seconds),
            "talk_seconds": _text(self.talk_seconds),
            "recording_ref": self.recording_ref,
            "disconnect_reason": self.disconnect_reason,
        }
        meta.update({k: v for k, v in optional.items() if v is not None})
        return InboundEvent(
            channel=CHANNEL,
            source=self.provider,
            external_id=self.external_id,
            received_at=received_at,
            person=PersonDetails(phone=self.customer_number),
            meta=meta,
            kind=EventKind.CALL,
        )

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> CallEvent:
        """Rebuild the event from an inbox row's `meta` (the inverse of `to_inbound`)."""

        def when(key: str) -> datetime | None:
            value = meta.get(key)
            return datetime.fromisoformat(value) if value else None

        def number(key: str) -> int | None:
            value = meta.get(key)
            return int(value) if value else None

        direction = meta.get("direction")
        outcome = meta.get("outcome")
        return cls(
            provider=meta["provider"],
            call_id=meta["call_id"],
            event_key=meta["event_key"],
            stage=CallStage(meta["stage"]),
            at=datetime.fromisoformat(meta["at"]),
            direction=CallDirection(direction) if direction else None,
            seq=number("seq"),
            caller=meta.get("caller"),
            callee=meta.get("callee"),
            line=meta.get("line"),
            extension=meta.get("extension"),
            outcome=CallOutcome(outcome) if outcome else None,
            started_at=when("started_at"),
            answered_at=when("answered_at"),
            ended_at=when("ended_at"),
            duration_seconds=number("duration_seconds"),
            talk_seconds=number("talk_seconds"),
            recording_ref=meta.get("recording_ref"),
            disconnect_reason=meta.get("disconnect_reason"),
        )


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)
