"""Cloud-PBX webhooks over HTTP: each event is one inbox row, repeats and forgeries are not.

The worker's handling of channel "call" is another feature; these tests look at the inbox,
which is what the webhooks promise: stored durably before the 200, once per provider event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from config import Settings, load_settings
from crm_core.model import InboxItem
from tests.channels.telephony.zadarma.test_adapter import php_signature
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service

CHANNELS = Path(__file__).parents[1] / "channels" / "telephony"
MANGO_FIXTURES = CHANNELS / "mango" / "fixtures"
ZADARMA_FIXTURES = CHANNELS / "zadarma" / "fixtures"
GENERIC_FIXTURES = CHANNELS / "generic" / "fixtures"
MANGO_KEY = "t3stvpbxk3y0a1b2c3d4e5f6a7b8c9d0"
MANGO_SALT = "t3stsa1t9z8y7x6w5v4u3t2s1r0q9p8o"
ZADARMA_SECRET = "zd7e5t5ecret0a1b2c3d4"
NOVOFON_SECRET = "nf-e2e-secret"
GENERIC_SECRET = "gen-test-secret-5b8c"
ENTRY = "MzU0NDg3NjE5Mzo3MjE="
ZADARMA_CALL = "in_8c3e1f0a9b2d4c6e8f0a1b3c5d7e9f1a2b3c4d5e"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TELEPHONY_CONFIG = """
[telephony.mango]

[telephony.zadarma]

[[telephony.generic]]
name = "calltouch"
"""
ENV = {
    "LEADINTAKE_MANGO_API_KEY": MANGO_KEY,
    "LEADINTAKE_MANGO_API_SALT": MANGO_SALT,
    "LEADINTAKE_ZADARMA_SECRET": ZADARMA_SECRET,
    "LEADINTAKE_NOVOFON_SECRET": NOVOFON_SECRET,
    "LEADINTAKE_TELEPHONY_CALLTOUCH_SECRET": GENERIC_SECRET,
}


def telephony_settings(tmp_path: Path) -> Settings:
    """The test config plus every telephony provider, secrets from the environment."""
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + TELEPHONY_CONFIG, "utf-8")
    return load_settings(path, environ=ENV)


@pytest.fixture
async def pbx_service(tmp_path: Path) -> AsyncIterator[Running]:
    """The service with every telephony provider configured, on SQLite."""
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(telephony_settings(tmp_path), storage) as running,
    ):
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
async def pbx_any_db_service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with every telephony provider configured, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(telephony_settings(tmp_path), storage) as running,
    ):
        yield running


@dataclass(frozen=True)
class Answer:
    """What the hook answered."""

    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        """The body as JSON (error and generic answers)."""
        return json.loads(self.text)


async def post(
    running: Running, url: str, body: bytes, headers: dict[str, str] | None = None
) -> Answer:
    """POST a body as the PBX does (a urlencoded form unless the headers say otherwise)."""
    async with running.client.post(url, data=body, headers=headers or FORM) as response:
        return Answer(response.status, response.content_type, await response.text())


async def call_rows(running: Running) -> list[InboxItem]:
    """Every stored inbox row of channel "call" (ids may have gaps after conflicts)."""
    rows = []
    async with running.services.storage.reader() as uow:
        for intake_id in range(1, 60):
            item = await uow.inbox.get(intake_id)
            if item is not None and item.channel == "call":
                rows.append(item)
    return rows


async def metric(running: Running, outcome: str) -> str | None:
    """The call intake counter line for an outcome, if it was ever incremented."""
    async with running.client.get("/metrics") as response:
        text = await response.text()
    prefix = f'leadintake_intake_requests_total{{channel="call",outcome="{outcome}"}} '
    return next((line for line in text.splitlines() if line.startswith(prefix)), None)


# --- Mango Office ---------------------------------------------------------------------------


def mango_body(name: str, *, salt: str = MANGO_SALT, text: str | None = None) -> bytes:
    """The form Mango posts for a fixture's json, signed by the documented recipe."""
    if text is None:
        text = (MANGO_FIXTURES / name).read_text("utf-8")
    sign = hashlib.sha256(f"{MANGO_KEY}{text}{salt}".encode()).hexdigest()
    return urlencode({"vpbx_api_key": MANGO_KEY, "sign": sign, "json": text}).encode()


def mango_url(kind: str) -> str:
    return f"/hooks/telephony/mango/events/{kind}"


