"""Calls: one record per provider call, assembled from events that come repeated and in any
order, and what a finished call means for the sales process (texts, call-back tasks)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class CallDirection(StrEnum):
    """Who dialled."""

    INBOUND = "in"
    OUTBOUND = "out"
    INTERNAL = "internal"


class CallStage(StrEnum):
    """What one provider event says about the call."""

    APPEARED = "appeared"
    ANSWERED = "answered"
    ON_HOLD = "on_hold"
    ENDED = "ended"
    SUMMARY = "summary"
    RECORDING = "recording"


class CallOutcome(StrEnum):
    """How the call ended."""

    ANSWERED = "answered"
    MISSED = "missed"
    BUSY = "busy"
    FAILED = "failed"


# Sort order of facts: the fuller picture later, so "the last word" is deterministic.
_STAGE_RANK = {stage: n for n, stage in enumerate(CallStage)}


@dataclass(frozen=True, slots=True)
class CallFact:
    """One provider event about one call, as the domain keeps it."""

    provider: str
    call_id: str
    event_key: str
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
    duration_seconds: int | None = None
    talk_seconds: int | None = None
    recording_ref: str | None = None
    disconnect_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (`from_json` reverses it)."""
        data: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            data[name] = value.isoformat() if isinstance(value, datetime) else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallFact:
        """Rebuild a fact stored with `to_json`."""

        def when(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if value else None

        direction, outcome = data.get("direction"), data.get("outcome")
        return cls(
            provider=data["provider"],
            call_id=data["call_id"],
            event_key=data["event_key"],
            stage=CallStage(data["stage"]),
            at=datetime.fromisoformat(data["at"]),
            direction=CallDirection(direction) if direction else None,
            seq=data.get("seq"),
            caller=data.get("caller"),
            callee=data.get("callee"),
            line=data.get("line"),
            extension=data.get("extension"),
            outcome=CallOutcome(outcome) if outcome else None,
            started_at=when("started_at"),
            answered_at=when("answered_at"),
            ended_at=when("ended_at"),
            duration_seconds=data.get("duration_seconds"),
            talk_seconds=data.get("talk_seconds"),
            recording_ref=data.get("recording_ref"),
            disconnect_reason=data.get("disconnect_reason"),
        )


@dataclass(frozen=True, slots=True)
class CallSummary:
    """Everything known about a call from the facts received so far."""

    provider: str
    call_id: str
    direction: CallDirection | None
    caller: str | None
    callee: str | None
    line: str | None
    extension: str | None
    outcome: CallOutcome | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    talk_seconds: int | None
    recording_ref: str | None
    finished: bool

    @property
    def customer_number(self) -> str | None:
        """The outside party: the caller of an inbound call, the callee of an outbound one."""
        return self.callee if self.direction is CallDirection.OUTBOUND else self.caller


def assemble(facts: Iterable[CallFact], *, summary_final: bool = False) -> CallSummary:
    """Fold a call's facts into one summary; the same facts in any order and with repeats
    give the same summary.

    A summary event (Mango's summary, Asterisk's Cdr) has the last word on outcome and times;
    an answered call keeps an answer time and talk seconds whichever events reported them.
    The call is `finished` at a summary, or at a hang-up unless `summary_final` says the
    provider reports hang-ups per leg and only its summary ends the whole call.
    """
    unique = {f.event_key: f for f in facts}
    ordered = sorted(
        unique.values(),
        key=lambda f: (
            _STAGE_RANK[f.stage],
            f.seq if f.seq is not None else -1,
            f.at,
            f.event_key,
        ),
    )
    if not ordered:
        raise ValueError("a call needs at least one fact")
    summaries = [f for f in ordered if f.stage is CallStage.SUMMARY]
    answers = [f for f in ordered if f.stage is CallStage.ANSWERED]
    endings = [f for f in ordered if f.stage is CallStage.ENDED]

    def pick(name: str, preferred: Sequence[CallFact] = ()) -> Any:
        for fact in [*reversed(summaries), *preferred, *ordered]:
            value = getattr(fact, name)
            if value is not None:
                return value
        return None

    # The provider's summary dates the call from its own record; the other events' times
    # (often when an event reached us) only fill in what no summary says.
    started = _earliest([f.started_at for f in summaries]) or _earliest(
        [f.started_at for f in ordered], [f.at for f in ordered]
    )
    answered = _earliest([f.answered_at for f in summaries]) or _earliest(
        [f.answered_at for f in ordered], [f.at for f in answers]
    )
    ended = _latest([f.ended_at for f in summaries]) or _latest(
        [f.ended_at for f in ordered], [f.at for f in endings]
    )
    # A ring group gives one summary per phone: answered if any phone answered.
    summary_outcomes = [f.outcome for f in reversed(summaries) if f.outcome]
    summary_outcome = (
        CallOutcome.ANSWERED
        if CallOutcome.ANSWERED in summary_outcomes
        else next(iter(summary_outcomes), None)
    )
    ending_outcome = next((f.outcome for f in reversed(endings) if f.outcome), None)
    outcome = summary_outcome or ending_outcome
    finished = bool(summaries) or (bool(endings) and not summary_final)
    talk = pick("talk_seconds")
    if outcome is None and finished:
        outcome = CallOutcome.ANSWERED if answered is not None else CallOutcome.MISSED
    if answered is None and outcome is CallOutcome.ANSWERED and talk is not None and ended:
        # An answered call reported with its talk time only (an outbound call, whose answer
        # no event announces): it was answered that long before it ended.
        answered = ended - timedelta(seconds=talk)
    if talk is None and answered is not None and ended is not None:
        talk = max(0, int((ended - answered).total_seconds()))
    duration = pick("duration_seconds")
    if duration is None and started is not None and ended is not None:
        duration = max(0, int((ended - started).total_seconds()))
    first = ordered[0]
    return CallSummary(
        provider=first.provider,
        call_id=first.call_id,
        direction=pick("direction"),
        caller=pick("caller"),
        callee=pick("callee"),
        line=pick("line"),
        extension=pick("extension", answers),
        outcome=outcome,
        started_at=started,
        answered_at=answered,
        ended_at=ended,
        duration_seconds=duration,
        talk_seconds=talk,
        recording_ref=next((f.recording_ref for f in reversed(ordered) if f.recording_ref), None),
        finished=finished,
    )


@dataclass(frozen=True, slots=True)
class StoredCall:
    """A call as stored: its facts, its summary, and what the sales process made of it."""

    id: int
    facts: tuple[CallFact, ...]
    summary: CallSummary | None
    completed_at: datetime | None = None
    lead_id: int | None = None
    entity: str | None = None  # the record the call was logged on: "lead" or "deal"
    entity_id: int | None = None
    manager_id: int | None = None

    def with_fact(self, fact: CallFact) -> StoredCall | None:
        """This call with one more fact, or None when the fact was seen before."""
        if any(f.event_key == fact.event_key for f in self.facts):
            return None
        return replace(self, facts=(*self.facts, fact))


def missed_call_due(ended_at: datetime | None, now: datetime, minutes: int) -> datetime:
    """When a call-back for a missed call is due: N minutes after the call ended (already
    overdue if the call was processed late, which is the truth)."""
    return (ended_at or now) + timedelta(minutes=minutes)


def call_text(
    summary: CallSummary, line_label: str | None = None, number: str | None = None
) -> str:
    """A manager's one-line account of the call, in Russian (`number`: the customer's number
    as it should be shown, normalized)."""
    direction = summary.direction
    if direction is CallDirection.OUTBOUND:
        kind = "Исходящий звонок"
    elif direction is CallDirection.INTERNAL:
        kind = "Внутренний звонок"
    else:
        kind = "Входящий звонок"
    parts = [kind]
    outcome = summary.outcome
    if outcome is CallOutcome.MISSED:
        parts = [
            "Пропущенный звонок"
            if direction is not CallDirection.OUTBOUND
            else f"{kind}: нет ответа"
        ]
    elif outcome is CallOutcome.BUSY:
        parts.append("занято")
    elif outcome is CallOutcome.FAILED:
        parts.append("не состоялся")
    elif summary.talk_seconds is not None:
        parts.append(f"разговор {_duration(summary.talk_seconds)}")
    number = number or summary.customer_number
    if number:
        parts.append(
            ("с номера " if direction is not CallDirection.OUTBOUND else "на номер ") + number
        )
    if line_label or summary.line:
        parts.append(f"линия {line_label or summary.line}")
    if summary.extension:
        parts.append(f"добавочный {summary.extension}")
    if summary.recording_ref:
        parts.append("есть запись")
    return ", ".join(parts)


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} мин {rest:02d} с" if minutes else f"{rest} с"


def _earliest(*groups: Sequence[datetime | None]) -> datetime | None:
    values = [v for group in groups for v in group if v is not None]
    return min(values) if values else None


def _latest(*groups: Sequence[datetime | None]) -> datetime | None:
    values = [v for group in groups for v in group if v is not None]
    return max(values) if values else None
