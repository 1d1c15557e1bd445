"""The managers' bot end to end: the service (polling mode) against a Bot API stand-in on
localhost, on SQLite and PostgreSQL. A manager links the bot with a one-time deep link; a new
lead comes to the linked chat as a card; its buttons take the lead, close it as junk with a
reason, or plan a call back; forged buttons and strangers change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config import Settings, load_settings
from crm_core.bot_links import linked_manager
from crm_core.sales import RecordKind
from tests.bot_api_standin import BotApiStandIn, bot_api_standin
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service
from workplace.bot.account import telegram_link

TOKEN = "7000001:AAH-managers-bot-token_for-the-stand-in"
IVANOVA, PETROV, STRANGER = 1001, 1002, 3003
USERS = {"ivanova": IVANOVA, "petrov": PETROV}
NAMES = {"ivanova": "Анна Иванова", "petrov": "Пётр Петров"}


def bot_settings(
    tmp_path: Path, api_base: str, extra: str = "", env: dict[str, str] | None = None
) -> Settings:
    path = tmp_path / "leadintake.toml"
    config = TEST_CONFIG.format(db=tmp_path / "db.sqlite3")
    config += f'\n[manager_bot]\napi_base = "{api_base}"\npoll_timeout_seconds = 2\n{extra}'
    path.write_text(config, "utf-8")
    return load_settings(path, environ={"LEADINTAKE_MANAGER_BOT_TOKEN": TOKEN, **(env or {})})


@pytest.fixture(params=["sqlite", "postgres"])
async def bot_service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Running, BotApiStandIn]]:
    async with (
        bot_api_standin(TOKEN) as (api, base),
        storage_of_kind(request.param, tmp_path) as storage,
    ):
        settings = bot_settings(tmp_path, base)
        async with run_service(settings, storage) as running:
            yield running, api


def texts_to(api: BotApiStandIn, chat: int) -> list[str]:
    return [
        c.fields["text"] for c in api.calls_of("sendMessage") if int(c.fields["chat_id"]) == chat
    ]


async def link(running: Running, api: BotApiStandIn, login: str) -> str:
    """Link `login`'s Telegram user through a fresh deep link; returns the token used."""
    url = await telegram_link(
        running.services.storage, running.services.settings.manager_bot, login
    )
    assert url.startswith("https://t.me/li_team_bot?start=")  # the username from getMe
    token = url.rsplit("=", 1)[1]
    user = USERS[login]
    before = len(texts_to(api, user))
    api.user_writes(user, f"/start {token}")
    reply = await api.wait_for(lambda: texts_to(api, user)[before:])
    assert reply == [
        f"Готово, {NAMES[login]}: бот подключён к вашей учётной записи."
        " Сюда будут приходить новые заявки."
    ]
    return token


async def post_form(running: Running, phone: str, name: str) -> dict[str, Any]:
    body = {"name": name, "phone": phone, "comment": "Нужен счёт"}
    async with running.client.post("/api/v1/forms/site", json=body) as r:
        assert r.status == 202, await r.text()
        intake_id = (await r.json())["intake_id"]
    return await running.wait_for_lead(intake_id)


async def card_of(api: BotApiStandIn, lead_id: int) -> tuple[int, int, list[list[dict[str, Any]]]]:
    """The card sent about a lead: (chat, message id, keyboard rows)."""

    def found() -> Any:
        for message in api.messages.values():
            markup = message.get("reply_markup") or {}
            rows = markup.get("inline_keyboard") or []
            urls = [b.get("url", "") for row in rows for b in row]
            if any(u.endswith(f"/leads/{lead_id}") for u in urls):
                return message["chat"]["id"], message["message_id"], rows
        return None

    chat, message_id, rows = await api.wait_for(found)
    return chat, message_id, rows


def button(rows: list[list[dict[str, Any]]], text: str) -> str:
    data = next(b["callback_data"] for row in rows for b in row if b["text"] == text)
    assert isinstance(data, str)
    return data


def answers(api: BotApiStandIn) -> list[dict[str, Any]]:
    return [c.fields for c in api.calls_of("answerCallbackQuery")]


def login_of(chat: int) -> str:
    return next(login for login, user in USERS.items() if user == chat)


async def test_linking_and_refusing_strangers(bot_service: tuple[Running, BotApiStandIn]) -> None:
    running, api = bot_service
    token = await link(running, api, "ivanova")
    async with running.services.storage.reader() as uow:
        manager = await linked_manager(uow, IVANOVA)
    assert manager is not None and manager.login == "ivanova"

    refusal_start = "Здравствуйте! Это рабочий бот отдела продаж"
    for text in ("/start", "/start not-a-token", f"/start {token}", "Привет, я клиент"):
        before = len(texts_to(api, STRANGER))
        api.user_writes(STRANGER, text)
        [reply] = await api.wait_for(lambda b=before: texts_to(api, STRANGER)[b:])
        assert reply.startswith(refusal_start)
    async with running.services.storage.reader() as uow:
        assert await linked_manager(uow, STRANGER) is None  # a used token links nobody
        assert (await linked_manager(uow, IVANOVA)) is not None

    api.user_writes(IVANOVA, "/unlink")
    await api.wait_for(lambda: "Бот отключён" in texts_to(api, IVANOVA)[-1])
    async with running.services.storage.reader() as uow:
        assert await linked_manager(uow, IVANOVA) is None


