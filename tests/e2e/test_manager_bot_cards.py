"""The managers' bot cards over the running service, on SQLite and PostgreSQL, against a Bot
API stand-in for the managers' bot and a platform stand-in for the clients' bot: a card edits
itself (once) when its lead is taken by someone else, junked, reassigned or converted; a
manager answers a Telegram client by replying to the card and the client's next message
comes as a reply to the card; /account shows the link state, gives a deep link, unlinks."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from crm_core.bot_cards import card_of_message
from crm_core.bot_links import linked_manager
from tests.bot_api_standin import BotApiStandIn, bot_api_standin
from tests.conftest import config_settings, storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_manager_bot import (
    IVANOVA,
    NAMES,
    TOKEN,
    USERS,
    button,
    card_of,
    link,
    login_of,
    post_form,
    texts_to,
)
from tests.e2e.test_replies_api import (
    CHANNEL_FIXTURES,
    CHAT_ID,
    TELEGRAM_SECRET,
    client_writes_in_telegram,
)
from tests.e2e.test_workplace_replies import session
from tests.integration.replies_support import (
    TELEGRAM_TOKEN,
    PlatformStandIn,
    platform_stand_in,
)
from workplace.auth.cookies import SESSION_COOKIE

HEAD = "Ольга Руководитель"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DEEP_LINK = re.compile(r'href="(https://t\.me/li_team_bot\?start=[\w-]+)"')
Both = tuple[Running, BotApiStandIn, PlatformStandIn]


def cards_settings(tmp_path: Path, bot_api: str, platform: PlatformStandIn) -> Settings:
    """The test config with the clients' Telegram bot and the managers' bot."""
    extra = f"""
[[telegram.bots]]
name = "sales"
auto_reply = ""
api_base = "{platform.telegram_api_base}"

[manager_bot]
api_base = "{bot_api}"
poll_timeout_seconds = 2
"""
    return config_settings(
        tmp_path,
        extra,
        {
            "LEADINTAKE_TELEGRAM_SALES_TOKEN": TELEGRAM_TOKEN,
            "LEADINTAKE_TELEGRAM_SALES_SECRET": TELEGRAM_SECRET,
            "LEADINTAKE_MANAGER_BOT_TOKEN": TOKEN,
        },
    )


@asynccontextmanager
async def started(kind: str, tmp_path: Path) -> AsyncIterator[Both]:
    async with (
        bot_api_standin(TOKEN) as (api, base),
        platform_stand_in() as platform,
        storage_of_kind(kind, tmp_path) as storage,
        run_service(cards_settings(tmp_path, base, platform), storage) as running,
    ):
        yield running, api, platform


@pytest.fixture(params=["sqlite", "postgres"])
async def both(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Both]:
    async with started(request.param, tmp_path) as found:
        yield found


async def api_post(running: Running, path: str, login: str, body: Any = None) -> Any:
    async with running.client.post(
        path, data=json.dumps(body or {}), headers=running.auth(login)
    ) as r:
        assert r.status in (200, 201), await r.text()
        return await r.json()


async def noted(running: Running, chat: int, message_id: int) -> None:
    """Wait until the notifier has noted the card (a manager answers it after that)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with running.services.storage.reader() as uow:
            if await card_of_message(uow, str(chat), message_id) is not None:
                return
        assert asyncio.get_running_loop().time() < deadline, "the card was never noted"
        await asyncio.sleep(0.02)


def edits_of(api: BotApiStandIn, message_id: int) -> list[str]:
    """The texts a message was edited to."""
    return [
        c.fields["text"]
        for c in api.calls_of("editMessageText")
        if int(c.fields["message_id"]) == message_id
    ]


async def closed(api: BotApiStandIn, message_id: int) -> str:
    """The card's text once edited; its buttons are gone."""
    [text] = await api.wait_for(lambda: edits_of(api, message_id))
    assert "reply_markup" not in api.messages[message_id]
    return str(text)


