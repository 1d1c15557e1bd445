"""The managers' bot's commands end to end: the service (polling mode) against the Bot API
stand-in, on SQLite and PostgreSQL. /leads lists what the API's listing rule shows; /tasks
marks a task done with a signed button (forged and replayed presses change nothing); /find
shows a client with the open leads and deals the manager may see; the morning digest goes
out once per manager and local day, however many processes run it."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from intake.clock import utcnow
from tests.bot_api_standin import BotApiStandIn
from tests.e2e.conftest import Running
from tests.e2e.test_manager_bot import (
    answers,
    bot_service,  # noqa: F401  (the fixture)
    post_form,
)
from workplace.bot import my_leads
from workplace.bot.account import telegram_link
from workplace.bot.commands import CommandsAtWork
from workplace.bot.digest import DigestWatch
from workplace.bot.setup import build_bot

USERS = {"ivanova": 1001, "petrov": 1002, "head": 1009}
STRANGER = 3003
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
async def linked(
    bot_service: tuple[Running, BotApiStandIn],  # noqa: F811
) -> tuple[Running, BotApiStandIn]:
    """The bot's service (on each database) with every one of USERS linked to the bot."""
    running, api = bot_service
    for login in USERS:
        await link(running, api, login)
    return bot_service


async def link(running: Running, api: BotApiStandIn, login: str) -> None:
    url = await telegram_link(
        running.services.storage, running.services.settings.manager_bot, login
    )
    await say(api, USERS[login], f"/start {url.rsplit('=', 1)[1]}", "Готово")


async def say(api: BotApiStandIn, user: int, text: str, prefix: str) -> dict[str, Any]:
    """The user writes to the bot; the bot's answer starting with `prefix` (a stored
    message: text without tags, reply_markup) with its HTML text as `html`."""
    seen = set(api.messages)
    api.user_writes(user, text)

    def answer() -> dict[str, Any] | None:
        for message_id, message in api.messages.items():
            if message_id in seen or message["chat"]["id"] != user:
                continue
            if message["text"].startswith(prefix):
                return message
        return None

    message = await api.wait_for(answer)
    # A notification may reach the same chat meanwhile: take the HTML of this answer.
    sent = [
        c.fields["text"]
        for c in api.calls_of("sendMessage")
        if int(c.fields["chat_id"]) == user
        and re.sub(r"<[^>]+>", "", c.fields["text"]).startswith(prefix)
    ]
    return {**message, "html": sent[-1]}


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b for row in rows for b in row]


async def api_post(running: Running, path: str, login: str, body: object) -> Any:
    async with running.client.post(path, json=body, headers=running.auth(login)) as r:
        assert r.status in (200, 201), await r.text()
        return await r.json()


async def task(
    running: Running, login: str, lead_id: int, title: str, due: datetime, for_id: int = 0
) -> int:
    body: dict[str, Any] = {
        "entity": "lead",
        "entity_id": lead_id,
        "title": title,
        "due_at": due.isoformat(),
    }
    if for_id:
        body["assignee_id"] = for_id
    created = await api_post(running, "/api/v1/tasks", login, body)
    return int(created["id"])


