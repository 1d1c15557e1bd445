"""One AMI event (a dict of its `Key: Value` lines) → one CallEvent, or a reason to ignore it.

Stateless: each event is mapped from its own fields, so a repeated or reordered event maps to
the same CallEvent (same `external_id`), and the worker folds them by `call_id`.

- call_id: "<pbx name>:<Linkedid>" (Linkedid is shared by every channel of one call; Uniqueid
  when absent). The PBX name keeps two PBXs' ids apart: the inbox is unique on
  (channel "call", external_id) across providers and PBXs.
- Newchannel of the call's first channel (Uniqueid == Linkedid) → APPEARED, with the caller,
  the number dialled and the direction.
- Newstate to Up (6), DialEnd with ANSWER, BridgeEnter as the second party of a bridge →
  ANSWERED, with the extension that answered (or, for an outbound call, that dialled). The
  first channel going Up is the PBX answering (an IVR, `Answer()`), not a person: ignored.
- Hangup of the call's first channel → ENDED (the other legs' hang-ups say nothing new).
- Cdr → SUMMARY with the disposition as the outcome and the Cdr's times. A call can give
  several Cdr records (a ring group dials several phones: one record per phone, the same
  UniqueID), so the key names the destination channel as well.

Direction (`classify`): a call is inbound when its first channel is a trunk (its name starts
with one of `trunk_prefixes`) or its caller is not an internal number; an internal caller
dialling an internal number is internal, an outside number outbound. A number is internal when
it matches `internal_number_pattern` (default `^\\d{2,5}$`: extensions are 2–5 digits).

Times: `at` is the event's `Timestamp:` (epoch seconds, sent with `timestampevents = yes`
in manager.conf), else the time it was received. Cdr times are the PBX's local
"YYYY-MM-DD HH:MM:SS", read in the PBX's time zone (`[[telephony.asterisk]] timezone`); a
Cdr is dated by its EndTime, and its StartTime/AnswerTime/EndTime are the call's times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from channels.telephony.asterisk.const import (
    BRIDGE_ENTER,
    CDR,
    CDR_DISPOSITIONS,
    CHANNEL_STATE_UP,
    DEFAULT_INTERNAL_NUMBER_PATTERN,
    DIAL_END,
    DIAL_STATUS_ANSWER,
    HANGUP,
    HANGUP_CAUSE_BUSY,
    HANGUP_CAUSE_FAILED,
    HANGUP_CAUSE_MISSED,
    IGNORED_ALONE_IN_BRIDGE,
    IGNORED_NO_CALL_ID,
    IGNORED_NOT_ANSWERED,
    IGNORED_NOT_UP,
    IGNORED_OTHER_EVENT,
    IGNORED_OTHER_LEG,
    IGNORED_PBX_ANSWERED,
    NEWCHANNEL,
    NEWSTATE,
    PROVIDER,
    SPECIAL_EXTENS,
    UNKNOWN_VALUES,
)
from channels.telephony.model import CallDirection, CallEvent, CallOutcome, CallStage

AmiEvent = Mapping[str, str]

# "PJSIP/101-0000001a", "SIP/mts-trunk-00000003": technology/peer-<8 hex digits>.
_CHANNEL = re.compile(r"^[A-Za-z0-9_]+/(?P<peer>.+)-[0-9a-fA-F]{8}(?:;\d)?$")
# "Local/101@from-queue-00000005;1": the extension dialled through a Local channel.
_LOCAL_CHANNEL = re.compile(r"^Local/(?P<peer>[^@]+)@")
_CDR_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class AsteriskSpec:
    """One PBX as the adapter needs it: its name, time zone and what is internal."""

    name: str
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    internal_number: re.Pattern[str] = re.compile(DEFAULT_INTERNAL_NUMBER_PATTERN)
    trunk_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IgnoredAmiEvent:
    """An AMI event that says nothing the call record needs, and why (const.IGNORED_*)."""

    event_type: str
    reason: str


def map_event(
    spec: AsteriskSpec, event: AmiEvent, *, received_at: datetime
) -> CallEvent | IgnoredAmiEvent:
    """The CallEvent one AMI event gives, or why it gives none."""
    kind = event.get("Event", "")
    mapper = _MAPPERS.get(kind)
    if mapper is None:
        return IgnoredAmiEvent(kind, IGNORED_OTHER_EVENT)
    linkedid = _value(event, "Linkedid") or _value(event, "LinkedID")
    uniqueid = _value(event, "Uniqueid") or _value(event, "UniqueID")
    root = linkedid or uniqueid
    if root is None:
        return IgnoredAmiEvent(kind, IGNORED_NO_CALL_ID)
    at = _timestamp(event) or received_at
    result = mapper(spec, event, _Ids(f"{spec.name}:{root}", uniqueid or root, root), at)
    return IgnoredAmiEvent(kind, result) if isinstance(result, str) else result


def classify(
    spec: AsteriskSpec, channel: str | None, caller: str | None, dialled: str | None
) -> CallDirection | None:
    """Who dialled whom, from the first channel's name, the caller and the dialled number."""
    if channel and any(channel.startswith(prefix) for prefix in spec.trunk_prefixes):
        return CallDirection.INBOUND
    caller_internal = _internal(spec, caller) or _internal(spec, peer_of(channel))
    if not caller_internal:
        # Not from an extension: from outside, even when the caller withheld the number.
        return CallDirection.INBOUND if caller or channel else None
    if dialled is None:
        return None
    return CallDirection.INTERNAL if _internal(spec, dialled) else CallDirection.OUTBOUND