async def test_the_card_says_who_took_junked_passed_or_converted_the_lead(both: Both) -> None:
    running, api, _ = both
    await link(running, api, "ivanova")
    await link(running, api, "petrov")

    # Taken by someone else (the head, from the API).
    lead = await post_form(running, "+79161234567", "Иван Петров")
    chat, taken, _ = await card_of(api, lead["id"])
    card_text = api.messages[taken]["text"]
    await api_post(running, f"/api/v1/leads/{lead['id']}/take", "head")
    edited = await closed(api, taken)
    assert edited.endswith(f"\n\n<b>Взята в работу: {HEAD}</b>")
    assert edited.startswith("<b>")  # the card's own text (HTML) above the outcome
    assert api.messages[taken]["text"].startswith(card_text.split("\n")[0])

    # Junked by its manager from the API.
    lead = await post_form(running, "+79031112233", "Мария Сидорова")
    chat, junked, _ = await card_of(api, lead["id"])
    owner = login_of(chat)
    await api_post(running, f"/api/v1/leads/{lead['id']}/junk", owner, {"reason": "spam"})
    assert (await closed(api, junked)).endswith(f"<b>Брак: Спам ({NAMES[owner]})</b>")

    # Passed to the other manager by the head.
    lead = await post_form(running, "+79265554433", "Олег Смирнов")
    chat, passed, _ = await card_of(api, lead["id"])
    other = next(login for login in USERS if login != login_of(chat))
    await api_post(running, f"/api/v1/leads/{lead['id']}/reassign", "head", {"manager": other})
    assert (await closed(api, passed)).endswith(f"<b>Передана: {NAMES[other]} ({HEAD})</b>")

    # Converted by its manager.
    lead = await post_form(running, "+79057778899", "Ирина Белова")
    chat, converted, _ = await card_of(api, lead["id"])
    owner = login_of(chat)
    await api_post(running, f"/api/v1/leads/{lead['id']}/convert", owner, {})
    assert (await closed(api, converted)).endswith(
        f"<b>Конвертирована в сделку ({NAMES[owner]})</b>"
    )

    # Pressed in the bot: the handler edits its card; the change queues no second edit.
    lead = await post_form(running, "+79091230000", "Павел Орлов")
    chat, pressed, rows = await card_of(api, lead["id"])
    api.press(chat, pressed, button(rows, "Взять"))
    await closed(api, pressed)
    # A later lead's card edit shows the outbox drained past that change.
    lead = await post_form(running, "+79091239999", "Кира Лис")
    _, last, _ = await card_of(api, lead["id"])
    await api_post(running, f"/api/v1/leads/{lead['id']}/take", "head")
    await closed(api, last)
    for message_id in (taken, junked, passed, converted, pressed, last):
        assert len(edits_of(api, message_id)) == 1, message_id  # each card edited once


def second_client_message(text: str) -> bytes:
    """The clients' bot's text_message fixture again: a later message of the same client."""
    path = CHANNEL_FIXTURES / "telegram" / "fixtures" / "text_message.json"
    update = json.loads(path.read_text("utf-8"))
    update["update_id"] += 1
    update["message"]["message_id"] += 1
    update["message"]["date"] += 60
    update["message"]["text"] = text
    return json.dumps(update, ensure_ascii=False).encode()


