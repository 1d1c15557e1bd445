"""Mango Office VPBX adapter: signed form posts (vpbx_api_key, sign, json) → CallEvent."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.telephony.mango.adapter import MangoCredentials, parse_event, sign
from channels.telephony.mango.const import (
    IGNORED_RECORDING_NOT_READY,
    IGNORED_UNKNOWN_KIND,
    IGNORED_UNKNOWN_STATE,
)
from channels.telephony.model import CallDirection, CallEvent, CallOutcome, CallStage
from channels.telephony.wire import AcceptedCall, HookResult, IgnoredCall

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "t3stvpbxk3y0a1b2c3d4e5f6a7b8c9d0"
API_SALT = "t3stsa1t9z8y7x6w5v4u3t2s1r0q9p8o"
CREDENTIALS = MangoCredentials(api_key=API_KEY, api_salt=API_SALT)
ENTRY = "MzU0NDg3NjE5Mzo3MjE="
IVR_LEG = "MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMTox"
EXTENSION_LEG = "MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMToy"
SIP = "sip:ivanova@vpbx400123456.mangosip.ru"
# Computed outside Python (`printf '%s' "$KEY$JSON$SALT" | sha256sum`), so a mistake in the
# recipe cannot be repeated by the test and cancel out.
SIGN_VECTORS = {
    "call_appeared.json": "fe495be9231be194a018683deb7e90f2c608fc38803e5949113ef0b203094cf2",
    "summary_answered.json": "061e4de1ba52509e006c7e595d7bd7b5fd47c959be8386b59d9fd07c24ff0e8b",
}


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def json_text(name: str) -> str:
    """The json form field exactly as Mango sends it."""
    return (FIXTURES / name).read_text("utf-8")


def form(text: str, *, key: str = API_KEY, signature: str | None = None) -> bytes:
    """The urlencoded body Mango posts, signed by the documented recipe unless told."""
    if signature is None:
        signature = hashlib.sha256((key + text + API_SALT).encode()).hexdigest()
    return urlencode({"vpbx_api_key": key, "sign": signature, "json": text}).encode()


def parse(kind: str, body: bytes) -> HookResult:
    return parse_event(kind, body, CREDENTIALS)


def accept(kind: str, name: str) -> AcceptedCall:
    result = parse(kind, form(json_text(name)))
    assert isinstance(result, AcceptedCall), result
    return result


def edited(name: str, **changes: Any) -> str:
    data = json.loads(json_text(name)) | changes
    return json.dumps(data, ensure_ascii=False)


# --- signature ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), SIGN_VECTORS.items())
def test_sign_matches_the_fixed_vectors(name: str, expected: str) -> None:
    assert sign(API_KEY, json_text(name), API_SALT) == expected


def test_captured_form_body_is_accepted() -> None:
    body = (FIXTURES / "call_appeared.form").read_bytes()
    assert SIGN_VECTORS["call_appeared.json"].encode() in body

    result = parse("call", body)

    assert isinstance(result, AcceptedCall)
    assert result.call.call_id == ENTRY


def test_wrong_sign_is_rejected() -> None:
    with pytest.raises(ChannelAuthFailed, match="sign"):
        parse("call", form(json_text("call_appeared.json"), signature="0" * 64))


def test_sign_over_other_json_is_rejected() -> None:
    signature = SIGN_VECTORS["summary_answered.json"]
    with pytest.raises(ChannelAuthFailed, match="sign"):
        parse("call", form(json_text("call_appeared.json"), signature=signature))


def test_json_changed_after_signing_is_rejected() -> None:
    # The same object re-serialized (spaces after separators) is not what was signed.
    text = json_text("call_appeared.json")
    body = form(json.dumps(json.loads(text)), signature=SIGN_VECTORS["call_appeared.json"])
    with pytest.raises(ChannelAuthFailed):
        parse("call", body)


def test_wrong_api_key_is_rejected_even_when_signed_with_it() -> None:
    with pytest.raises(ChannelAuthFailed, match="vpbx_api_key"):
        parse("call", form(json_text("call_appeared.json"), key="someone-else"))


def test_missing_sign_is_rejected() -> None:
    body = urlencode({"vpbx_api_key": API_KEY, "json": json_text("call_appeared.json")})
    with pytest.raises(ChannelAuthFailed):
        parse("call", body.encode())


def test_uppercase_hex_sign_is_accepted() -> None:
    text = json_text("call_appeared.json")
    upper = sign(API_KEY, text, API_SALT).upper()
    assert isinstance(parse("call", form(text, signature=upper)), AcceptedCall)


def test_unknown_kind_is_checked_then_ignored() -> None:
    text = json_text("dtmf.json")
    assert parse("dtmf", form(text)) == IgnoredCall("dtmf", IGNORED_UNKNOWN_KIND)
    with pytest.raises(ChannelAuthFailed):
        parse("dtmf", form(text, signature="f" * 64))


# --- malformed requests ---------------------------------------------------------------------


def test_missing_json_field_names_it() -> None:
    body = urlencode({"vpbx_api_key": API_KEY, "sign": "x"}).encode()
    with pytest.raises(InvalidSubmission) as caught:
        parse("call", body)
    assert caught.value.field == "json"


def test_truncated_json_signed_as_sent_is_malformed() -> None:
    text = json_text("call_appeared.json")[:60]
    with pytest.raises(MalformedBody, match="malformed json"):
        parse("call", form(text))


def test_json_array_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="object"):
        parse("call", form("[1, 2]"))


def test_repeated_form_field_is_malformed() -> None:
    body = form(json_text("call_appeared.json")) + b"&sign=abc"
    with pytest.raises(MalformedBody, match="sign"):
        parse("call", body)


def test_body_that_is_not_utf8_is_malformed() -> None:
    with pytest.raises(MalformedBody, match="UTF-8"):
        parse("call", b"json=\xff\xfe")


@pytest.mark.parametrize("missing", ["entry_id", "call_id", "seq", "call_state", "timestamp"])
def test_call_event_without_a_required_field_names_it(missing: str) -> None:
    data = json.loads(json_text("call_connected.json"))
    del data[missing]
    with pytest.raises(InvalidSubmission) as caught:
        parse("call", form(json.dumps(data)))
    assert caught.value.field == missing


def test_timestamp_of_the_wrong_type_names_it() -> None:
    text = edited("call_connected.json", timestamp="yesterday")
    with pytest.raises(InvalidSubmission) as caught:
        parse("call", form(text))
    assert caught.value.field == "timestamp"


# --- events/call ----------------------------------------------------------------------------


def test_appeared_on_the_line_is_an_inbound_ringing_call() -> None:
    result = accept("call", "call_appeared.json")

    assert result.call == CallEvent(
        provider="mango",
        call_id=ENTRY,
        event_key=f"call:{IVR_LEG}:1",
        stage=CallStage.APPEARED,
        at=at(1773480605),
        direction=CallDirection.INBOUND,
        seq=1,
        caller="79161234567",
        callee="74951234567",
        line="74951234567",
        started_at=at(1773480605),
    )
    assert result.payload["kind"] == "call"
    assert result.payload["event"]["location"] == "ivr"
    assert "sign" not in json.dumps(result.payload)


def test_connected_is_answered_by_the_extension() -> None:
    call = accept("call", "call_connected.json").call

    assert (call.stage, call.extension, call.callee, call.line) == (
        CallStage.ANSWERED,
        "101",
        SIP,
        "74951234567",
    )
    assert call.answered_at == at(1773480617)
    assert call.external_id == f"mango:{ENTRY}:call:{EXTENSION_LEG}:3"


def test_on_hold_and_disconnected() -> None:
    hold = accept("call", "call_on_hold.json").call
    ended = accept("call", "call_disconnected.json").call

    assert (hold.stage, hold.seq) == (CallStage.ON_HOLD, 4)
    assert (ended.stage, ended.seq, ended.ended_at) == (CallStage.ENDED, 5, at(1773480700))
    assert ended.disconnect_reason == "1110"
    assert ended.outcome is None  # the summary decides answered or missed


def test_every_event_of_a_call_has_its_own_key_and_the_same_call_id() -> None:
    names = [
        "call_appeared.json",
        "call_appeared_extension.json",
        "call_connected.json",
        "call_on_hold.json",
        "call_disconnected.json",
    ]
    calls = [accept("call", name).call for name in names]

    assert {c.call_id for c in calls} == {ENTRY}
    assert len({c.external_id for c in calls}) == len(names)
    assert [c.seq for c in calls] == [1, 2, 3, 4, 5]


def test_a_repeat_maps_to_the_same_external_id() -> None:
    first = accept("call", "call_connected.json")
    again = accept("call", "call_connected.json")
    assert first.call.external_id == again.call.external_id


def test_an_extension_dialling_out_is_outbound() -> None:
    call = accept("call", "call_outbound_appeared.json").call

    assert call.direction is CallDirection.OUTBOUND
    assert (call.extension, call.callee, call.customer_number) == (
        "101",
        "79031112233",
        "79031112233",
    )


def test_unknown_call_state_is_ignored() -> None:
    text = edited("call_connected.json", call_state="Transferring")
    assert parse("call", form(text)) == IgnoredCall("call", IGNORED_UNKNOWN_STATE)


# --- events/summary -------------------------------------------------------------------------


def test_answered_summary() -> None:
    call = accept("summary", "summary_answered.json").call

    assert call == CallEvent(
        provider="mango",
        call_id=ENTRY,
        event_key="summary",
        stage=CallStage.SUMMARY,
        at=at(1773480700),
        direction=CallDirection.INBOUND,
        caller="79161234567",
        callee=SIP,
        line="74951234567",
        extension="101",
        outcome=CallOutcome.ANSWERED,
        started_at=at(1773480605),
        answered_at=at(1773480617),
        ended_at=at(1773480700),
        duration_seconds=95,
        talk_seconds=83,
        disconnect_reason="1110",
    )


def test_missed_summary() -> None:
    call = accept("summary", "summary_missed.json").call

    assert call.outcome is CallOutcome.MISSED
    assert (call.answered_at, call.talk_seconds, call.duration_seconds) == (None, 0, 31)
    assert call.customer_number == "79263334455"
    assert call.extension is None


def test_entry_result_alone_marks_it_answered() -> None:
    text = edited("summary_missed.json", entry_result=1)
    result = parse("summary", form(text))
    assert isinstance(result, AcceptedCall)
    assert result.call.outcome is CallOutcome.ANSWERED


@pytest.mark.parametrize(
    ("code", "direction"),
    [(0, CallDirection.INTERNAL), (1, CallDirection.INBOUND), (2, CallDirection.OUTBOUND)],
)
def test_summary_call_direction(code: int, direction: CallDirection) -> None:
    result = parse("summary", form(edited("summary_answered.json", call_direction=code)))
    assert isinstance(result, AcceptedCall)
    assert result.call.direction is direction


def test_summary_without_end_time_names_it() -> None:
    data = json.loads(json_text("summary_answered.json"))
    del data["end_time"]
    with pytest.raises(InvalidSubmission) as caught:
        parse("summary", form(json.dumps(data)))
    assert caught.value.field == "end_time"


# --- events/recording -----------------------------------------------------------------------


def test_completed_recording() -> None:
    call = accept("recording", "recording_completed.json").call

    assert (call.stage, call.call_id, call.recording_ref, call.extension) == (
        CallStage.RECORDING,
        ENTRY,
        "MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMToyOjE=",
        "101",
    )
    assert call.event_key == "recording:MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMToyOjE="
    assert call.at == at(1773480702)


def test_started_recording_is_ignored() -> None:
    result = parse("recording", form(json_text("recording_started.json")))
    assert result == IgnoredCall("recording", IGNORED_RECORDING_NOT_READY)


# --- the inbox form -------------------------------------------------------------------------


def test_inbound_form_round_trips() -> None:
    call = accept("summary", "summary_answered.json").call
    received = datetime(2026, 3, 14, 9, 31, 41, tzinfo=UTC)

    event = call.to_inbound(received)

    assert (event.channel, event.source, event.external_id) == (
        "call",
        "mango",
        f"mango:{ENTRY}:summary",
    )
    assert event.person.phone == "79161234567"
    assert CallEvent.from_meta(event.meta) == call


def test_huge_numbers_are_refused_not_a_crash() -> None:
    with pytest.raises(MalformedBody):
        parse("call", form('{"seq": ' + "9" * 5000 + "}"))
    with pytest.raises(InvalidSubmission) as caught:
        parse("call", form(edited("call_connected.json", seq="9" * 500)))
    assert caught.value.field == "seq"
    with pytest.raises(InvalidSubmission):
        parse("call", form(edited("call_connected.json", timestamp=10**40)))
