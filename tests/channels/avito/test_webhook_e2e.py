"""Avito Messenger over HTTP: the recorded webhook bodies posted to the running service."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from config import ConfigError, Settings, load_settings
from intake.sales_setup import source_route
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "q7Wm2Rk9Tz4Lp8Xv"
HOOK = "/hooks/avito/shop"
AVITO_CONFIG = """
[[avito.accounts]]
name = "shop"
user_id = 123456789
"""


def avito_settings(tmp_path: Path, extra: str = AVITO_CONFIG) -> Settings:
    """The test config plus one Avito account, its webhook secret from the environment."""
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    return load_settings(path, environ={"LEADINTAKE_AVITO_SHOP_SECRET": SECRET})


@pytest.fixture(params=["sqlite", "postgres"])
async def service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    """The service with an Avito account, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(avito_settings(tmp_path), storage) as running,
    ):
        yield running


def fixture(name: str) -> bytes:
    """A recorded webhook body, byte for byte."""
    return (FIXTURES / name).read_bytes()


async def post(
    running: Running, body: bytes, *, url: str = HOOK, token: str | None = SECRET
) -> tuple[int, Any]:
    """POST a body the way Avito does (JSON; our secret in the URL)."""
    params = {} if token is None else {"token": token}
    headers = {"Content-Type": "application/json"}
    async with running.client.post(url, data=body, params=params, headers=headers) as response:
        return response.status, await response.json()


async def nothing_stored(running: Running) -> bool:
    async with running.services.storage.reader() as uow:
        return await uow.inbox.get(1) is None


async def test_a_message_becomes_a_lead_and_a_retry_stores_nothing(service: Running) -> None:
    assert await post(service, fixture("message_text.json")) == (200, {"ok": True})
    assert await post(service, fixture("message_text.json")) == (200, {"ok": True})

    [lead] = await service.wait_for_leads(1)
    assert lead["channel"] == "avito"
    assert lead["source"] == "shop"
    assert lead["messenger_ids"] == {"avito_id": "987654321"}
    assert lead["comment"].startswith("Здравствуйте! Диван ещё продаётся?")
    assert lead["meta"]["chat_id"] == "u2i-Ab12Cd34Ef56Gh78Ij90Kl"
    assert lead["meta"]["item_id"] == "4123456789"
    async with service.services.storage.reader() as uow:
        item = await uow.inbox.get(lead["intake_id"])
    assert item is not None
    assert item.external_id == "shop:9a3b7c1d2e4f5a6b7c8d9e0f1a2b3c4d"
    assert SECRET not in json.dumps(item.headers)


async def test_a_second_message_of_the_same_person_goes_onto_the_open_lead(
    service: Running,
) -> None:
    await post(service, fixture("message_text.json"))
    [first] = await service.wait_for_leads(1)
    await post(service, fixture("message_followup.json"))

    attached = 'leadintake_messages_attached_total{channel="avito"} 1.0'
    deadline = asyncio.get_running_loop().time() + 10
    while attached not in await metrics(service):
        assert asyncio.get_running_loop().time() < deadline, "the follow-up was not attached"
        await asyncio.sleep(0.02)
    assert [lead["id"] for lead in await service.leads()] == [first["id"]]
    lead = await service.lead(first["id"])
    [activity] = lead["activities"]
    assert "звоните после шести" in activity["text"]
    assert activity["kind"] == "message"  # a chat message on the timeline, not a note
    assert lead["messenger_ids"] == {"avito_id": "987654321"}


async def metrics(running: Running) -> str:
    async with running.client.get("/metrics") as response:
        return await response.text()


@pytest.mark.parametrize("name", ["own_message.json", "system_message.json"])
async def test_our_own_and_system_messages_are_acknowledged_not_stored(
    service: Running, name: str
) -> None:
    assert await post(service, fixture(name)) == (200, {"ok": True})
    assert await nothing_stored(service)


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_a_missing_or_wrong_token_is_403_and_nothing_is_stored(
    service: Running, token: str | None
) -> None:
    status, answer = await post(service, fixture("message_text.json"), token=token)

    assert status == 403 and answer["field"] == "token"
    assert await nothing_stored(service)


async def test_an_unknown_account_is_404(service: Running) -> None:
    status, answer = await post(service, fixture("message_text.json"), url="/hooks/avito/nope")

    assert status == 404 and answer["field"] == "account"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{", "body"),
        (b"[]", "body"),
        (fixture("other_account.json"), "payload.value.user_id"),
        (b'{"payload": {"type": "message", "value": {"id": "1"}}}', "payload.value.user_id"),
    ],
)
async def test_bad_input_is_400_naming_the_field(
    service: Running, body: bytes, field: str
) -> None:
    status, answer = await post(service, body)

    assert status == 400 and answer["field"] == field
    assert await nothing_stored(service)


async def test_odd_bodies_never_get_a_500(service: Running) -> None:
    odd: list[Any] = [None, 1, "x", {"payload": None}, {"payload": {"type": None}}]
    value = json.loads(fixture("message_text.json"))["payload"]["value"]
    for key in value:
        for junk in (None, [], {}, 2**80, -1, "", "\x00"):
            odd.append({"payload": {"type": "message", "value": {**value, key: junk}}})
    for body in odd:
        status, _ = await post(service, json.dumps(body).encode())
        assert status < 500, body


def test_the_webhook_secret_must_come_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + AVITO_CONFIG, "utf-8")

    with pytest.raises(ConfigError, match="LEADINTAKE_AVITO_SHOP_SECRET"):
        load_settings(path, environ={})
    with pytest.raises(ConfigError, match="unknown queue"):
        avito_settings(tmp_path, AVITO_CONFIG + 'queue = "nope"\n')
    with pytest.raises(ConfigError, match="secrets are not written"):
        avito_settings(tmp_path, AVITO_CONFIG + 'webhook_secret = "x"\n')


def test_leads_of_an_account_follow_its_queue_and_pipeline(tmp_path: Path) -> None:
    settings = avito_settings(tmp_path, AVITO_CONFIG + 'queue = "main"\npipeline = "main"\n')

    assert source_route(settings, "avito", "shop") == ("main", "main")
    assert source_route(settings, "avito", "other") == (None, None)