async def test_card_take_forged_junk_and_call_back(
    bot_service: tuple[Running, BotApiStandIn],
) -> None:
    running, api = bot_service
    await link(running, api, "ivanova")
    await link(running, api, "petrov")

    lead = await post_form(running, "+79161234567", "Иван Петров")
    chat, message_id, rows = await card_of(api, lead["id"])
    assert [b["text"] for row in rows for b in row] == [
        "Взять",
        "Брак",
        "Перезвонить позже",
        "Открыть",
    ]
    owner = login_of(chat)
    assert (await running.lead(lead["id"]))["assignee"] == owner

    # A forged button (the lead id changed under the old signature) changes nothing.
    take = button(rows, "Взять")
    action, lead_id, argument, signature = take.split(":")
    forged = f"{action}:{int(lead_id) + 1}:{argument}:{signature}"
    api.press(chat, message_id, forged)
    await api.wait_for(lambda: answers(api))
    assert answers(api)[-1]["text"] == "Кнопка устарела"
    # Someone not linked presses the real button: refused, nothing changes.
    api.press(STRANGER, message_id, take)
    await api.wait_for(lambda: len(answers(api)) == 2)
    assert answers(api)[-1]["text"] == "Бот не подключён к вашей учётной записи."
    assert (await running.lead(lead["id"]))["status"] == "new"
    assert not api.calls_of("editMessageText")

    api.press(chat, message_id, take)
    edit = await api.wait_for(lambda: api.calls_of("editMessageText"))
    assert edit[0].fields["text"].endswith(f"<b>Взята в работу: {NAMES[owner]}</b>")
    assert "reply_markup" not in api.messages[message_id]  # the buttons are gone
    taken = await running.lead(lead["id"])
    assert (taken["status"], taken["assignee"]) == ("in_work", owner)
    # The other manager presses the same (genuine) button: the API's rule refuses, in Russian.
    other = next(user for login, user in USERS.items() if login != owner)
    before = len(answers(api))
    api.press(other, message_id, take)
    refused = await api.wait_for(lambda: answers(api)[before:])
    assert refused[0]["text"] == "Заявка не найдена или недоступна вам."
    assert str(refused[0]["show_alert"]).lower() == "true"
    assert (await running.lead(lead["id"]))["assignee"] == owner

    # Брак: the second keyboard lists the reasons; one closes the lead.
    lead = await post_form(running, "+79031112233", "Мария Сидорова")
    chat, message_id, rows = await card_of(api, lead["id"])
    api.press(chat, message_id, button(rows, "Брак"))
    await api.wait_for(lambda: api.calls_of("editMessageReplyMarkup"))
    reasons = api.messages[message_id]["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in reasons][:2] == ["Не дозвонились", "Нет интереса"]
    api.press(chat, message_id, button(reasons, "Спам"))
    await api.wait_for(lambda: len(api.calls_of("editMessageText")) == 2)
    closed = await running.lead(lead["id"])
    assert (closed["status"], closed["junk_reason"]) == ("junk", "spam")
    assert api.messages[message_id]["text"].endswith(f"Брак: Спам ({NAMES[login_of(chat)]})")

    # Перезвонить позже → tomorrow 10:00 on the manager's clock (Europe/Moscow).
    lead = await post_form(running, "+79265554433", "Олег Смирнов")
    chat, message_id, rows = await card_of(api, lead["id"])
    api.press(chat, message_id, button(rows, "Перезвонить позже"))
    await api.wait_for(lambda: len(api.calls_of("editMessageReplyMarkup")) == 2)
    later = api.messages[message_id]["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in later[0]] == ["Через 1 ч", "Через 3 ч", "Завтра 10:00"]
    pressed_at = datetime.now(UTC)
    api.press(chat, message_id, button(later, "Завтра 10:00"))
    await api.wait_for(lambda: len(api.calls_of("editMessageReplyMarkup")) == 3)
    async with running.services.storage.reader() as uow:
        [task] = await uow.sales.tasks_of(RecordKind.LEAD, lead["id"])
    moscow = ZoneInfo("Europe/Moscow")
    tomorrow = (pressed_at.astimezone(moscow) + timedelta(days=1)).date()
    assert task.due_at.astimezone(moscow) == datetime.combine(
        tomorrow, datetime.min.time().replace(hour=10), tzinfo=moscow
    )
    assert task.title == "Перезвонить клиенту"
    toast = await api.wait_for(lambda: [a for a in answers(api) if "Задача" in a.get("text", "")])
    assert toast[0]["text"].startswith("Задача: перезвонить")
    # The card is back to its buttons, the lead still new.
    assert [b["text"] for b in api.messages[message_id]["reply_markup"]["inline_keyboard"][0]] == [
        "Взять",
        "Брак",
    ]
    assert (await running.lead(lead["id"]))["status"] == "new"


async def test_webhook_mode_checks_the_secret_token(tmp_path: Path) -> None:
    secret = "hook-secret_for-tests"
    async with bot_api_standin(TOKEN) as (api, base), storage_of_kind("sqlite", tmp_path) as db:
        env = {"LEADINTAKE_MANAGER_BOT_WEBHOOK_SECRET": secret}
        settings = bot_settings(tmp_path, base, 'mode = "webhook"\nusername = "li_team_bot"', env)
        async with run_service(settings, db) as running:
            url = await telegram_link(db, settings.manager_bot, "ivanova")
            token = url.rsplit("=", 1)[1]
            api.user_writes(IVANOVA, f"/start {token}")
            update = api.pending.pop()
            for wrong in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with running.client.post(
                    "/hooks/manager-bot", json=update, headers=wrong
                ) as r:
                    assert r.status == 401
            async with running.client.post(
                "/hooks/manager-bot",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            ) as r:
                assert r.status == 200
            # Handled before the answer: the reply was already sent.
            assert texts_to(api, IVANOVA)[0].startswith("Готово, Анна Иванова")
            async with db.reader() as uow:
                manager = await linked_manager(uow, IVANOVA)
            assert manager is not None and manager.login == "ivanova"
            assert not api.calls_of("getUpdates")  # webhook mode never polls