async def test_mango_events_are_stored_once_each(pbx_any_db_service: Running) -> None:
    running = pbx_any_db_service
    sent = [
        ("call", "call_appeared.json"),
        ("call", "call_connected.json"),
        ("call", "call_disconnected.json"),
        ("summary", "summary_answered.json"),
        ("recording", "recording_completed.json"),
    ]
    for kind, name in sent:
        assert await post(running, mango_url(kind), mango_body(name)) == Answer(
            200, "text/plain", ""
        )
    # Mango re-sends what it thinks was lost; nothing new is stored.
    again = await post(running, mango_url("call"), mango_body("call_connected.json"))

    assert again.status == 200
    rows = await call_rows(running)
    assert [r.external_id for r in rows] == [
        f"mango:{ENTRY}:call:MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMTox:1",
        f"mango:{ENTRY}:call:MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMToy:3",
        f"mango:{ENTRY}:call:MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMToy:5",
        f"mango:{ENTRY}:summary",
        f"mango:{ENTRY}:recording:MToxMDI3NDU5OTozNTQ0ODc2MTkzOjcyMToyOjE=",
    ]
    assert {r.source for r in rows} == {"mango"}
    summary = rows[3]
    assert summary.event["meta"]["outcome"] == "answered"
    assert summary.event["meta"]["talk_seconds"] == "83"
    assert summary.payload["provider"] == "mango"
    assert summary.payload["event"]["entry_result"] == 1
    assert "sign" not in summary.payload
    assert MANGO_KEY not in json.dumps(summary.payload) + json.dumps(summary.headers)
    assert (await metric(running, "duplicate") or "").endswith(" 1.0")


async def test_mango_wrong_sign_is_403_and_stores_nothing(pbx_service: Running) -> None:
    answer = await post(
        pbx_service, mango_url("call"), mango_body("call_appeared.json", salt="guess")
    )

    assert answer.status == 403
    assert answer.json() == {
        "error": "forbidden",
        "field": "sign",
        "message": "missing or wrong sign",
    }
    assert await call_rows(pbx_service) == []
    assert await metric(pbx_service, "rejected") is not None


async def test_mango_truncated_json_is_400(pbx_service: Running) -> None:
    text = (MANGO_FIXTURES / "call_appeared.json").read_text("utf-8")[:80]

    answer = await post(pbx_service, mango_url("call"), mango_body("", text=text))

    assert answer.status == 400
    assert (answer.json()["error"], answer.json()["field"]) == ("malformed_body", "body")
    assert await call_rows(pbx_service) == []


async def test_mango_missing_field_is_400_naming_it(pbx_service: Running) -> None:
    data = json.loads((MANGO_FIXTURES / "summary_answered.json").read_text("utf-8"))
    del data["entry_id"]

    answer = await post(pbx_service, mango_url("summary"), mango_body("", text=json.dumps(data)))

    assert answer.status == 400
    assert answer.json()["field"] == "entry_id"
    assert await call_rows(pbx_service) == []


async def test_mango_events_without_use_are_acknowledged_not_stored(pbx_service: Running) -> None:
    dtmf = await post(pbx_service, mango_url("dtmf"), mango_body("dtmf.json"))
    started = await post(pbx_service, mango_url("recording"), mango_body("recording_started.json"))

    assert (dtmf.status, started.status) == (200, 200)
    assert await call_rows(pbx_service) == []
    assert (await metric(pbx_service, "ignored") or "").endswith(" 2.0")


async def test_mango_json_body_is_415(pbx_service: Running) -> None:
    body = (MANGO_FIXTURES / "call_appeared.json").read_bytes()
    answer = await post(pbx_service, mango_url("call"), body, {"Content-Type": "application/json"})
    assert answer.status == 415
    assert answer.json()["field"] == "Content-Type"


async def test_unconfigured_providers_are_404(service: Running) -> None:
    """The plain test configuration sets no telephony secret and no generic source."""
    mango = await post(service, mango_url("call"), mango_body("call_appeared.json"))
    zadarma = await post(service, "/hooks/telephony/zadarma", b"event=NOTIFY_START")
    async with service.client.get("/hooks/telephony/novofon?zd_echo=abc") as response:
        echo = Answer(response.status, response.content_type, await response.text())
    generic = await post(
        service, "/hooks/telephony/generic/calltouch", b"{}", {"Content-Type": "application/json"}
    )

    assert (mango.status, zadarma.status, echo.status, generic.status) == (404, 404, 404, 404)
    assert mango.json()["error"] == "not_configured"
    assert "LEADINTAKE_MANGO_API_KEY" in mango.json()["message"]
    assert "LEADINTAKE_NOVOFON_SECRET" in echo.json()["message"]
    assert generic.json()["error"] == "unknown_source"