def peer_of(channel: str | None) -> str | None:
    """The endpoint in a channel name: "101" for `PJSIP/101-0000001a` or `Local/101@ctx-…`."""
    if not channel:
        return None
    match = _LOCAL_CHANNEL.match(channel) or _CHANNEL.match(channel)
    return match["peer"] if match else None


class _Parties(NamedTuple):
    caller: str | None
    callee: str | None
    line: str | None
    extension: str | None


@dataclass(frozen=True, slots=True)
class _Ids:
    call_id: str
    uniqueid: str
    linkedid: str

    @property
    def first_channel(self) -> bool:
        """The channel the call started with (the caller's leg)."""
        return self.uniqueid == self.linkedid


def _newchannel(spec: AsteriskSpec, e: AmiEvent, ids: _Ids, at: datetime) -> CallEvent | str:
    if not ids.first_channel:
        return IGNORED_OTHER_LEG
    channel = _value(e, "Channel")
    caller = _number(e, "CallerIDNum")
    dialled = _dialled(e.get("Exten"))
    direction = classify(spec, channel, caller, dialled)
    parties = _parties(spec, direction, caller, dialled, channel)
    return CallEvent(
        provider=PROVIDER,
        call_id=ids.call_id,
        event_key=f"newchannel:{ids.uniqueid}",
        stage=CallStage.APPEARED,
        at=at,
        direction=direction,
        caller=parties.caller,
        callee=parties.callee,
        line=parties.line,
        extension=parties.extension,
        started_at=at,
    )


def _newstate(spec: AsteriskSpec, e: AmiEvent, ids: _Ids, at: datetime) -> CallEvent | str:
    if e.get("ChannelState") != CHANNEL_STATE_UP:
        return IGNORED_NOT_UP
    if ids.first_channel:
        return IGNORED_PBX_ANSWERED
    return _answered(spec, ids, f"up:{ids.uniqueid}", at, e.get("Channel"), e, "")


def _dial_end(spec: AsteriskSpec, e: AmiEvent, ids: _Ids, at: datetime) -> CallEvent | str:
    if e.get("DialStatus") != DIAL_STATUS_ANSWER:
        return IGNORED_NOT_ANSWERED
    dest = _value(e, "DestUniqueid") or ids.uniqueid
    return _answered(spec, ids, f"dialend:{dest}", at, e.get("DestChannel"), e, "Dest")


def _bridge_enter(spec: AsteriskSpec, e: AmiEvent, ids: _Ids, at: datetime) -> CallEvent | str:
    # The second to enter completes the conversation; the first waits alone, and a holding
    # bridge (parking, music on hold) holds one party only.
    if e.get("BridgeType") == "holding" or _integer(e, "BridgeNumChannels") != 2:
        return IGNORED_ALONE_IN_BRIDGE
    bridge = _value(e, "BridgeUniqueid") or "-"
    key = f"bridge:{bridge}:{ids.uniqueid}"
    if ids.first_channel:
        return _answered(spec, ids, key, at, None, e, "")
    return _answered(spec, ids, key, at, e.get("Channel"), e, "")


def _answered(
    spec: AsteriskSpec,
    ids: _Ids,
    key: str,
    at: datetime,
    answering_channel: str | None,
    e: AmiEvent,
    prefix: str,
) -> CallEvent:
    """ANSWERED, naming the internal party: the answering leg's peer, else the other side."""
    candidates = (
        peer_of(answering_channel),
        _number(e, f"{prefix}ConnectedLineNum"),
        _number(e, f"{prefix}CallerIDNum"),
        _number(e, "ConnectedLineNum"),
        peer_of(e.get("Channel")),
    )
    extension = next((c for c in candidates if _internal(spec, c)), None)
    return CallEvent(
        provider=PROVIDER,
        call_id=ids.call_id,
        event_key=key,
        stage=CallStage.ANSWERED,
        at=at,
        extension=extension,
        answered_at=at,
    )


