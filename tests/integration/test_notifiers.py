"""Notifiers against real local peers: a Bot API stand-in, aiosmtpd, and an SSE client."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crm_core.notifications import NotificationChannel, NotificationKind, OutboxMessage
from intake.notify.dispatcher import Dispatcher
from intake.notify.email import EmailNotifier
from intake.notify.errors import DeliveryFailed
from intake.notify.sse import EventHub, SseNotifier, stream_events
from intake.notify.telegram import TelegramNotifier
from tests.unit.test_notify_dispatcher import Clock, FakeOutbox, notification, wait_until

TOKEN = "123456789:AAE-test-token_for-the-local-stand-in"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
LEAD: dict[str, Any] = {
    "lead_id": 42,
    "name": "Анна <Иванова>",
    "phone": "+7 916 123-45-67",
    "email": "anna@example.ru",
    "channel": "webform",
    "source": "Сайт",
    "message": "Здравствуйте! Нужен расчёт & смета.",
    "reason": "очередь «Входящие»",
    "link": "https://crm.example.ru/leads/42",
}


def outbox_message(
    address: str,
    channel: NotificationChannel = NotificationChannel.TELEGRAM,
    payload: dict[str, Any] | None = None,
    message_id: int = 1,
) -> OutboxMessage:
    return OutboxMessage(
        id=message_id,
        manager_id=5,
        channel=channel,
        kind=NotificationKind.LEAD_ASSIGNED,
        address=address,
        payload=dict(LEAD if payload is None else payload),
        attempts=0,
        created_at=T0,
        next_attempt_at=T0,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- Telegram -----------------------------------------------------------------------------


@dataclass
class BotApiStandIn:
    """A local Bot API server: records sendMessage calls and answers as told."""

    mode: str = "ok"
    calls: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def send_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.calls.append({key: str(value) for key, value in form.items()})
        if self.mode == "hang":
            await self.release.wait()
        if self.mode == "blocked":
            return error_reply(403, "Forbidden: bot was blocked by the user")
        if self.mode == "chat_not_found":
            return error_reply(400, "Bad Request: chat not found")
        if self.mode == "flood":
            return error_reply(429, "Too Many Requests: retry after 17", retry_after=17)
        if self.mode == "bad_gateway":  # what nginx in front of the Bot API sends
            return web.Response(status=502, text="<html>502 Bad Gateway</html>")
        if self.mode == "server_error":
            return error_reply(500, "Internal Server Error")
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "message_id": len(self.calls),
                    "date": 1795600000,
                    "chat": {
                        "id": int(str(form["chat_id"])),
                        "type": "private",
                        "first_name": "Анна",
                    },
                    "from": {
                        "id": 123456789,
                        "is_bot": True,
                        "first_name": "LeadIntake",
                        "username": "leadintake_bot",
                    },
                    "text": str(form["text"]),
                },
            }
        )


def error_reply(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


@pytest.fixture
async def bot_api() -> AsyncIterator[tuple[BotApiStandIn, str]]:
    stand_in = BotApiStandIn()
    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/sendMessage", stand_in.send_message)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield stand_in, str(server.make_url(""))
    finally:
        stand_in.release.set()
        await server.close()


@pytest.fixture
async def telegram(bot_api: tuple[BotApiStandIn, str]) -> AsyncIterator[TelegramNotifier]:
    notifier = TelegramNotifier(TOKEN, api_base=bot_api[1], timeout=5)
    try:
        yield notifier
    finally:
        await notifier.close()


async def test_telegram_message_reaches_the_chat_with_text_and_button(
    bot_api: tuple[BotApiStandIn, str], telegram: TelegramNotifier
) -> None:
    stand_in, _ = bot_api
    await telegram.send(outbox_message("987654321"))
    [call] = stand_in.calls
    assert call["chat_id"] == "987654321"
    assert call["parse_mode"] == "HTML"
    assert call["text"].startswith("<b>Вам назначена заявка №42</b>\n")
    assert "Имя: Анна &lt;Иванова&gt;" in call["text"]
    assert "Нужен расчёт &amp; смета." in call["text"]
    markup = json.loads(call["reply_markup"])
    assert markup == {
        "inline_keyboard": [[{"text": "Открыть заявку", "url": "https://crm.example.ru/leads/42"}]]
    }


async def test_telegram_without_http_link_sends_no_button(
    bot_api: tuple[BotApiStandIn, str], telegram: TelegramNotifier
) -> None:
    stand_in, _ = bot_api
    await telegram.send(outbox_message("-1001234", payload={**LEAD, "link": "/leads/42"}))
    await telegram.send(outbox_message("-1001234", payload={"lead_id": 42}))
    first, second = stand_in.calls
    assert "reply_markup" not in first
    assert first["chat_id"] == "-1001234"
    assert first["text"].endswith("\n\nОткрыть заявку: /leads/42")
    assert "reply_markup" not in second
    assert second["text"] == "<b>Вам назначена заявка №42</b>"


@pytest.mark.parametrize(
    ("mode", "permanent"),
    [
        ("blocked", True),
        ("chat_not_found", True),
        ("flood", False),
        ("bad_gateway", False),
        ("server_error", False),
    ],
)
async def test_telegram_failures_are_classified(
    bot_api: tuple[BotApiStandIn, str], telegram: TelegramNotifier, mode: str, permanent: bool
) -> None:
    stand_in, _ = bot_api
    stand_in.mode = mode
    with pytest.raises(DeliveryFailed) as caught:
        await telegram.send(outbox_message("987654321"))
    assert caught.value.permanent is permanent
    assert isinstance(caught.value.__cause__, Exception)
    for secret in ("987654321", TOKEN, "Анна", "916"):
        assert secret not in caught.value.message
    if mode == "flood":
        assert caught.value.retry_after == 17
    if mode == "blocked":
        assert "bot was blocked by the user" in caught.value.message


async def test_telegram_server_down_is_temporary() -> None:
    notifier = TelegramNotifier(TOKEN, api_base=f"http://127.0.0.1:{free_port()}", timeout=5)
    try:
        with pytest.raises(DeliveryFailed) as caught:
            await notifier.send(outbox_message("987654321"))
    finally:
        await notifier.close()
    assert caught.value.permanent is False
    assert caught.value.message.startswith("telegram: network error")


async def test_telegram_timeout_is_temporary(bot_api: tuple[BotApiStandIn, str]) -> None:
    stand_in, base = bot_api
    stand_in.mode = "hang"
    notifier = TelegramNotifier(TOKEN, api_base=base, timeout=0.2)
    try:
        with pytest.raises(DeliveryFailed) as caught:
            await notifier.send(outbox_message("987654321"))
    finally:
        await notifier.close()
    assert (caught.value.permanent, caught.value.message) == (
        False,
        "telegram: network error (timeout)",
    )


async def test_telegram_address_that_is_no_chat_id_fails_for_good(
    bot_api: tuple[BotApiStandIn, str], telegram: TelegramNotifier
) -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await telegram.send(outbox_message("anna@example.ru"))
    assert caught.value.permanent is True
    assert bot_api[0].calls == []


async def test_notification_outlives_a_telegram_outage(
    bot_api: tuple[BotApiStandIn, str], telegram: TelegramNotifier
) -> None:
    stand_in, _ = bot_api
    outbox, clock = FakeOutbox(), Clock()
    [message_id] = await outbox.enqueue([notification()], clock())
    dispatcher = Dispatcher(outbox.transaction, {NotificationChannel.TELEGRAM: telegram}, clock)
    stand_in.mode = "bad_gateway"
    await dispatcher.run_once()
    assert outbox.rows[message_id].status == "pending"
    assert outbox.rows[message_id].message.last_error == (
        "telegram: unreadable response from the server"
    )
    stand_in.mode = "ok"
    clock.advance(timedelta(minutes=1))
    assert await dispatcher.run_once() == 1
    assert outbox.rows[message_id].status == "sent"
    assert [call["chat_id"] for call in stand_in.calls] == ["123456", "123456"]


# --- E-mail -------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and refuses what it is told to."""

    def __init__(self) -> None:
        self.letters: list[tuple[list[str], EmailMessage]] = []
        self.refused: set[str] = set()
        self.data_reply: str | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply:
            return self.data_reply
        content = envelope.original_content or b""
        letter = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(letter, EmailMessage)
        self.letters.append((list(envelope.rcpt_tos), letter))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


