"""Replies over the running service: a client writes to the bot or the community, the manager
answers through the API, the platform stand-in receives it once, the conversation shows it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from channels.vk.sender import random_id
from config import Settings
from tests.conftest import config_settings, storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.integration.replies_support import (
    BLOCKED,
    NO_PERMISSION,
    TELEGRAM_TOKEN,
    VK_TOKEN,
    PlatformStandIn,
    platform_stand_in,
    telegram_error,
    vk_error,
)

CHANNEL_FIXTURES = Path(__file__).parents[1] / "channels"
TELEGRAM_SECRET = "wh-Replies_5e1f"
CHAT_ID = 482915736  # the text_message fixture's sender
VK_GROUP = 218765432  # the message_new fixture's community
VK_SECRET = "Zx8rT2vQ9mLk4pWe"
VK_USER = 48392017


def replies_settings(tmp_path: Path, stand_in: PlatformStandIn) -> Settings:
    """The test config with a Telegram bot and a VK community sending to the stand-in."""
    extra = f"""
[[telegram.bots]]
name = "sales"
auto_reply = ""
api_base = "{stand_in.telegram_api_base}"

[[vk.groups]]
group_id = {VK_GROUP}
confirmation = "c0nfirm"
api_base = "{stand_in.vk_api_base}"
"""
    return config_settings(
        tmp_path,
        extra,
        {
            "LEADINTAKE_TELEGRAM_SALES_TOKEN": TELEGRAM_TOKEN,
            "LEADINTAKE_TELEGRAM_SALES_SECRET": TELEGRAM_SECRET,
            f"LEADINTAKE_VK_{VK_GROUP}_SECRET": VK_SECRET,
            f"LEADINTAKE_VK_{VK_GROUP}_TOKEN": VK_TOKEN,
        },
    )


@asynccontextmanager
async def started(kind: str, tmp_path: Path) -> AsyncIterator[tuple[Running, PlatformStandIn]]:
    async with (
        platform_stand_in() as stand_in,
        storage_of_kind(kind, tmp_path) as storage,
        run_service(replies_settings(tmp_path, stand_in), storage) as running,
    ):
        yield running, stand_in


@pytest.fixture(params=["sqlite", "postgres"])
async def service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Running, PlatformStandIn]]:
    """The service and the platform stand-in, on each database."""
    async with started(request.param, tmp_path) as both:
        yield both


async def client_writes_in_telegram(
    running: Running, fixture: str = "text_message.json"
) -> dict[str, Any]:
    """A captured Telegram update (the text_message fixture unless named) posted to the bot's
    webhook; returns its lead once assigned."""
    body = (CHANNEL_FIXTURES / "telegram" / "fixtures" / fixture).read_bytes()
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
    }
    async with running.client.post("/hooks/telegram/sales", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()
    [lead] = await running.wait_for_leads(1)
    return await wait_assigned(running, lead["id"])


async def client_writes_in_vk(running: Running) -> dict[str, Any]:
    """The message_new fixture posted to the community's callback; returns its lead."""
    body = (CHANNEL_FIXTURES / "vk" / "fixtures" / "message_new.json").read_bytes()
    headers = {"Content-Type": "application/json"}
    async with running.client.post(f"/hooks/vk/{VK_GROUP}", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()
    [lead] = await running.wait_for_leads(1)
    return await wait_assigned(running, lead["id"])


async def wait_assigned(running: Running, lead_id: int) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 10
    while (lead := await running.lead(lead_id))["assignee"] is None:
        assert asyncio.get_running_loop().time() < deadline, "the lead was never assigned"
        await asyncio.sleep(0.02)
    return lead


async def reply(
    running: Running,
    lead_id: int,
    body: dict[str, Any],
    login: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    async with running.client.post(
        f"/api/v1/conversations/lead/{lead_id}/messages",
        data=json.dumps(body),
        headers={**running.auth(login), "Content-Type": "application/json", **(headers or {})},
    ) as r:
        return r.status, await r.json()


async def conversation(
    running: Running, lead_id: int, login: str, query: str = ""
) -> dict[str, Any]:
    async with running.client.get(
        f"/api/v1/conversations/lead/{lead_id}/messages{query}", headers=running.auth(login)
    ) as r:
        assert r.status == 200, await r.text()
        page: dict[str, Any] = await r.json()
        return page


async def wait_for_state(
    running: Running, lead_id: int, login: str, state: str
) -> list[dict[str, Any]]:
    """The conversation once its newest message has reached `state`."""
    deadline = asyncio.get_running_loop().time() + 10
    while (items := (await conversation(running, lead_id, login))["items"])[-1]["state"] != state:
        assert asyncio.get_running_loop().time() < deadline, f"never {state}: {items[-1]}"
        await asyncio.sleep(0.02)
    return items


async def test_a_managers_reply_reaches_the_telegram_chat_once_and_shows_as_sent(
    service: tuple[Running, PlatformStandIn],
) -> None:
    running, stand_in = service
    lead = await client_writes_in_telegram(running)
    owner = lead["assignee"]

    status, queued = await reply(
        running, lead["id"], {"text": "Здравствуйте! Установка — от 12 000 ₽."}, owner
    )

    assert status == 202, queued
    assert (queued["state"], queued["channel"], queued["duplicate"]) == (
        "queued",
        "telegram",
        False,
    )
    items = await wait_for_state(running, lead["id"], owner, "sent")
    assert stand_in.telegram_delivered == [
        {"chat_id": CHAT_ID, "text": "Здравствуйте! Установка — от 12 000 ₽."}
    ]
    assert [(i["direction"], i["channel"], i["state"]) for i in items] == [
        ("in", "telegram", None),
        ("out", "telegram", "sent"),
    ]
    assert items[0]["text"] == "Здравствуйте! Сколько стоит установка трёх пластиковых окон?"
    assert items[1]["message_id"] == queued["id"] and items[1]["sent_at"] is not None
    assert stand_in.wrong_tokens == 0


async def test_a_retried_request_with_the_same_idempotency_key_sends_once(
    service: tuple[Running, PlatformStandIn],
) -> None:
    running, stand_in = service
    lead = await client_writes_in_telegram(running)
    owner = lead["assignee"]
    key = {"Idempotency-Key": "reply-7f1c"}

    first = await reply(running, lead["id"], {"text": "Да, есть"}, owner, key)
    again = await reply(running, lead["id"], {"text": "Да, есть"}, owner, key)
    other = await reply(running, lead["id"], {"text": "Нет"}, owner, key)

    assert first[0] == again[0] == 202 and again[1]["duplicate"] is True
    assert again[1]["id"] == first[1]["id"]
    assert (other[0], other[1]["error"], other[1]["field"]) == (
        409,
        "idempotency_conflict",
        "Idempotency-Key",
    )
    await wait_for_state(running, lead["id"], owner, "sent")
    assert [m["text"] for m in stand_in.telegram_delivered] == ["Да, есть"]


async def test_a_blocked_bot_shows_the_message_failed_with_telegrams_reason(
    service: tuple[Running, PlatformStandIn],
) -> None:
    running, stand_in = service
    stand_in.telegram_faults.append(telegram_error(403, BLOCKED))
    lead = await client_writes_in_telegram(running)

    status, _ = await reply(running, lead["id"], {"text": "Вы здесь?"}, lead["assignee"])

    assert status == 202
    items = await wait_for_state(running, lead["id"], lead["assignee"], "failed")
    assert items[-1]["error"] == BLOCKED
    assert stand_in.telegram_delivered == []


async def test_vk_replies_carry_a_random_id_and_error_901_fails_with_the_reason(
    service: tuple[Running, PlatformStandIn],
) -> None:
    running, stand_in = service
    lead = await client_writes_in_vk(running)
    owner = lead["assignee"]

    status, sent = await reply(
        running,
        lead["id"],
        {"channel": "vk", "text": "Добрый день!"},
        owner,
        {"Idempotency-Key": "vk-1"},
    )
    await wait_for_state(running, lead["id"], owner, "sent")
    stand_in.vk_faults.append(vk_error(901, NO_PERMISSION))
    await reply(running, lead["id"], {"text": "Вы тут?"}, owner)
    items = await wait_for_state(running, lead["id"], owner, "failed")

    assert status == 202 and sent["channel"] == "vk"
    [delivered] = stand_in.vk_delivered
    assert (delivered["peer_id"], delivered["message"]) == (str(VK_USER), "Добрый день!")
    # The random_id comes from the message's idempotency key, the manager's own key scoped.
    assert delivered["random_id"] == str(random_id(f"api:{items[1]['manager_id']}:vk-1"))
    assert delivered["random_id"] != stand_in.vk_calls[1]["random_id"]
    assert items[-1]["error"] == f"vk: 901 {NO_PERMISSION}"
    assert [i["state"] for i in items] == [None, "sent", "failed"]


async def test_replies_are_refused_on_records_the_manager_may_not_touch_or_with_bad_input(
    service: tuple[Running, PlatformStandIn],
) -> None:
    running, stand_in = service
    lead = await client_writes_in_telegram(running)
    stranger = "petrov" if lead["assignee"] == "ivanova" else "ivanova"

    refused = await reply(running, lead["id"], {"text": "Я тоже отвечу"}, stranger)
    async with running.client.get(
        f"/api/v1/conversations/lead/{lead['id']}/messages", headers=running.auth(stranger)
    ) as r:
        hidden = r.status
    empty = await reply(running, lead["id"], {"text": "  "}, lead["assignee"])
    unknown = await reply(running, lead["id"], {"text": "Привет", "channel": "max"}, "head")
    no_vk = await reply(running, lead["id"], {"text": "Привет", "channel": "vk"}, "head")
    too_long = await reply(running, lead["id"], {"text": "я" * 4097}, "head")

    assert (refused[0], refused[1]["error"]) == (404, "not_found")
    assert hidden == 404
    assert (empty[0], empty[1]["field"]) == (400, "text")
    assert (unknown[0], unknown[1]["field"]) == (400, "channel")
    assert (no_vk[0], no_vk[1]["error"], no_vk[1]["field"]) == (422, "no_channel", "channel")
    assert (too_long[0], too_long[1]["error"]) == (422, "text_too_long")
    assert stand_in.telegram_calls == [] and stand_in.vk_calls == []
    assert (await conversation(running, lead["id"], "head"))["items"][-1]["direction"] == "in"


async def test_the_conversation_pages_back_from_the_newest(
    service: tuple[Running, PlatformStandIn],
) -> None:
    running, _ = service
    lead = await client_writes_in_telegram(running)
    owner = lead["assignee"]
    for n in range(3):
        assert (await reply(running, lead["id"], {"text": f"Ответ {n}"}, owner))[0] == 202

    newest = await conversation(running, lead["id"], owner, "?limit=2")
    older = await conversation(
        running, lead["id"], owner, f"?limit=2&before={newest['next_before']}"
    )

    assert [i["text"] for i in newest["items"]] == ["Ответ 1", "Ответ 2"]
    assert [i["direction"] for i in older["items"]] == ["in", "out"]
    assert older["items"][1]["text"] == "Ответ 0" and older["next_before"] is None
