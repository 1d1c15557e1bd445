"""AMI events (captured Asterisk 18/20 sessions) → CallEvents: stages, parties, direction, time."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from channels.telephony.asterisk.adapter import (
    AsteriskSpec,
    IgnoredAmiEvent,
    classify,
    map_event,
    peer_of,
)
from channels.telephony.asterisk.ami import AmiMessage, parse_blocks
from channels.telephony.asterisk.const import (
    IGNORED_ALONE_IN_BRIDGE,
    IGNORED_NO_CALL_ID,
    IGNORED_NOT_ANSWERED,
    IGNORED_OTHER_EVENT,
    IGNORED_OTHER_LEG,
    IGNORED_PBX_ANSWERED,
)
from channels.telephony.model import (
    CHANNEL,
    CallDirection,
    CallEvent,
    CallOutcome,
    CallStage,
)
from tests.channels.telephony.asterisk.ami_server import fixture_events

SPEC = AsteriskSpec("office")
RECEIVED = datetime(2024, 11, 25, 14, 20, 30, tzinfo=UTC)
MSK = ZoneInfo("Europe/Moscow")


def mapped(name: str, spec: AsteriskSpec = SPEC) -> list[CallEvent]:
    """The call events of a fixture, in the order they arrived."""
    out = []
    for event in fixture_events(name):
        result = map_event(spec, event, received_at=RECEIVED)
        if isinstance(result, CallEvent):
            out.append(result)
    return out


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_inbound_answered_call() -> None:
    events = mapped("inbound_answered")

    assert {e.call_id for e in events} == {"office:1732540812.84"}
    assert {e.provider for e in events} == {"asterisk"}
    assert [(e.stage, e.event_key) for e in events] == [
        (CallStage.APPEARED, "newchannel:1732540812.84"),
        (CallStage.ANSWERED, "up:1732540812.85"),
        (CallStage.ANSWERED, "dialend:1732540812.85"),
        (CallStage.ANSWERED, "bridge:5c3d7f1e-9f0a-4d0e-8b52-1f0e4a6c2b11:1732540812.84"),
        (CallStage.ENDED, "hangup:1732540812.84"),
        (CallStage.SUMMARY, "cdr:1732540812.84:PJSIP/101-0000002b"),
    ]
    appeared, *answered, ended, summary = events
    assert appeared.direction is CallDirection.INBOUND
    assert (appeared.caller, appeared.line, appeared.callee) == (
        "79161234567",
        "74951234567",
        None,
    )
    assert appeared.at == appeared.started_at == at(1732540812.104563)
    assert {(e.extension, e.direction) for e in answered} == {("101", None)}
    assert answered[0].answered_at == at(1732540818.402117)
    assert ended.direction is CallDirection.INBOUND and ended.caller == "79161234567"
    assert ended.outcome is None  # 16 Normal Clearing says nothing of an answer
    assert ended.disconnect_reason == "16 Normal Clearing"
    assert summary.outcome is CallOutcome.ANSWERED and summary.extension == "101"
    assert (summary.caller, summary.line) == ("79161234567", "74951234567")
    assert summary.started_at == datetime(2024, 11, 25, 16, 20, 12, tzinfo=MSK)
    assert summary.answered_at == datetime(2024, 11, 25, 13, 20, 18, tzinfo=UTC)
    assert summary.ended_at == datetime(2024, 11, 25, 16, 23, 5, tzinfo=MSK)
    assert (summary.duration_seconds, summary.talk_seconds) == (173, 167)


def test_inbound_missed_call_to_a_ring_group() -> None:
    events = mapped("inbound_missed")

    assert [(e.stage, e.event_key) for e in events] == [
        (CallStage.APPEARED, "newchannel:1732544400.91"),
        (CallStage.ENDED, "hangup:1732544400.91"),
        # One Cdr per phone that rang, both with the call's UniqueID.
        (CallStage.SUMMARY, "cdr:1732544400.91:PJSIP/101-00000032"),
        (CallStage.SUMMARY, "cdr:1732544400.91:PJSIP/102-00000033"),
    ]
    appeared, ended, *summaries = events
    # timestampevents off: the events are dated when they arrived.
    assert appeared.at == ended.at == RECEIVED
    assert ended.outcome is CallOutcome.MISSED
    assert ended.disconnect_reason == "19 User alerting, no answer"
    for summary in summaries:
        assert summary.outcome is CallOutcome.MISSED
        assert summary.extension is None  # nobody answered: no extension to credit
        assert summary.answered_at is None and summary.talk_seconds == 0
        assert summary.direction is CallDirection.INBOUND and summary.caller == "79031112233"


def test_outbound_call() -> None:
    events = mapped("outbound")

    assert {e.call_id for e in events} == {"office:1732548000.97"}
    assert [e.stage for e in events] == [
        CallStage.APPEARED,
        CallStage.ANSWERED,
        CallStage.ANSWERED,
        CallStage.ANSWERED,
        CallStage.ENDED,
        CallStage.SUMMARY,
    ]
    appeared, *answered, ended, summary = events
    for event in (appeared, ended, summary):
        assert event.direction is CallDirection.OUTBOUND
        assert (event.caller, event.callee, event.extension) == ("101", "89161234567", "101")
        assert event.customer_number == "89161234567"
    # The trunk leg answered: the extension credited is the one that dialled.
    assert {e.extension for e in answered} == {"101"}
    assert summary.outcome is CallOutcome.ANSWERED
    assert summary.event_key == "cdr:1732548000.97:PJSIP/mts-trunk-0000003d"
    assert (summary.duration_seconds, summary.talk_seconds) == (100, 91)


@pytest.mark.parametrize("name", ["inbound_answered", "inbound_missed", "outbound"])
def test_repeated_and_reordered_events_give_the_same_events(name: str) -> None:
    raw = fixture_events(name)
    once = {e.external_id: e for e in mapped(name)}
    shuffled = raw * 3
    random.Random(7).shuffle(shuffled)

    # Received at another time: with Timestamp headers nothing changes; without, only `at`.
    later = RECEIVED + timedelta(minutes=5)
    again: dict[str, CallEvent] = {}
    for event in shuffled:
        result = map_event(SPEC, event, received_at=later)
        if isinstance(result, CallEvent):
            assert again.setdefault(result.external_id, result) == result
    assert again.keys() == once.keys()
    assert len(once) == len(mapped(name))  # no two events of a call share a key
    if name != "inbound_missed":
        assert again == once


def test_inbox_form_is_the_call_channel() -> None:
    [appeared, *_] = mapped("inbound_answered")
    inbound = appeared.to_inbound(RECEIVED)

    assert (inbound.channel, inbound.source) == (CHANNEL, "asterisk")
    assert inbound.external_id == "asterisk:office:1732540812.84:newchannel:1732540812.84"
    assert inbound.person.phone == "79161234567"
    assert CallEvent.from_meta(inbound.meta) == appeared


def event(**fields: str) -> AmiMessage:
    return dict(fields)


def test_events_without_a_call_or_saying_nothing_are_ignored() -> None:
    cases = [
        (event(Event="VarSet", Uniqueid="1.1", Linkedid="1.1"), IGNORED_OTHER_EVENT),
        (event(Event="Hangup", Channel="PJSIP/101-00000001"), IGNORED_NO_CALL_ID),
        (event(Event="Hangup", Uniqueid="1.2", Linkedid="1.1"), IGNORED_OTHER_LEG),
        (event(Event="Newstate", ChannelState="6", Uniqueid="1.1", Linkedid="1.1"),
         IGNORED_PBX_ANSWERED),
        (event(Event="DialEnd", DialStatus="CANCEL", Uniqueid="1.1", Linkedid="1.1"),
         IGNORED_NOT_ANSWERED),
        (event(Event="BridgeEnter", BridgeType="holding", BridgeNumChannels="2",
               Uniqueid="1.1", Linkedid="1.1"), IGNORED_ALONE_IN_BRIDGE),
    ]  # fmt: skip
    for raw, reason in cases:
        result = map_event(SPEC, raw, received_at=RECEIVED)
        assert isinstance(result, IgnoredAmiEvent) and result.reason == reason, raw


def test_uniqueid_stands_in_for_a_missing_linkedid() -> None:
    raw = event(Event="Cdr", UniqueID="1732540812.84", Source="79161234567", Disposition="BUSY")
    result = map_event(SPEC, raw, received_at=RECEIVED)

    assert isinstance(result, CallEvent)
    assert result.call_id == "office:1732540812.84" and result.outcome is CallOutcome.BUSY
    assert result.event_key == "cdr:1732540812.84:-"
    assert result.at == RECEIVED


def test_cdr_times_are_read_in_the_pbx_time_zone() -> None:
    spec = AsteriskSpec("vladivostok", timezone=ZoneInfo("Asia/Vladivostok"))
    raw = event(Event="Cdr", UniqueID="9.1", StartTime="2024-11-25 16:20:12", AnswerTime="")
    result = map_event(spec, raw, received_at=RECEIVED)

    assert isinstance(result, CallEvent)
    assert result.started_at == datetime(2024, 11, 25, 6, 20, 12, tzinfo=UTC)
    assert result.started_at.utcoffset() == timedelta(hours=10)
    assert result.answered_at is None


@pytest.mark.parametrize(
    ("channel", "peer"),
    [
        ("PJSIP/101-0000001a", "101"),
        ("SIP/101-00000003", "101"),
        ("PJSIP/mts-trunk-0000003d", "mts-trunk"),
        ("Local/102@from-queue-00000005;1", "102"),
        ("IAX2/office-2-1234", None),
        ("", None),
    ],
)
def test_peer_of_channel_names(channel: str, peer: str | None) -> None:
    assert peer_of(channel) == peer


@pytest.mark.parametrize(
    ("channel", "caller", "dialled", "direction"),
    [
        ("PJSIP/mts-00000001", "79161234567", "74951234567", CallDirection.INBOUND),
        ("PJSIP/mts-00000001", None, None, CallDirection.INBOUND),  # a withheld number
        ("PJSIP/101-00000001", "101", "102", CallDirection.INTERNAL),
        ("PJSIP/101-00000001", "101", "89161234567", CallDirection.OUTBOUND),
        # The caller ID says 101, but the call came in on a trunk: inbound.
        ("PJSIP/trunk-00000001", "101", "555", CallDirection.INBOUND),
        ("PJSIP/101-00000001", "101", None, None),
    ],
)
def test_direction(
    channel: str, caller: str | None, dialled: str | None, direction: CallDirection | None
) -> None:
    spec = AsteriskSpec("office", trunk_prefixes=("PJSIP/trunk-",))
    assert classify(spec, channel, caller, dialled) is direction


def test_a_wider_internal_pattern_makes_six_digit_extensions_internal() -> None:
    spec = AsteriskSpec("office", internal_number=re.compile(r"^\d{2,6}$"))
    [appeared, *_] = [
        r
        for e in parse_blocks(
            "Event: Newchannel\nChannel: PJSIP/100200-00000001\nCallerIDNum: 100200\n"
            "Exten: 100300\nUniqueid: 5.1\nLinkedid: 5.1\n"
        )
        if isinstance(r := map_event(spec, e, received_at=RECEIVED), CallEvent)
    ]
    assert appeared.direction is CallDirection.INTERNAL
    assert classify(SPEC, "PJSIP/100200-00000001", "100200", "100300") is CallDirection.INBOUND


def test_a_cdr_is_dated_by_its_end_time_in_the_pbx_zone_not_by_arrival() -> None:
    raw = event(
        Event="Cdr",
        UniqueID="1732548000.97",
        Source="101",
        Destination="89161234567",
        Channel="PJSIP/101-0000003c",
        StartTime="2024-11-25 18:20:00",
        AnswerTime="2024-11-25 18:20:09",
        EndTime="2024-11-25 18:21:40",
        Duration="100",
        BillableSeconds="91",
        Disposition="ANSWERED",
    )
    arrived_much_later = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    result = map_event(SPEC, raw, received_at=arrived_much_later)

    assert isinstance(result, CallEvent)
    assert result.at == result.ended_at == datetime(2024, 11, 25, 15, 21, 40, tzinfo=UTC)
    assert result.answered_at == datetime(2024, 11, 25, 15, 20, 9, tzinfo=UTC)
    assert (result.direction, result.talk_seconds) == (CallDirection.OUTBOUND, 91)


def test_a_utc_pbx_is_read_as_utc_when_configured_so() -> None:
    spec = AsteriskSpec("cloud", timezone=ZoneInfo("UTC"))
    raw = event(Event="Cdr", UniqueID="9.2", EndTime="2024-11-25 15:21:40", Disposition="BUSY")

    result = map_event(spec, raw, received_at=RECEIVED)

    assert isinstance(result, CallEvent)
    assert result.ended_at == datetime(2024, 11, 25, 15, 21, 40, tzinfo=UTC)