# --- Zadarma / Novofon ----------------------------------------------------------------------


def zadarma_body(name: str) -> bytes:
    return (ZADARMA_FIXTURES / name).read_bytes()


def zadarma_headers(name: str, secret: str = ZADARMA_SECRET) -> dict[str, str]:
    """The Signature header by the documented recipe for the fixture's event."""
    form = dict(parse_qsl(zadarma_body(name).decode(), keep_blank_values=True))
    keys = {
        "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
        "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
        "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
        "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
    }.get(form["event"], ("caller_id", "called_did", "call_start"))
    data = "".join(form[k] for k in keys)
    return FORM | {"Signature": php_signature(data, secret)}


async def test_zd_echo_is_answered_as_plain_text(pbx_service: Running) -> None:
    async with pbx_service.client.get("/hooks/telephony/zadarma?zd_echo=f3a9c1") as response:
        got = Answer(response.status, response.content_type, await response.text())
    posted = await post(pbx_service, "/hooks/telephony/zadarma?zd_echo=77aa", b"")
    async with pbx_service.client.get("/hooks/telephony/zadarma") as response:
        missing = response.status

    assert got == Answer(200, "text/plain", "f3a9c1")
    assert posted == Answer(200, "text/plain", "77aa")
    assert missing == 400


async def test_zadarma_call_is_stored_event_by_event(pbx_any_db_service: Running) -> None:
    running = pbx_any_db_service
    names = [
        "notify_start.form",
        "notify_internal_101.form",
        "notify_internal_102.form",
        "notify_answer.form",
        "notify_end.form",
        "notify_record.form",
    ]
    for name in names:
        answer = await post(
            running, "/hooks/telephony/zadarma", zadarma_body(name), zadarma_headers(name)
        )
        assert answer.status == 200, answer
    repeat = await post(
        running,
        "/hooks/telephony/zadarma",
        zadarma_body("notify_end.form"),
        zadarma_headers("notify_end.form"),
    )

    assert repeat.status == 200
    rows = await call_rows(running)
    assert [r.external_id.removeprefix(f"zadarma:{ZADARMA_CALL}:") for r in rows] == [
        "NOTIFY_START",
        "NOTIFY_INTERNAL:101",
        "NOTIFY_INTERNAL:102",
        "NOTIFY_ANSWER:101",
        "NOTIFY_END",
        "NOTIFY_RECORD:1773480605.4871236",
    ]
    end = rows[4]
    assert end.source == "zadarma"
    assert end.event["meta"]["outcome"] == "answered"
    assert end.event["meta"]["started_at"] == "2026-03-14T12:30:05+03:00"
    assert end.payload["form"]["status_code"] == "16"
    assert end.payload["form"]["is_recorded"] == "1"


async def test_zadarma_wrong_signature_is_403_and_stores_nothing(pbx_service: Running) -> None:
    name = "notify_start.form"
    wrong = await post(
        pbx_service, "/hooks/telephony/zadarma", zadarma_body(name), zadarma_headers(name, "x")
    )
    unsigned = await post(pbx_service, "/hooks/telephony/zadarma", zadarma_body(name))

    assert (wrong.status, unsigned.status) == (403, 403)
    assert wrong.json()["field"] == "Signature"
    assert await call_rows(pbx_service) == []


async def test_novofon_has_its_own_route_and_secret(pbx_service: Running) -> None:
    name = "notify_start.form"
    with_zadarma_secret = await post(
        pbx_service, "/hooks/telephony/novofon", zadarma_body(name), zadarma_headers(name)
    )
    ok = await post(
        pbx_service,
        "/hooks/telephony/novofon",
        zadarma_body(name),
        zadarma_headers(name, NOVOFON_SECRET),
    )

    assert (with_zadarma_secret.status, ok.status) == (403, 200)
    [row] = await call_rows(pbx_service)
    assert (row.source, row.external_id) == ("novofon", f"novofon:{ZADARMA_CALL}:NOTIFY_START")