def email_notifier(port: int, timeout: float = 5) -> EmailNotifier:
    return EmailNotifier("127.0.0.1", port, "LeadIntake <noreply@crm.example.ru>", timeout=timeout)


async def test_email_letter_reaches_the_manager_in_russian(
    smtp_server: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp_server
    await email_notifier(port).send(
        outbox_message("manager@example.ru", NotificationChannel.EMAIL)
    )
    [(recipients, letter)] = mailbox.letters
    assert recipients == ["manager@example.ru"]
    assert letter["To"] == "manager@example.ru"
    assert letter["From"] == "LeadIntake <noreply@crm.example.ru>"
    assert letter["Subject"] == "Вам назначена заявка №42 — Анна <Иванова>"
    assert letter["Auto-Submitted"] == "auto-generated"
    assert letter["Message-ID"].endswith("@crm.example.ru>")
    assert letter.get_content_type() == "text/plain"
    assert letter.get_content_charset() == "utf-8"
    body = letter.get_content().replace("\r\n", "\n")
    assert body.startswith("Вам назначена заявка №42\n\nИмя: Анна <Иванова>\n")
    assert "Нужен расчёт & смета." in body
    assert "Открыть заявку: https://crm.example.ru/leads/42" in body


async def test_email_recipient_refused_is_permanent(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    mailbox.refused.add("gone@example.ru")
    with pytest.raises(DeliveryFailed) as caught:
        await email_notifier(port).send(
            outbox_message("gone@example.ru", NotificationChannel.EMAIL)
        )
    assert caught.value.permanent is True
    assert caught.value.message == "email: recipient refused (550)"
    assert mailbox.letters == []


async def test_email_temporary_refusal_is_temporary(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    mailbox.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(DeliveryFailed) as caught:
        await email_notifier(port).send(
            outbox_message("manager@example.ru", NotificationChannel.EMAIL)
        )
    assert caught.value.permanent is False
    assert caught.value.message == "email: letter refused (451 4.3.0)"


async def test_email_rejected_letter_is_permanent(smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    mailbox.data_reply = "554 5.7.1 Message rejected as spam"
    with pytest.raises(DeliveryFailed) as caught:
        await email_notifier(port).send(
            outbox_message("manager@example.ru", NotificationChannel.EMAIL)
        )
    assert caught.value.permanent is True


async def test_email_server_down_is_temporary() -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await email_notifier(free_port()).send(
            outbox_message("manager@example.ru", NotificationChannel.EMAIL)
        )
    assert caught.value.permanent is False
    assert caught.value.message.startswith("email: connection failed")
    assert "manager@example.ru" not in caught.value.message


async def test_email_to_a_malformed_address_fails_for_good(
    smtp_server: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp_server
    for address in ("123456", "a@example.ru\r\nBcc: x@example.ru", ""):
        with pytest.raises(DeliveryFailed) as caught:
            await email_notifier(port).send(outbox_message(address, NotificationChannel.EMAIL))
        assert caught.value.permanent is True
    assert mailbox.letters == []


# --- Server-Sent Events -------------------------------------------------------------------


@dataclass
class SseServer:
    """An aiohttp server whose /events handler streams manager 5's events."""

    hub: EventHub
    url: str


async def start_sse_server(
    hub: EventHub, keepalive: float, handler_cancellation: bool
) -> tuple[SseServer, Callable[[], Awaitable[None]]]:
    async def events(request: web.Request) -> web.StreamResponse:
        return await stream_events(request, hub, 5, keepalive=keepalive)

    app = web.Application()
    app.router.add_get("/events", events)
    runner = web.AppRunner(app, handler_cancellation=handler_cancellation)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return SseServer(hub, f"http://127.0.0.1:{port}/events"), runner.cleanup


@pytest.fixture(params=[True, False], ids=["handler_cancellation", "no_handler_cancellation"])
async def sse(request: pytest.FixtureRequest) -> AsyncIterator[SseServer]:
    server, cleanup = await start_sse_server(EventHub(), 0.05, request.param)
    try:
        yield server
    finally:
        server.hub.close()
        await cleanup()


async def read_event(response: aiohttp.ClientResponse) -> dict[str, str]:
    """The next event's fields (comments skipped); {} at the end of the stream."""
    fields: dict[str, str] = {}
    async with asyncio.timeout(5):
        while True:
            raw = await response.content.readline()
            if not raw:
                return fields
            line = raw.decode().rstrip("\n")
            if not line:
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value


async def test_sse_streams_events_in_order_with_ids(sse: SseServer) -> None:
    async with aiohttp.ClientSession() as session, session.get(sse.url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        assert sse.hub.subscriber_count(5) == 1
        assert sse.hub.publish(5, 11, "lead_assigned", {"lead_id": 42, "title": "Заявка"}) == 1
        assert sse.hub.publish(6, 12, "lead_assigned", {"lead_id": 43}) == 0  # someone else's
        assert sse.hub.publish(5, 13, "task_due", {"text": "две\nстроки"}) == 1
        first, second = await read_event(response), await read_event(response)
    assert first == {
        "id": "11",
        "event": "lead_assigned",
        "data": '{"lead_id":42,"title":"Заявка"}',
    }
    assert (second["id"], second["event"]) == ("13", "task_due")
    assert json.loads(second["data"]) == {"text": "две\nстроки"}


async def test_sse_sends_keepalive_comments_when_idle(sse: SseServer) -> None:
    async with aiohttp.ClientSession() as session, session.get(sse.url) as response:
        async with asyncio.timeout(5):
            line = await response.content.readline()
    assert line == b": keepalive\n"


async def test_sse_disconnect_leaves_no_subscriber_behind(sse: SseServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(sse.url) as response:
            assert sse.hub.subscriber_count(5) == 1
            sse.hub.publish(5, 1, "lead_assigned", {})
            assert (await read_event(response))["id"] == "1"
        await wait_until(lambda: sse.hub.subscriber_count(5) == 0)


async def test_sse_hub_close_ends_the_stream(sse: SseServer) -> None:
    async with aiohttp.ClientSession() as session, session.get(sse.url) as response:
        sse.hub.close()
        async with asyncio.timeout(5):
            rest = await response.content.read()
    assert b"data:" not in rest
    assert sse.hub.subscriber_count(5) == 0
    async with aiohttp.ClientSession() as session, session.get(sse.url) as response:
        async with asyncio.timeout(5):
            assert await response.content.read() == b""  # closed hub: ends at once


async def test_sse_notifier_publishes_the_rendered_notification(sse: SseServer) -> None:
    notifier = SseNotifier(sse.hub)
    await notifier.send(outbox_message("5", NotificationChannel.SSE))  # nobody listening: fine
    async with aiohttp.ClientSession() as session, session.get(sse.url) as response:
        await notifier.send(outbox_message("5", NotificationChannel.SSE, message_id=77))
        event = await read_event(response)
    assert (event["id"], event["event"]) == ("77", "lead_assigned")
    data = json.loads(event["data"])
    assert data["title"] == "Вам назначена заявка №42 — Анна <Иванова>"
    assert data["text"].startswith("Вам назначена заявка №42\n")
    assert data["link"] == "https://crm.example.ru/leads/42"
    assert data["lead_id"] == 42
    assert data["kind"] == "lead_assigned"
    assert data["created_at"] == T0.isoformat()


async def test_hub_drops_a_lagging_subscriber_without_blocking_others() -> None:
    hub = EventHub(queue_size=2)
    lagging, reading = hub.subscribe(5), hub.subscribe(5)
    received = []
    for event_id in (1, 2, 3):
        reached = hub.publish(5, event_id, "lead_assigned", {})
        received.append(await anext(reading))
        assert reached == (2 if event_id < 3 else 1)
    assert [event.id for event in received] == [1, 2, 3]
    assert lagging.dropped and lagging.closed
    assert [event async for event in lagging] == []
    assert hub.subscriber_count(5) == 1
    reading.close()
    assert hub.subscriber_count(5) == 0


async def test_hub_close_wakes_a_waiting_subscriber() -> None:
    hub = EventHub()
    subscription = hub.subscribe(5)
    waiter = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0)  # let it start waiting
    hub.close()
    with pytest.raises(StopAsyncIteration):
        async with asyncio.timeout(5):
            await waiter
    assert hub.subscribe(5).closed
