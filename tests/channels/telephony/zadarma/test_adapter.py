"""Zadarma/Novofon adapter: notification form posts + Signature header → CallEvent or ignore."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import pytest

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.telephony.model import CallDirection, CallEvent, CallOutcome, CallStage
from channels.telephony.wire import AcceptedCall, HookResult, IgnoredCall
from channels.telephony.zadarma.adapter import (
    ZadarmaSpec,
    parse_notification,
    signature,
    signed_string,
)
from channels.telephony.zadarma.const import (
    DISPOSITIONS,
    IGNORED_IVR,
    IGNORED_UNKNOWN_EVENT,
)

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "zd7e5t5ecret0a1b2c3d4"
SPEC = ZadarmaSpec(provider="zadarma", secret=SECRET)
RECEIVED_AT = datetime(2026, 3, 14, 9, 31, 41, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")
CALL = "in_8c3e1f0a9b2d4c6e8f0a1b3c5d7e9f1a2b3c4d5e"
OUT_CALL = "out_5d2a7c9e1b3f4a6c8e0d2f4b6a8c0e2d4f6a8b0c"
STARTED = datetime(2026, 3, 14, 12, 30, 5, tzinfo=MOSCOW)
# Computed outside Python: printf '%s' "$data" | openssl dgst -sha1 -hmac "$secret" -r, the
# hex digest then piped through base64 (what PHP's base64_encode(hash_hmac(...)) yields).
SIGNATURE_VECTORS = {
    "79161234567749512345672026-03-14 12:30:05": (
        "NTcxYWNiYjE5ODg5YWNkYTY5MzA3YTIxZTkwNDJmZjRiZDlkZGM3MQ=="
    ),
    "791612345671012026-03-14 12:30:05": (
        "NWVlM2NlZmZlNzY1MTZiNzdlMmNiNDdhYTFlYjJmYmJkY2RmODg2OA=="
    ),
    "101790311122332026-03-14 13:00:00": (
        "YWNjMzVkMmY3MjE0ZDMwNjBjZWM4NTU1M2MyM2VkYjc2NDllNjM5MQ=="
    ),
    f"{CALL}1773480605.4871236": "N2MyZDQ4MjViMTJkOTY0NTBmMGIwMTQwOTc4ODI4ZjMzMzE4NjJkOA==",
}
# Which fixture's signed string each vector is.
VECTOR_FIXTURES = {
    "notify_start.form": "79161234567749512345672026-03-14 12:30:05",
    "notify_end.form": "79161234567749512345672026-03-14 12:30:05",
    "notify_answer.form": "791612345671012026-03-14 12:30:05",
    "notify_out_start.form": "101790311122332026-03-14 13:00:00",
    "notify_out_end.form": "101790311122332026-03-14 13:00:00",
    "notify_record.form": f"{CALL}1773480605.4871236",
}


def body(name: str) -> bytes:
    """A notification body exactly as the PBX posts it."""
    return (FIXTURES / name).read_bytes()


def fields(name: str) -> dict[str, str]:
    return dict(parse_qsl(body(name).decode(), keep_blank_values=True))


def php_signature(data: str, secret: str = SECRET) -> str:
    """The documented recipe: base64 of the lowercase hex HMAC-SHA1."""
    hex_digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(hex_digest.encode()).decode()


def signed(name: str) -> str:
    form = fields(name)
    event = form["event"]
    if event in ("NOTIFY_OUT_START", "NOTIFY_OUT_END"):
        data = form["internal"] + form["destination"] + form["call_start"]
    elif event == "NOTIFY_ANSWER":
        data = form["caller_id"] + form["destination"] + form["call_start"]
    elif event == "NOTIFY_RECORD":
        data = form["pbx_call_id"] + form["call_id_with_rec"]
    else:
        data = form["caller_id"] + form["called_did"] + form["call_start"]
    return php_signature(data)


def parse(raw: bytes, header: str | None, spec: ZadarmaSpec = SPEC) -> HookResult:
    return parse_notification(spec, raw, header, received_at=RECEIVED_AT)


def accept(name: str, spec: ZadarmaSpec = SPEC) -> CallEvent:
    result = parse(body(name), signed(name), spec)
    assert isinstance(result, AcceptedCall), result
    assert result.payload == {"event": fields(name)["event"], "form": fields(name)}
    return result.call


# --- signature ------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), SIGNATURE_VECTORS.items())
def test_signature_matches_the_fixed_vectors(data: str, expected: str) -> None:
    assert signature(data, SECRET) == expected
    assert php_signature(data) == expected


@pytest.mark.parametrize(("name", "data"), VECTOR_FIXTURES.items())
def test_each_event_signs_its_documented_fields(name: str, data: str) -> None:
    form = fields(name)
    assert signed_string(form["event"], form) == data
    assert isinstance(parse(body(name), SIGNATURE_VECTORS[data]), AcceptedCall)


def test_signature_is_base64_of_the_hex_digest_not_of_the_raw_digest() -> None:
    raw = hmac.new(SECRET.encode(), b"x", hashlib.sha1).digest()
    assert signature("x", SECRET) != base64.b64encode(raw).decode()
    assert base64.b64decode(signature("x", SECRET)).decode().isalnum()


def test_wrong_signature_is_rejected() -> None:
    with pytest.raises(ChannelAuthFailed, match="Signature"):
        parse(body("notify_start.form"), php_signature("anything"))


def test_missing_signature_is_rejected() -> None:
    with pytest.raises(ChannelAuthFailed):
        parse(body("notify_start.form"), None)


def test_signature_with_another_secret_is_rejected() -> None:
    form = fields("notify_start.form")
    header = php_signature(signed_string("NOTIFY_START", form), secret="other")
    with pytest.raises(ChannelAuthFailed):
        parse(body("notify_start.form"), header)


def test_a_changed_signed_field_is_rejected() -> None:
    raw = body("notify_start.form").replace(b"79161234567", b"79990000000")
    with pytest.raises(ChannelAuthFailed):
        parse(raw, signed("notify_start.form"))


# --- inbound call ---------------------------------------------------------------------------


def test_notify_start() -> None:
    assert accept("notify_start.form") == CallEvent(
        provider="zadarma",
        call_id=CALL,
        event_key="NOTIFY_START",
        stage=CallStage.APPEARED,
        at=STARTED,
        direction=CallDirection.INBOUND,
        caller="79161234567",
        line="74951234567",
        started_at=STARTED,
    )


def test_call_start_is_read_in_the_configured_zone() -> None:
    spec = ZadarmaSpec(provider="zadarma", secret=SECRET, timezone="Asia/Yekaterinburg")
    call = accept("notify_start.form", spec)
    assert call.at == datetime(2026, 3, 14, 7, 30, 5, tzinfo=UTC)
    assert call.at.utcoffset() is not None


def test_each_ringing_extension_is_its_own_event() -> None:
    first = accept("notify_internal_101.form")
    second = accept("notify_internal_102.form")

    assert (first.stage, first.extension, first.event_key) == (
        CallStage.APPEARED,
        "101",
        "NOTIFY_INTERNAL:101",
    )
    assert second.event_key == "NOTIFY_INTERNAL:102"
    assert first.external_id != second.external_id
    assert first.at == RECEIVED_AT


def test_notify_answer() -> None:
    call = accept("notify_answer.form")

    assert (call.stage, call.event_key, call.extension, call.callee) == (
        CallStage.ANSWERED,
        "NOTIFY_ANSWER:101",
        "101",
        "101",
    )
    assert (call.answered_at, call.started_at) == (RECEIVED_AT, STARTED)
    assert call.customer_number == "79161234567"


def test_notify_end_answered_and_recorded() -> None:
    call = accept("notify_end.form")
    ended = STARTED + timedelta(seconds=83)

    assert call == CallEvent(
        provider="zadarma",
        call_id=CALL,
        event_key="NOTIFY_END",
        stage=CallStage.ENDED,
        at=ended,
        direction=CallDirection.INBOUND,
        caller="79161234567",
        line="74951234567",
        extension="101",
        outcome=CallOutcome.ANSWERED,
        started_at=STARTED,
        answered_at=STARTED,
        ended_at=ended,
        duration_seconds=83,
        talk_seconds=83,
        recording_ref="1773480605.4871236",
        disconnect_reason="16",
    )


def test_notify_end_of_a_2024_call_ends_in_2024_whenever_it_arrives() -> None:
    form = fields("notify_end.form") | {"call_start": "2024-11-25 16:20:00", "duration": "95"}
    raw = urlencode(form).encode()
    data = form["caller_id"] + form["called_did"] + form["call_start"]

    result = parse(raw, php_signature(data))

    assert isinstance(result, AcceptedCall)
    expected_end = datetime(2024, 11, 25, 13, 21, 35, tzinfo=UTC)  # 16:21:35 in Moscow
    assert (result.call.at, result.call.ended_at) == (expected_end, expected_end)
    assert result.call.started_at == datetime(2024, 11, 25, 13, 20, tzinfo=UTC)


def test_notify_end_times_are_read_in_the_configured_zone() -> None:
    spec = ZadarmaSpec(provider="zadarma", secret=SECRET, timezone="Asia/Yekaterinburg")

    call = accept("notify_end.form", spec)

    assert call.ended_at == datetime(2026, 3, 14, 7, 31, 28, tzinfo=UTC)


def test_an_unanswered_call_ends_at_its_start_and_has_no_talk() -> None:
    call = accept("notify_end_no_answer.form")

    assert call.ended_at == call.started_at == call.at
    assert (call.answered_at, call.talk_seconds) == (None, None)


def test_an_answered_outbound_call_keeps_its_answer_and_talk_seconds() -> None:
    form = fields("notify_out_end.form") | {"duration": "47", "disposition": "answered"}
    data = form["internal"] + form["destination"] + form["call_start"]

    result = parse(urlencode(form).encode(), php_signature(data))

    assert isinstance(result, AcceptedCall)
    started = datetime(2026, 3, 14, 13, 0, tzinfo=MOSCOW)
    call = result.call
    assert (call.direction, call.outcome) == (CallDirection.OUTBOUND, CallOutcome.ANSWERED)
    assert (call.answered_at, call.talk_seconds) == (started, 47)
    assert call.ended_at == started + timedelta(seconds=47)


def test_notify_end_not_answered_is_missed() -> None:
    call = accept("notify_end_no_answer.form")
    assert (call.outcome, call.recording_ref, call.extension) == (CallOutcome.MISSED, None, None)
    assert call.disconnect_reason == "19"


@pytest.mark.parametrize(
    ("disposition", "outcome"),
    [
        ("answered", CallOutcome.ANSWERED),
        ("busy", CallOutcome.BUSY),
        ("cancel", CallOutcome.MISSED),
        ("no answer", CallOutcome.MISSED),
        ("failed", CallOutcome.FAILED),
        ("no money", CallOutcome.FAILED),
        ("unallocated number", CallOutcome.FAILED),
        ("no limit", CallOutcome.FAILED),
        ("no day limit", CallOutcome.FAILED),
        ("line limit", CallOutcome.FAILED),
        ("no money, no limit", CallOutcome.FAILED),
        ("something new", None),
    ],
)
def test_disposition_maps_to_outcome(disposition: str, outcome: CallOutcome | None) -> None:
    form = fields("notify_end.form") | {"disposition": disposition}
    result = parse(urlencode(form).encode(), signed("notify_end.form"))
    assert isinstance(result, AcceptedCall)
    assert result.call.outcome is outcome


def test_every_documented_disposition_is_mapped() -> None:
    documented = {
        "answered",
        "busy",
        "cancel",
        "no answer",
        "failed",
        "no money",
        "unallocated number",
        "no limit",
        "no day limit",
        "line limit",
        "no money, no limit",
    }
    assert documented <= set(DISPOSITIONS)


# --- outbound call and recording ------------------------------------------------------------


def test_outbound_start_and_end() -> None:
    start = accept("notify_out_start.form")
    end = accept("notify_out_end.form")
    started = datetime(2026, 3, 14, 13, 0, tzinfo=MOSCOW)

    assert (start.direction, start.stage, start.at, start.event_key) == (
        CallDirection.OUTBOUND,
        CallStage.APPEARED,
        started,
        "NOTIFY_OUT_START",
    )
    assert (start.callee, start.extension, start.line, start.customer_number) == (
        "79031112233",
        "101",
        "74951234567",
        "79031112233",
    )
    assert (end.stage, end.outcome, end.call_id, end.duration_seconds) == (
        CallStage.ENDED,
        CallOutcome.BUSY,
        OUT_CALL,
        0,
    )


def test_notify_record() -> None:
    call = accept("notify_record.form")
    assert (call.stage, call.recording_ref, call.event_key) == (
        CallStage.RECORDING,
        "1773480605.4871236",
        "NOTIFY_RECORD:1773480605.4871236",
    )


def test_novofon_uses_the_same_format() -> None:
    spec = ZadarmaSpec(provider="novofon", secret=SECRET)
    call = accept("notify_start.form", spec)
    assert call.provider == "novofon"
    assert call.to_inbound(RECEIVED_AT).source == "novofon"


# --- ignored and malformed ------------------------------------------------------------------


def test_ivr_is_verified_then_ignored() -> None:
    assert parse(body("notify_ivr.form"), signed("notify_ivr.form")) == IgnoredCall(
        "NOTIFY_IVR", IGNORED_IVR
    )
    with pytest.raises(ChannelAuthFailed):
        parse(body("notify_ivr.form"), "bogus")


def test_unknown_event_is_ignored() -> None:
    assert parse(body("sms.form"), None) == IgnoredCall("SMS", IGNORED_UNKNOWN_EVENT)


def test_missing_event_names_it() -> None:
    with pytest.raises(InvalidSubmission) as caught:
        parse(b"pbx_call_id=in_1", None)
    assert caught.value.field == "event"


def test_missing_call_id_names_it_after_the_signature() -> None:
    form = fields("notify_start.form")
    del form["pbx_call_id"]
    with pytest.raises(InvalidSubmission) as caught:
        parse(urlencode(form).encode(), signed("notify_start.form"))
    assert caught.value.field == "pbx_call_id"


def test_malformed_call_start_names_it() -> None:
    form = fields("notify_start.form") | {"call_start": "14.03.2026 12:30"}
    data = form["caller_id"] + form["called_did"] + form["call_start"]
    with pytest.raises(InvalidSubmission) as caught:
        parse(urlencode(form).encode(), php_signature(data))
    assert caught.value.field == "call_start"


def test_repeated_field_is_malformed() -> None:
    with pytest.raises(MalformedBody):
        parse(body("notify_start.form") + b"&caller_id=1", signed("notify_start.form"))