async def test_zadarma_unknown_event_is_acknowledged_not_stored(pbx_service: Running) -> None:
    answer = await post(pbx_service, "/hooks/telephony/zadarma", zadarma_body("sms.form"))

    assert answer.status == 200
    assert await call_rows(pbx_service) == []


async def test_zadarma_missing_event_is_400(pbx_service: Running) -> None:
    answer = await post(pbx_service, "/hooks/telephony/zadarma", b"pbx_call_id=in_1")

    assert answer.status == 400
    assert answer.json()["field"] == "event"


# --- generic --------------------------------------------------------------------------------

GENERIC = "/hooks/telephony/generic/calltouch"


def generic_headers(
    body: bytes, *, at: int | None = None, secret: str = GENERIC_SECRET
) -> dict[str, str]:
    timestamp = str(int(time.time()) if at is None else at)
    signed = timestamp.encode() + b"." + body
    return {
        "Content-Type": "application/json",
        "X-LeadIntake-Timestamp": timestamp,
        "X-LeadIntake-Signature": hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest(),
    }


async def test_generic_event_is_stored_once(pbx_any_db_service: Running) -> None:
    running = pbx_any_db_service
    body = (GENERIC_FIXTURES / "summary.json").read_bytes()

    first = await post(running, GENERIC, body, generic_headers(body))
    again = await post(running, GENERIC, body, generic_headers(body))

    assert first.status == again.status == 200
    assert first.json() == {
        "intake_id": first.json()["intake_id"],
        "status": "accepted",
        "duplicate": False,
    }
    assert again.json() == first.json() | {"duplicate": True}
    [row] = await call_rows(running)
    assert (row.source, row.external_id) == ("calltouch", "calltouch:ct-000123:ct-000123-summary")
    assert row.payload["body"]["utm_source"] == "yandex"
    assert row.event["meta"]["recording_ref"].endswith("ct-000123.mp3")
    assert "X-LeadIntake-Timestamp" in row.headers
    assert "X-LeadIntake-Signature" not in row.headers


async def test_generic_bad_signature_is_403(pbx_service: Running) -> None:
    body = (GENERIC_FIXTURES / "appeared.json").read_bytes()

    answer = await post(pbx_service, GENERIC, body, generic_headers(body, secret="guess"))

    assert answer.status == 403
    assert answer.json()["field"] == "X-LeadIntake-Signature"
    assert await call_rows(pbx_service) == []


async def test_generic_replay_outside_the_window_is_401(pbx_service: Running) -> None:
    body = (GENERIC_FIXTURES / "appeared.json").read_bytes()
    old = int(time.time()) - 10 * 60

    answer = await post(pbx_service, GENERIC, body, generic_headers(body, at=old))

    assert answer.status == 401
    assert answer.json()["error"] == "stale_timestamp"
    assert answer.json()["field"] == "X-LeadIntake-Timestamp"
    assert await call_rows(pbx_service) == []


async def test_generic_truncated_body_is_400(pbx_service: Running) -> None:
    body = (GENERIC_FIXTURES / "appeared.json").read_bytes()[:40]

    answer = await post(pbx_service, GENERIC, body, generic_headers(body))

    assert answer.status == 400
    assert answer.json()["error"] == "malformed_body"
    assert await call_rows(pbx_service) == []


async def test_generic_unknown_event_is_400_naming_it(pbx_service: Running) -> None:
    data = json.loads((GENERIC_FIXTURES / "appeared.json").read_bytes()) | {"event": "ringing"}
    body = json.dumps(data).encode()

    answer = await post(pbx_service, GENERIC, body, generic_headers(body))

    assert answer.status == 400
    assert (answer.json()["error"], answer.json()["field"]) == ("invalid_field", "event")
    assert await call_rows(pbx_service) == []


async def test_generic_unknown_source_is_404(pbx_service: Running) -> None:
    body = (GENERIC_FIXTURES / "appeared.json").read_bytes()

    answer = await post(pbx_service, "/hooks/telephony/generic/other", body, generic_headers(body))

    assert answer.status == 404
    assert answer.json()["field"] == "source"


async def test_generic_without_timestamp_is_403_naming_it(pbx_service: Running) -> None:
    body = (GENERIC_FIXTURES / "appeared.json").read_bytes()
    headers = generic_headers(body)
    del headers["X-LeadIntake-Timestamp"]

    answer = await post(pbx_service, GENERIC, body, headers)

    assert answer.status == 403
    assert answer.json()["field"] == "X-LeadIntake-Timestamp"
    assert await call_rows(pbx_service) == []
