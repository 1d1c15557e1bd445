"""Telegram webhook over real HTTP: updates become leads once, secrets and errors are enforced."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from config import Settings, load_settings
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service

FIXTURES = Path(__file__).parents[1] / "channels" / "telegram" / "fixtures"
SECRET = "wh-Secret_7f3c9a1e"
SALES_HOOK = "/hooks/telegram/sales"  # has a webhook secret
OPEN_HOOK = "/hooks/telegram/support"  # has none
BOTS = """
[[telegram.bots]]
name = "sales"
auto_reply = ""

[[telegram.bots]]
name = "support"

[[telegram.bots]]
name = "chatty"
auto_reply_every_hours = 0
"""


def telegram_settings(tmp_path: Path) -> Settings:
    """The test config with two bots; only `sales` has a webhook secret (from the environment)."""
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + BOTS, "utf-8")
    return load_settings(path, environ={"LEADINTAKE_TELEGRAM_SALES_SECRET": SECRET})


@asynccontextmanager
async def start(kind: str, tmp_path: Path) -> AsyncIterator[Running]:
    async with (
        storage_of_kind(kind, tmp_path) as storage,
        run_service(telegram_settings(tmp_path), storage) as running,
    ):
        yield running


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Running]:
    """The service with Telegram bots configured, on SQLite."""
    async with start("sqlite", tmp_path) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
async def any_db_service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    """The service with Telegram bots configured, on each database."""
    async with start(request.param, tmp_path) as running:
        yield running


def update(name: str, **message: Any) -> dict[str, Any]:
    """A captured update, optionally with its message fields changed."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    data.get("message", {}).update(message)
    return data


async def deliver(
    running: Running,
    body: dict[str, Any] | bytes,
    *,
    url: str = SALES_HOOK,
    secret: str | None = SECRET,
) -> tuple[int, Any]:
    """POST as Telegram does; returns the status and the JSON answer."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    async with running.client.post(url, data=data, headers=headers) as response:
        return response.status, await response.json()


async def wait_for_update(
    running: Running, update_id: int, timeout: float = 10.0
) -> dict[str, Any]:
    """Poll the leads API until the lead of an update exists."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [i for i in await running.leads() if i["meta"].get("update_id") == str(update_id)]
        if found:
            return found[0]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no lead for update {update_id} after {timeout}s")
        await asyncio.sleep(0.02)


async def metrics(running: Running) -> str:
    async with running.client.get("/metrics") as response:
        return await response.text()


def counted(outcome: str, n: int) -> str:
    return f'leadintake_intake_requests_total{{channel="telegram",outcome="{outcome}"}} {n}.0'


async def test_text_message_becomes_a_lead(service: Running) -> None:
    status, answer = await deliver(service, update("text_message"))

    assert (status, answer) == (200, {})
    lead = await wait_for_update(service, 815372941)
    assert lead["channel"] == "telegram" and lead["source"] == "sales"
    assert lead["form"] is None
    assert lead["name"] == "Иван Петров"
    assert lead["messenger_ids"] == {
        "telegram_id": "482915736",
        "telegram_username": "ivan_petrov_spb",
    }
    assert lead["comment"] == "Здравствуйте! Сколько стоит установка трёх пластиковых окон?"
    assert lead["phone"] is None and lead["flags"] == []
    assert lead["meta"]["message_date"] == "2026-03-14T09:29:57+00:00"
    assert lead["assignee"] in ("ivanova", "petrov")
    assert counted("accepted", 1) in await metrics(service)


async def test_redelivered_update_makes_one_lead(any_db_service: Running) -> None:
    running = any_db_service
    for _ in range(3):
        assert await deliver(running, update("text_message")) == (200, {})
    first = await wait_for_update(running, 815372941)
    # A later update from someone else: once its lead exists, the worker has drained the
    # inbox past the re-deliveries, so a lead they made would show by now.
    assert (await deliver(running, update("photo_caption")))[0] == 200
    await wait_for_update(running, 815372946)

    leads = await running.leads()
    assert sorted(i["meta"]["update_id"] for i in leads) == ["815372941", "815372946"]
    assert [i["id"] for i in leads if i["meta"]["update_id"] == "815372941"] == [first["id"]]
    text = await metrics(running)
    assert counted("accepted", 2) in text and counted("duplicate", 2) in text


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET.lower(), SECRET + "x"])
async def test_wrong_or_missing_secret_is_401_and_stores_nothing(
    service: Running, secret: str | None
) -> None:
    status, error = await deliver(service, update("text_message"), secret=secret)

    assert status == 401
    assert error["error"] == "unauthorized"
    assert error["field"] == "X-Telegram-Bot-Api-Secret-Token"
    assert SECRET not in json.dumps(error)
    async with service.services.storage.reader() as uow:
        assert (await uow.inbox.stats()).pending == 0
    # Nothing was stored: the genuine delivery of the same update is new, not a duplicate.
    assert await deliver(service, update("text_message")) == (200, {})
    await wait_for_update(service, 815372941)
    text = await metrics(service)
    assert counted("rejected", 1) in text and counted("accepted", 1) in text
    assert 'channel="telegram",outcome="duplicate"' not in text