def _hangup(spec: AsteriskSpec, e: AmiEvent, ids: _Ids, at: datetime) -> CallEvent | str:
    if not ids.first_channel:
        return IGNORED_OTHER_LEG
    channel = _value(e, "Channel")
    caller = _number(e, "CallerIDNum")
    # By the hang-up, the first channel's connected line is the party it talked or rang to.
    other = _number(e, "ConnectedLineNum")
    direction = classify(spec, channel, caller, other)
    cause = _value(e, "Cause")
    reason = " ".join(v for v in (cause, _value(e, "Cause-txt")) if v) or None
    outcome = None
    if cause in HANGUP_CAUSE_BUSY:
        outcome = CallOutcome.BUSY
    elif cause in HANGUP_CAUSE_MISSED:
        outcome = CallOutcome.MISSED
    elif cause in HANGUP_CAUSE_FAILED:
        outcome = CallOutcome.FAILED
    parties = _parties(spec, direction, caller, other, channel, with_line=False)
    return CallEvent(
        provider=PROVIDER,
        call_id=ids.call_id,
        event_key=f"hangup:{ids.uniqueid}",
        stage=CallStage.ENDED,
        at=at,
        direction=direction,
        caller=parties.caller,
        callee=parties.callee,
        line=parties.line,
        extension=parties.extension,
        outcome=outcome,
        ended_at=at,
        disconnect_reason=reason,
    )


def _cdr(spec: AsteriskSpec, e: AmiEvent, ids: _Ids, at: datetime) -> CallEvent | str:
    channel = _value(e, "Channel")
    caller = _number(e, "Source")
    dialled = _dialled(e.get("Destination"))
    direction = classify(spec, channel, caller, dialled)
    parties = _parties(spec, direction, caller, dialled, channel)
    outcome = CDR_DISPOSITIONS.get(e.get("Disposition", "").upper())
    extension = parties.extension
    answerer = peer_of(e.get("DestinationChannel"))
    # Inbound: the phone the record's destination channel rang is the one that answered,
    # when it did (a record per phone that rang: the others are NO ANSWER).
    if direction is not CallDirection.OUTBOUND and outcome is CallOutcome.ANSWERED:
        extension = answerer if _internal(spec, answerer) else extension
    destination = _value(e, "DestinationChannel") or "-"
    ended = _local_time(spec, e, "EndTime")
    return CallEvent(
        provider=PROVIDER,
        call_id=ids.call_id,
        event_key=f"cdr:{ids.uniqueid}:{destination}",
        stage=CallStage.SUMMARY,
        # The record's own end, not when it reached us: AMI may deliver it late (a backlog
        # after a reconnect), and a record dates the call it describes.
        at=ended or at,
        direction=direction,
        caller=parties.caller,
        callee=parties.callee,
        line=parties.line,
        extension=extension,
        outcome=outcome,
        started_at=_local_time(spec, e, "StartTime"),
        answered_at=_local_time(spec, e, "AnswerTime"),
        ended_at=ended,
        duration_seconds=_integer(e, "Duration"),
        talk_seconds=_integer(e, "BillableSeconds"),
        disconnect_reason=_value(e, "Disposition"),
    )


def _parties(
    spec: AsteriskSpec,
    direction: CallDirection | None,
    caller: str | None,
    dialled: str | None,
    channel: str | None,
    *,
    with_line: bool = True,
) -> _Parties:
    """caller / callee / line / extension as the model names them for each direction."""
    if direction is CallDirection.OUTBOUND:
        internal = caller if _internal(spec, caller) else peer_of(channel)
        return _Parties(caller, dialled, None, internal)
    if direction is CallDirection.INTERNAL:
        return _Parties(caller, dialled, None, caller)
    # Inbound (or unknown): the number dialled is the company's line when it is not an
    # extension (a DID); a trunk context that routes by "s" names no line.
    line = dialled if with_line and dialled and not _internal(spec, dialled) else None
    return _Parties(caller, None, line, None)


def _internal(spec: AsteriskSpec, number: str | None) -> bool:
    return number is not None and spec.internal_number.search(number) is not None


def _value(e: AmiEvent, key: str) -> str | None:
    value = e.get(key)
    return value.strip() if value and value.strip() else None


def _number(e: AmiEvent, key: str) -> str | None:
    """A phone number or extension field; Asterisk's "<unknown>" and the like are None."""
    value = _value(e, key)
    return None if value is None or value.lower() in UNKNOWN_VALUES else value


def _dialled(exten: str | None) -> str | None:
    """The dialled number from an Exten/Destination; dialplan specials ("s", "h") are None."""
    value = (exten or "").strip()
    if not value or value in SPECIAL_EXTENS or value.lower() in UNKNOWN_VALUES:
        return None
    return value


def _integer(e: AmiEvent, key: str) -> int | None:
    value = _value(e, key)
    return int(value) if value is not None and value.isdigit() else None


def _timestamp(e: AmiEvent) -> datetime | None:
    """`Timestamp: 1732540812.104563` (timestampevents = yes) as an aware datetime."""
    value = _value(e, "Timestamp")
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _local_time(spec: AsteriskSpec, e: AmiEvent, key: str) -> datetime | None:
    """A Cdr time ("2024-11-25 16:20:12", the PBX's local time), or None when empty."""
    value = _value(e, key)
    if value is None:
        return None
    try:
        return datetime.strptime(value, _CDR_TIME).replace(tzinfo=spec.timezone)
    except ValueError:
        return None


_MAPPERS = {
    NEWCHANNEL: _newchannel,
    NEWSTATE: _newstate,
    DIAL_END: _dial_end,
    BRIDGE_ENTER: _bridge_enter,
    HANGUP: _hangup,
    CDR: _cdr,
}