async def test_leads_lists_own_open_leads_and_a_head_the_teams(
    linked: tuple[Running, BotApiStandIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, api = linked
    [menu] = await api.wait_for(lambda: api.calls_of("setMyCommands"))  # set at start
    assert [(c["command"], c["description"]) for c in menu.fields["commands"]] == [
        ("leads", "Мои открытые заявки"),
        ("tasks", "Задачи на сегодня и просроченные"),
        ("find", "Найти клиента: телефон, e-mail или имя"),
        ("unlink", "Отключить бота"),
    ]
    leads = [
        await post_form(running, f"+7916123456{i}", name)
        for i, name in enumerate(["Иван Петров", "Мария Сидорова", "Олег Смирнов"])
    ]
    by_owner: dict[str, list[int]] = {}
    for lead in leads:
        by_owner.setdefault(lead["assignee"], []).append(lead["id"])
    for login, ids in by_owner.items():
        answer = await say(api, USERS[login], "/leads", "Открытые заявки")
        assert answer["text"].splitlines()[0] == f"Открытые заявки ({len(ids)}):"
        assert [b["text"] for b in buttons(answer)] == [f"Открыть №{i}" for i in sorted(ids)[::-1]]
        assert all(b["url"].endswith(f"/leads/{b['text'][9:]}") for b in buttons(answer))
        others = {lead["id"] for lead in leads} - set(ids)
        assert not any(f"№{i} " in answer["text"] for i in others)
        assert f'<a href="http://127.0.0.1:8080/leads/{ids[0]}">№{ids[0]}</a>' in answer["html"]

    # A taken lead stays listed, in work.
    owner, [first, *_] = next(iter(by_owner.items()))
    await api_post(running, f"/api/v1/leads/{first}/take", owner, {})
    answer = await say(api, USERS[owner], "/leads", "Открытые заявки")
    [line] = [line for line in answer["text"].splitlines() if line.startswith(f"№{first} ")]
    assert " · В работе · Сайт · " in line
    # A head lists everyone's, newest first, capped with a link to the rest.
    monkeypatch.setattr(my_leads, "LEADS_SHOWN", 2)
    answer = await say(api, USERS["head"], "/leads", "Открытые заявки")
    lines = answer["text"].splitlines()
    newest = sorted((lead["id"] for lead in leads), reverse=True)
    assert lines[0] == "Открытые заявки команды (3):"
    assert [b["text"] for b in buttons(answer)] == [f"Открыть №{i}" for i in newest[:2]]
    assert lines[-1] == "…и ещё 1 в рабочем месте"
    assert '…и ещё 1 <a href="http://127.0.0.1:8080/">в рабочем месте</a>' in answer["html"]
    # Telegram refuses URL buttons to a private address: the list goes out without them.
    api.refuse_button_urls = True
    answer = await say(api, USERS["head"], "/leads", "Открытые заявки")
    assert answer["text"].splitlines()[0] == "Открытые заявки команды (3):"
    assert not buttons(answer) and "/leads/" in answer["html"]
    api.refuse_button_urls = False
    # Someone not linked gets the refusal and nothing else.
    refusal = await say(api, STRANGER, "/leads", "Здравствуйте!")
    assert "Открытые" not in refusal["text"]


async def test_tasks_done_button_forged_replayed_and_foreign(
    linked: tuple[Running, BotApiStandIn],
) -> None:
    running, api = linked
    lead = await post_form(running, "+79161234567", "Иван Петров")
    owner = lead["assignee"]
    other = next(login for login in ("ivanova", "petrov") if login != owner)
    now = utcnow()
    midnight = datetime.combine(now.astimezone(MOSCOW).date() + timedelta(days=1), time(0), MOSCOW)
    overdue = await task(running, owner, lead["id"], "Перезвонить", now - timedelta(hours=2))
    today = await task(running, owner, lead["id"], "Отправить счёт", now + (midnight - now) / 2)
    await task(running, owner, lead["id"], "Через неделю", now + timedelta(days=7))
    async with running.services.storage.reader() as uow:
        other_manager = await uow.managers.get_by_login(other)
    assert other_manager is not None  # the head plans a task for the other manager
    await task(running, "head", lead["id"], "Чужая", now - timedelta(hours=1), other_manager.id)

    answer = await say(api, USERS[owner], "/tasks", "Задачи на сегодня")
    lines = answer["text"].splitlines()
    assert lines[0] == "Задачи на сегодня и просроченные (2):"
    assert lines[1].startswith(f"1. Перезвонить — Заявка №{lead['id']}: Иван Петров, до ")
    assert lines[1].endswith("(просрочена)")
    assert lines[2].startswith("2. Отправить счёт") and "просрочена" not in lines[2]
    assert [b["text"] for b in buttons(answer)] == [
        "Готово 1: Перезвонить",
        "Готово 2: Отправить счёт",
    ]
    done_first, done_second = (b["callback_data"] for b in buttons(answer))

    async def state(task_id: int) -> datetime | None:
        async with running.services.storage.reader() as uow:
            stored = await uow.sales.get_task(task_id)
        assert stored is not None
        return stored.done_at

    # A forged button (another task id under the old signature) changes nothing.
    prefix, task_id, signature = done_first.split(":")
    api.press(USERS[owner], answer["message_id"], f"{prefix}:{today}:{signature}")
    await api.wait_for(lambda: answers(api))
    assert answers(api)[-1]["text"] == "Кнопка устарела"
    assert int(task_id) == overdue and await state(today) is None
    # The other manager presses the owner's genuine button: the API's rule refuses.
    api.press(USERS[other], answer["message_id"], done_second)
    await api.wait_for(lambda: len(answers(api)) == 2)
    assert answers(api)[-1]["text"] == "Задача не найдена или недоступна вам."
    assert await state(today) is None
    # Someone not linked: refused.
    api.press(STRANGER, answer["message_id"], done_second)
    await api.wait_for(lambda: len(answers(api)) == 3)
    assert answers(api)[-1]["text"] == "Бот не подключён к вашей учётной записи."

    api.press(USERS[owner], answer["message_id"], done_first)
    await api.wait_for(lambda: api.calls_of("editMessageText"))
    assert answers(api)[-1]["text"] == "Задача выполнена."
    done_at = await state(overdue)
    assert done_at is not None
    redrawn = api.messages[answer["message_id"]]
    assert redrawn["text"].splitlines()[0] == "Задачи на сегодня и просроченные (1):"
    assert [b["text"] for b in buttons(redrawn)] == ["Готово 1: Отправить счёт"]
    # The same press again (a replay): nothing changes, and it says so.
    api.press(USERS[owner], answer["message_id"], done_first)
    await api.wait_for(lambda: len(answers(api)) == 5)
    assert answers(api)[-1]["text"] == "Задача уже выполнена."
    assert await state(overdue) == done_at
    assert len(api.calls_of("editMessageText")) == 1


async def test_find_shows_the_client_with_open_leads_and_deals(
    linked: tuple[Running, BotApiStandIn],
) -> None:
    running, api = linked
    first = await post_form(running, "+79161234567", "Иван Петров")
    owner = first["assignee"]
    other = next(login for login in ("ivanova", "petrov") if login != owner)
    await api_post(running, f"/api/v1/leads/{first['id']}/take", owner, {})
    converted = await api_post(running, f"/api/v1/leads/{first['id']}/convert", owner, {})
    again = await post_form(running, "8 (916) 123-45-67", "Ваня")  # the same client
    assert (await running.lead(again["id"]))["assignee"] == owner

    for query in ("8 916 123 45 67", "иван"):
        answer = await say(api, USERS[owner], f"/find {query}", "Найдено клиентов")
        lines = answer["text"].splitlines()
        assert lines[0] == "Найдено клиентов: 1"
        assert lines[2].startswith("Иван Петров · +7 916 123-45-67")
        assert lines[3].startswith(f"• №{again['id']} Ваня · Новая")
        assert lines[4].startswith(f"• Сделка №{converted['deal_id']} «")
        assert len(lines) == 5  # the converted lead is not open any more
        html = answer["html"]
        assert f'/clients/contacts/{converted["contact_id"]}"><b>Иван Петров</b></a>' in html
        assert f'/deals/{converted["deal_id"]}">Сделка №{converted["deal_id"]}</a>' in html

    # The other manager may not see this client; a head sees it all.
    nothing = await say(api, USERS[other], "/find +79161234567", "Никого")
    assert nothing["text"].startswith("Никого не нашлось")
    head = await say(api, USERS["head"], "/find +79161234567", "Найдено клиентов")
    assert f"Сделка №{converted['deal_id']}" in head["text"]
    usage = await say(api, USERS[owner], "/find", "Напишите")
    assert "/find" in usage["text"]


async def test_morning_digest_once_per_manager_and_day(
    linked: tuple[Running, BotApiStandIn],
) -> None:
    running, api = linked
    lead = await post_form(running, "+79161234567", "Иван Петров")
    owner = lead["assignee"]
    await task(running, owner, lead["id"], "Перезвонить", utcnow() - timedelta(days=1))
    # 09:00 in Moscow is 06:00 UTC; the first day after everything above was created.
    day = utcnow().astimezone(MOSCOW).date() + timedelta(days=1)
    clock = [datetime.combine(day, time(8, 59), MOSCOW).astimezone(UTC)]
    bots = [build_bot(running.services.settings.manager_bot) for _ in range(2)]
    processes = [CommandsAtWork(running.services, bot, lambda: clock[0]) for bot in bots]

    def digests() -> dict[int, list[str]]:
        sent: dict[int, list[str]] = {}
        for call in api.calls_of("sendMessage"):
            if call.fields["text"].startswith("Доброе утро"):
                sent.setdefault(int(call.fields["chat_id"]), []).append(call.fields["text"])
        return sent

    async def round_() -> int:
        counts = await asyncio.gather(*(p.digest.run_once() for p in processes))
        return sum(counts)

    try:
        assert await round_() == 0  # 08:59: not yet
        clock[0] += timedelta(minutes=1)
        # Both processes at 09:00: the owner (overdue task, lead not taken) and the head
        # (the team's lead not taken) get one digest each; the other manager has nothing.
        assert await round_() == 2
        sent = digests()
        assert sorted(sent) == sorted([USERS[owner], USERS["head"]])
        assert all(len(texts) == 1 for texts in sent.values())
        mine = sent[USERS[owner]][0]
        assert "<b>Просроченные задачи: 1</b>" in mine and "Перезвонить" in mine
        assert "<b>Не взятые заявки: 1</b>" in mine and f"/leads/{lead['id']}" in mine
        assert "Сделки без следующего дела" not in mine
        clock[0] += timedelta(hours=1)
        assert await round_() == 0  # later that morning: already sent
        # The next morning it comes again, once; a process whose send fails gives the day
        # back, and the next round sends it.
        clock[0] += timedelta(days=1)

        async def broken(_chat: str, _text: str) -> None:
            raise TimeoutError

        assert await DigestWatch(running.services, broken, lambda: clock[0]).run_once() == 0
        assert await round_() == 2
        assert all(len(texts) == 2 for texts in digests().values())
    finally:
        for bot in bots:
            await bot.session.close()