async def test_the_manager_answers_the_client_by_replying_to_the_card(both: Both) -> None:
    running, api, platform = both
    await link(running, api, "ivanova")
    await link(running, api, "petrov")
    lead = await client_writes_in_telegram(running)
    chat, card, _ = await card_of(api, lead["id"])
    await noted(running, chat, card)

    api.user_replies(chat, card, "Добрый день! Три окна с установкой — 45 000 ₽.")
    await api.wait_for(lambda: "Отправлено клиенту" in texts_to(api, chat))
    confirmation = next(
        c for c in api.calls_of("sendMessage") if c.fields["text"] == "Отправлено клиенту"
    )
    assert confirmation.fields["reply_parameters"]["message_id"] != card  # answers the reply
    delivered = await api.wait_for(lambda: platform.telegram_delivered)
    assert delivered == [
        {"chat_id": CHAT_ID, "text": "Добрый день! Три окна с установкой — 45 000 ₽."}
    ]

    # The client writes again: the notification comes as a reply to the card.
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
    }
    body = second_client_message("А монтаж входит в цену?")
    async with running.client.post("/hooks/telegram/sales", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()

    def threaded() -> list[dict[str, Any]]:
        return [
            c.fields for c in api.calls_of("sendMessage") if "монтаж входит" in c.fields["text"]
        ]

    [notice] = await api.wait_for(threaded)
    assert int(notice["chat_id"]) == chat
    assert notice["reply_parameters"]["message_id"] == card
    assert notice["text"].startswith(f"<b>Новое сообщение по заявке №{lead['id']}")


async def test_a_reply_to_a_card_the_client_cannot_get_says_why(both: Both) -> None:
    running, api, platform = both
    await link(running, api, "ivanova")
    await link(running, api, "petrov")
    lead = await post_form(running, "+79161234567", "Иван Петров")  # a web form: no chat
    chat, card, _ = await card_of(api, lead["id"])
    await noted(running, chat, card)
    before = len(texts_to(api, chat))
    api.user_replies(chat, card, "Здравствуйте!")
    [answer] = await api.wait_for(lambda: texts_to(api, chat)[before:])
    assert answer == "Клиенту нельзя ответить в этом канале: он туда не писал."
    # A reply to a message that is not a card is not sent anywhere; the bot says where to.
    before = len(texts_to(api, chat))
    api.user_replies(chat, _first_text_message(api, chat), "?")
    [hint] = await api.wait_for(lambda: texts_to(api, chat)[before:])
    assert hint == "Чтобы написать клиенту, ответьте на карточку его заявки (Ответить)."
    assert platform.telegram_calls == []


def _first_text_message(api: BotApiStandIn, chat: int) -> int:
    """The first plain message the bot sent to a chat (the «Готово» after linking)."""
    return next(
        m["message_id"]
        for m in api.messages.values()
        if m["chat"]["id"] == chat and "reply_markup" not in m
    )


async def test_the_account_page_links_and_unlinks_the_bot(both: Both) -> None:
    running, api, _ = both
    secret = await session(running, "ivanova")
    cookies = {SESSION_COOKIE: secret}

    async def page() -> str:
        async with running.client.get("/account", cookies=cookies) as r:
            assert r.status == 200
            return await r.text()

    shown = await page()
    assert "Рабочий бот в Telegram" in shown and "Не подключён." in shown
    token = CSRF.search(shown)
    assert token is not None
    async with running.client.post(
        "/account/telegram-link", data={"csrf_token": token.group(1)}, cookies=cookies
    ) as r:
        assert r.status == 200
        assert r.headers["Cache-Control"] == "no-store"
        found = DEEP_LINK.search(await r.text())
    assert found is not None
    api.user_writes(IVANOVA, f"/start {found.group(1).rsplit('=', 1)[1]}")
    await api.wait_for(lambda: texts_to(api, IVANOVA))
    shown = await page()
    assert "Подключён с " in shown and "Отключить" in shown

    # Without the CSRF token nothing changes; with it the bot is unlinked.
    async with running.client.post(
        "/account/telegram-unlink", data={}, cookies=cookies, allow_redirects=False
    ) as r:
        assert r.status == 403
    async with running.client.post(
        "/account/telegram-unlink",
        data={"csrf_token": token.group(1)},
        cookies=cookies,
        allow_redirects=False,
    ) as r:
        assert (r.status, r.headers["Location"]) == (303, "/account")
    async with running.services.storage.reader() as uow:
        assert await linked_manager(uow, IVANOVA) is None
    assert "Не подключён." in await page()
