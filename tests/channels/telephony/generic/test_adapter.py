"""Generic signed call webhook: HMAC over timestamp + body, replay window, the JSON schema."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.telephony.generic.adapter import (
    GenericSource,
    StaleTimestamp,
    body_schema,
    parse_event,
    signature,
)
from channels.telephony.generic.const import COUNT_FIELDS, TEXT_FIELDS, TIME_FIELDS
from channels.telephony.model import (
    CallDirection,
    CallEvent,
    CallOutcome,
    CallStage,
)
from channels.telephony.wire import AcceptedCall

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "gen-test-secret-5b8c"
SOURCE = GenericSource(name="calltouch", secret=SECRET)
SENT = "1773480605"
NOW = datetime.fromtimestamp(int(SENT) + 30, UTC)
MSK = timezone(timedelta(hours=3))
# Computed outside Python: printf '%s' "$ts.$body" | openssl dgst -sha256 -hmac "$secret".
VECTORS = {
    "appeared.json": "2063a1c073d47a60325b81c2e168a437bc6b5a18862ad07051eb29c7cfdaef18",
    "summary.json": "1cf481d75a6edd00beb06cba9f153a780802d5216d021b83bd8ef0ee0cc830af",
}


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sign(raw: bytes, timestamp: str = SENT, secret: str = SECRET) -> str:
    """The documented recipe: hex HMAC-SHA256 of timestamp + "." + raw body."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()


def parse(
    raw: bytes, *, timestamp: str | None = SENT, header: str | None = None, now: datetime = NOW
) -> AcceptedCall:
    offered = sign(raw, timestamp or "") if header is None else header
    return parse_event(SOURCE, raw, timestamp, offered, now=now)


def encoded(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def edited(name: str, **changes: Any) -> bytes:
    return encoded(json.loads(body(name)) | changes)


# --- signature and replay window ------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), VECTORS.items())
def test_signature_matches_the_fixed_vectors(name: str, expected: str) -> None:
    assert signature(SECRET, SENT, body(name)) == expected
    assert parse(body(name), header=expected).call.event_key == json.loads(body(name))["id"]


def test_wrong_signature_is_rejected() -> None:
    with pytest.raises(ChannelAuthFailed, match="X-LeadIntake-Signature"):
        parse(body("appeared.json"), header="0" * 64)


def test_signature_under_another_secret_is_rejected() -> None:
    with pytest.raises(ChannelAuthFailed):
        parse(body("appeared.json"), header=sign(body("appeared.json"), secret="other"))


def test_body_changed_after_signing_is_rejected() -> None:
    with pytest.raises(ChannelAuthFailed):
        parse(body("appeared.json") + b" ", header=VECTORS["appeared.json"])


def test_timestamp_is_part_of_what_is_signed() -> None:
    raw = body("appeared.json")
    with pytest.raises(ChannelAuthFailed):
        parse(raw, timestamp="1773480606", header=VECTORS["appeared.json"])


@pytest.mark.parametrize("timestamp", [None, "", "soon", "1773480605.5", "-1"])
def test_missing_or_malformed_timestamp_is_rejected(timestamp: str | None) -> None:
    with pytest.raises(ChannelAuthFailed, match="X-LeadIntake-Timestamp"):
        parse(body("appeared.json"), timestamp=timestamp, header=VECTORS["appeared.json"])


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=6)])
def test_timestamp_outside_the_window_is_a_replay(skew: timedelta) -> None:
    sent_at = datetime.fromtimestamp(int(SENT), UTC)
    with pytest.raises(StaleTimestamp, match="replayed"):
        parse(body("appeared.json"), now=sent_at + skew)


def test_timestamp_at_the_edge_of_the_window_is_accepted() -> None:
    sent_at = datetime.fromtimestamp(int(SENT), UTC)
    assert parse(body("appeared.json"), now=sent_at + timedelta(minutes=5))
    assert parse(body("appeared.json"), now=sent_at - timedelta(minutes=5))


def test_a_forged_request_learns_nothing_about_the_window() -> None:
    # Signature first: an old timestamp with a bad signature is a 403, not a replay (401).
    with pytest.raises(ChannelAuthFailed) as caught:
        parse(body("appeared.json"), header="bad", now=NOW + timedelta(days=1))
    assert not isinstance(caught.value, StaleTimestamp)


# --- mapping --------------------------------------------------------------------------------