async def test_undecodable_secret_header_is_401(service: Running) -> None:
    body = json.dumps(update("text_message")).encode()
    server = service.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"POST " + SALES_HOOK.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: \xff\xd0\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()

    assert answer.startswith(b"HTTP/1.1 401 ")


async def test_bot_without_a_secret_takes_any_header(service: Running) -> None:
    status, answer = await deliver(service, update("text_message"), url=OPEN_HOOK, secret=None)
    assert status == 200 and answer["method"] == "sendMessage"  # its auto-reply

    lead = await wait_for_update(service, 815372941)
    assert lead["source"] == "support"


async def test_unknown_bot_is_404_naming_it(service: Running) -> None:
    status, error = await deliver(service, update("text_message"), url="/hooks/telegram/nope")

    assert status == 404
    assert error["field"] == "bot_name" and "'nope'" in error["message"]


async def test_own_contact_share_gives_a_verified_normalized_phone(service: Running) -> None:
    assert await deliver(service, update("contact_own")) == (200, {})

    lead = await wait_for_update(service, 815372944)
    assert lead["phone"] == "+79161234567"
    assert lead["meta"]["phone_verified"] == "true"
    assert lead["messenger_ids"]["telegram_id"] == "482915736"


async def test_someone_elses_contact_is_kept_as_fields(service: Running) -> None:
    assert await deliver(service, update("contact_other")) == (200, {})

    lead = await wait_for_update(service, 815372945)
    assert lead["phone"] is None and "phone_verified" not in lead["meta"]
    assert lead["fields"]["contact_phone"] == "+79037654321"
    assert lead["fields"]["contact_first_name"] == "Ольга"


async def test_start_payload_is_kept(service: Running) -> None:
    assert await deliver(service, update("start_payload")) == (200, {})
    assert await deliver(service, update("start_bare")) == (200, {})

    lead = await wait_for_update(service, 815372942)
    assert lead["utm"] == {"utm_content": "yd_okna_spring2026"}
    assert lead["meta"]["start_payload"] == "yd_okna_spring2026"
    bare = await wait_for_update(service, 815372943)
    assert bare["utm"] == {} and bare["meta"]["command"] == "start"
    assert bare["messenger_ids"] == {"telegram_id": "603748125"}


async def test_attachments_are_referenced_not_downloaded(service: Running) -> None:
    assert await deliver(service, update("document")) == (200, {})

    lead = await wait_for_update(service, 815372947)
    assert lead["meta"]["attachments"] == "document"
    assert lead["meta"]["document_file_id"].startswith("BQACAgIAAxkBAAMY")


@pytest.mark.parametrize(
    "name",
    [
        "group_message",
        "bot_sender",
        "callback_query",
        "edited_message",
        "my_chat_member",
        "sticker",
    ],
)
async def test_other_updates_are_acknowledged_and_not_stored(service: Running, name: str) -> None:
    assert await deliver(service, update(name)) == (200, {})

    async with service.services.storage.reader() as uow:
        assert (await uow.inbox.stats()).pending == 0
    assert counted("ignored", 1) in await metrics(service)
    # A lead-making update after it is the only lead.
    assert (await deliver(service, update("text_message")))[0] == 200
    await wait_for_update(service, 815372941)
    assert [i["meta"]["update_id"] for i in await service.leads()] == ["815372941"]


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        (b'{"update_id": ', "malformed_body", "body"),
        (b"[1, 2]", "malformed_body", "body"),
        (b"", "malformed_body", "body"),
        (b"\xff\xfe{}", "malformed_body", "body"),
        (b'{"message": {}}', "invalid_field", "update_id"),
        (b'{"update_id": "7", "message": {}}', "invalid_field", "update_id"),
        (b'{"update_id": 7, "message": "hi"}', "invalid_field", "message"),
        (
            b'{"update_id": 7, "message": {"message_id": 1, "date": 1}}',
            "invalid_field",
            "message.chat",
        ),
    ],
)
async def test_a_body_that_is_not_an_update_is_400_naming_the_field(
    service: Running, body: bytes, error: str, field: str
) -> None:
    status, answer = await deliver(service, body)

    assert status == 400
    assert (answer["error"], answer["field"]) == (error, field)
    assert answer["message"]
    async with service.services.storage.reader() as uow:
        assert (await uow.inbox.stats()).pending == 0


