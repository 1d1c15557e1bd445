"""Call times come from the PBX's own fields: a late or re-sent event does not date the call."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from tests.channels.telephony.zadarma.test_adapter import php_signature
from tests.e2e.conftest import Running
from tests.e2e.test_telephony_hooks import FORM, pbx_any_db_service, post

__all__ = ["pbx_any_db_service"]  # the fixture, re-exported for pytest

OUT_CALL = "out_2024_5d2a7c9e1b3f4a6c8e0d2f4b6a8c0e2d"
IN_CALL = "in_2024_8c3e1f0a9b2d4c6e8f0a1b3c5d7e9f1a"


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def msk(*parts: int) -> datetime:
    """A Moscow wall-clock time (the configured PBX zone)."""
    return datetime(*parts, tzinfo=ZoneInfo("Europe/Moscow"))  # type: ignore[misc]


def signed(form: dict[str, str], *keys: str) -> tuple[bytes, dict[str, str]]:
    """A Zadarma notification body and its Signature header."""
    data = "".join(form[k] for k in keys)
    return urlencode(form).encode(), FORM | {"Signature": php_signature(data)}


async def notify(running: Running, form: dict[str, str], *keys: str) -> None:
    body, headers = signed(form, *keys)
    answer = await post(running, "/hooks/telephony/zadarma", body, headers)
    assert answer.status == 200, answer


async def finished_call(running: Running, call_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The call record, once the worker has completed it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with running.client.get("/api/v1/calls", headers=running.auth()) as response:
            assert response.status == 200, await response.text()
            items = (await response.json())["items"]
        found = [c for c in items if c["call_id"] == call_id and c["completed_at"]]
        if found:
            return found[0]
        assert asyncio.get_running_loop().time() < deadline, items
        await asyncio.sleep(0.02)


async def test_an_answered_outbound_2024_call_keeps_its_own_times(
    pbx_any_db_service: Running,
) -> None:
    running = pbx_any_db_service
    common = {
        "call_start": "2024-11-25 18:20:00",
        "pbx_call_id": OUT_CALL,
        "internal": "101",
        "destination": "79031112233",
        "caller_id": "74951234567",
    }
    await notify(
        running, {"event": "NOTIFY_OUT_START", **common}, "internal", "destination", "call_start"
    )
    end = {
        "event": "NOTIFY_OUT_END",
        **common,
        "duration": "91",
        "disposition": "answered",
        "status_code": "16",
        "is_recorded": "0",
        "call_id_with_rec": "",
    }
    await notify(running, end, "internal", "destination", "call_start")

    call = await finished_call(running, OUT_CALL)

    assert (call["direction"], call["outcome"]) == ("out", "answered")
    assert when(call["started_at"]) == msk(2024, 11, 25, 18, 20)
    assert when(call["answered_at"]) == msk(2024, 11, 25, 18, 20)
    assert when(call["ended_at"]) == msk(2024, 11, 25, 18, 21, 31)
    assert call["talk_seconds"] == 91


async def test_a_2024_inbound_call_ends_in_2024(pbx_any_db_service: Running) -> None:
    running = pbx_any_db_service
    end = {
        "event": "NOTIFY_END",
        "call_start": "2024-11-25 16:20:00",
        "pbx_call_id": IN_CALL,
        "caller_id": "79161234567",
        "called_did": "74951234567",
        "internal": "101",
        "duration": "95",
        "disposition": "answered",
        "status_code": "16",
        "is_recorded": "0",
        "call_id_with_rec": "",
    }
    await notify(running, end, "caller_id", "called_did", "call_start")

    call = await finished_call(running, IN_CALL)

    assert when(call["ended_at"]) == msk(2024, 11, 25, 16, 21, 35)
    assert call["duration_seconds"] == 95
    assert call["talk_seconds"] == 95


async def test_a_pbx_whose_times_are_hours_off_is_a_readyz_warning(
    pbx_any_db_service: Running,
) -> None:
    running = pbx_any_db_service
    # A PBX posting now, its clock set three hours behind ours (a wrong zone, say).
    local_now = datetime.now(ZoneInfo("Europe/Moscow")) - timedelta(hours=3)
    start = {
        "event": "NOTIFY_START",
        "call_start": local_now.strftime("%Y-%m-%d %H:%M:%S"),
        "pbx_call_id": "in_clock_" + "0" * 30,
        "caller_id": "79161234567",
        "called_did": "74951234567",
    }
    await notify(running, start, "caller_id", "called_did", "call_start")

    async with running.client.get("/readyz") as response:
        body = await response.json()

    assert response.status == 200 and body["status"] == "ready"
    assert body["checks"]["pbx_clocks"]["call:zadarma"]["state"] == "skewed"
    assert [w["source"] for w in body["warnings"]] == ["call:zadarma"]