def test_summary_maps_every_field() -> None:
    result = parse(body("summary.json"))

    assert result.call == CallEvent(
        provider="calltouch",
        call_id="ct-000123",
        event_key="ct-000123-summary",
        stage=CallStage.SUMMARY,
        at=datetime(2026, 3, 14, 12, 31, 40, tzinfo=MSK),
        direction=CallDirection.INBOUND,
        seq=4,
        caller="+7 916 123-45-67",
        callee="101",
        line="+7 (495) 123-45-67",
        extension="101",
        outcome=CallOutcome.ANSWERED,
        started_at=datetime(2026, 3, 14, 12, 30, 5, tzinfo=MSK),
        answered_at=datetime(2026, 3, 14, 12, 30, 17, tzinfo=MSK),
        ended_at=datetime(2026, 3, 14, 12, 31, 40, tzinfo=MSK),
        duration_seconds=95,
        talk_seconds=83,
        recording_ref="https://records.example-tracker.ru/ct-000123.mp3",
    )
    # Unknown properties are kept with the raw body.
    assert result.payload["body"]["utm_source"] == "yandex"
    assert result.call.external_id == "calltouch:ct-000123:ct-000123-summary"


def test_minimal_event() -> None:
    raw = encoded({"id": "e1", "call_id": "c1", "event": "ended", "at": "2026-03-14T09:30:05Z"})
    call = parse(raw).call
    assert (call.stage, call.at, call.direction, call.outcome) == (
        CallStage.ENDED,
        datetime(2026, 3, 14, 9, 30, 5, tzinfo=UTC),
        None,
        None,
    )


def test_pretty_printed_body_is_accepted_as_signed() -> None:
    call = parse(body("answered.json")).call
    assert (call.stage, call.extension, call.seq) == (CallStage.ANSWERED, "101", 2)


@pytest.mark.parametrize("missing", ["id", "call_id", "event", "at"])
def test_missing_required_field_is_named(missing: str) -> None:
    data = json.loads(body("appeared.json"))
    del data[missing]
    with pytest.raises(InvalidSubmission) as caught:
        parse(encoded(data))
    assert caught.value.field == missing


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event", "ringing"),
        ("direction", "sideways"),
        ("outcome", "voicemail"),
        ("at", "2026-03-14T12:30:05"),  # no offset
        ("at", "yesterday"),
        ("ended_at", "2026-03-14 12:30"),
        ("caller", 79161234567),
        ("seq", -1),
        ("seq", "3"),
        ("duration_seconds", 1.5),
        ("talk_seconds", True),
        ("id", "x" * 201),
    ],
)
def test_invalid_field_is_named(field: str, value: object) -> None:
    with pytest.raises(InvalidSubmission) as caught:
        parse(edited("appeared.json", **{field: value}))
    assert caught.value.field == field


@pytest.mark.parametrize("raw", [b'{"id": "e1", "call_id"', b"[]", b"\xff\xfe", b"", b"null"])
def test_truncated_or_non_object_body_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        parse(raw)


# --- the published schema -------------------------------------------------------------------


def test_schema_lists_what_the_adapter_reads() -> None:
    schema = body_schema()
    properties = schema["properties"]

    assert set(schema["required"]) == {"id", "call_id", "event", "at"}
    assert properties["event"]["enum"] == [s.value for s in CallStage]
    assert properties["direction"]["enum"] == [d.value for d in CallDirection]
    assert properties["outcome"]["enum"] == [o.value for o in CallOutcome]
    read = {"id", "call_id", "event", "at", "direction", "outcome"}
    read |= set(TEXT_FIELDS) | set(TIME_FIELDS) | set(COUNT_FIELDS)
    assert set(properties) == read


def test_absurd_signed_timestamp_is_a_replay_not_a_crash() -> None:
    raw = body("appeared.json")
    with pytest.raises(StaleTimestamp):
        parse(raw, timestamp="999999999999")


def test_colon_in_call_id_is_refused() -> None:
    # external_id is call_id:id, so "a:b" + "c" and "a" + "b:c" would be the same row.
    with pytest.raises(InvalidSubmission) as caught:
        parse(edited("appeared.json", call_id="ct:000123"))
    assert caught.value.field == "call_id"


@pytest.mark.parametrize("raw", [b'{"seq": ' + b"9" * 5000 + b"}", b"[" * 100_000])
def test_hostile_json_is_malformed_not_a_crash(raw: bytes) -> None:
    with pytest.raises(MalformedBody):
        parse(raw)


def test_huge_count_is_refused() -> None:
    with pytest.raises(InvalidSubmission):
        parse(edited("appeared.json", seq=10**30))