async def test_oversize_body_is_413(service: Running) -> None:
    big = update("text_message", text="о" * 40_000)

    status, answer = await deliver(service, big)

    assert status == 413 and answer["field"] == "body"


async def test_odd_updates_never_get_a_500(service: Running) -> None:
    odd: list[Any] = [
        None,
        {"update_id": 2**70, "message": None},
        {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"type": None}}},
        {"update_id": 1, "message": {**update("text_message")["message"], "from": []}},
        {"update_id": 1, "message": {**update("text_message")["message"], "photo": [1]}},
        {"update_id": 1, "message": {**update("text_message")["message"], "date": 10**20}},
        {"update_id": 1, "message": {**update("contact_own")["message"], "contact": {"a": 1}}},
    ]
    for body in odd:
        status, _ = await deliver(service, json.dumps(body).encode())
        assert status < 500, body


async def test_logs_carry_no_personal_data(
    service: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("text_message", "contact_own", "group_message", "callback_query"):
        assert (await deliver(service, update(name)))[0] == 200
    await deliver(service, update("text_message"), secret="wrong")
    # The phone shared after the first message goes onto its lead, not into a new one.
    attached = 'leadintake_messages_attached_total{channel="telegram"} 1.0'
    deadline = asyncio.get_running_loop().time() + 10
    while attached not in await metrics(service):
        assert asyncio.get_running_loop().time() < deadline, "the shared phone was not logged"
        await asyncio.sleep(0.02)
    [lead] = await service.leads()
    assert lead["phone"] == "+79161234567"

    for secret_or_personal in ("Иван", "Петров", "ivan_petrov", "9161234567", "окон", SECRET):
        assert secret_or_personal not in caplog.text


def test_the_app_starts_without_importing_aiogram() -> None:
    """aiogram takes ~2 s to import; the webhook must not put it on the CLI's start path."""
    code = "import sys, intake.http.app; print('aiogram' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


async def test_the_bot_answers_the_customer_once_offering_to_share_the_phone(
    service: Running,
) -> None:
    status, answer = await deliver(service, update("text_message"), url=OPEN_HOOK, secret=None)
    assert status == 200 and answer["method"] == "sendMessage"
    assert answer["chat_id"] == 482915736 and "менеджер скоро ответит" in answer["text"]
    [[button]] = answer["reply_markup"]["keyboard"]
    assert button["request_contact"] is True

    again = await deliver(service, update("text_message"), url=OPEN_HOOK, secret=None)
    assert again == (200, {})  # a re-delivery is not answered twice

    # The same chat writes again (here: shares the phone): one greeting per conversation.
    shared = await deliver(service, update("contact_own"), url=OPEN_HOOK, secret=None)
    assert shared == (200, {})


async def test_a_bot_set_to_answer_every_message_does_so(service: Running) -> None:
    hook = "/hooks/telegram/chatty"
    status, first = await deliver(service, update("text_message"), url=hook, secret=None)
    assert status == 200 and first["reply_markup"]["keyboard"][0][0]["request_contact"]
    status, answer = await deliver(service, update("contact_own"), url=hook, secret=None)
    assert answer["method"] == "sendMessage" and "reply_markup" not in answer  # phone known


async def test_a_message_with_a_nul_and_a_broken_surrogate_is_kept_cleaned_and_flagged(
    any_db_service: Running,
) -> None:
    """Telegram retries a refused update forever, so relayed text is cleaned, not refused."""
    body = update("text_message", text="Окна\x00 нужны \ud83d срочно")
    raw = json.dumps(body).encode()  # \u escapes, as a sender that does not check would send
    status, _ = await deliver(any_db_service, raw)
    assert status == 200
    lead = await wait_for_update(any_db_service, 815372941)
    assert lead["comment"] == "Окна\ufffd нужны \ufffd срочно"
    assert lead["meta"]["altered_fields"] == "comment, payload.update.message.text"
