"""The replies dispatcher at work: chats get their messages in order, sends overlap, a killed
dispatcher loses nothing and sends nothing twice, two processes share the queue, on SQLite
and PostgreSQL, against the local Bot API stand-in."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channels.sending import OutgoingText, Sender, SendResult
from channels.telegram.sender import TelegramSender
from channels.telegram.settings import TelegramBotSettings
from crm_core.replies_model import NewOutgoingMessage, OutgoingMessagePort, OutgoingState
from crm_core.sales import RecordKind
from crm_core.storage import Storage
from crm_core.storage.postgres import PostgresStorage
from crm_core.storage.sqlite import SqliteStorage
from intake.replies.dispatcher import ReplyDispatcher
from tests.conftest import pg_schema
from tests.integration.replies_support import (
    TELEGRAM_TOKEN,
    platform_stand_in,
    telegram_error,
    wait_for,
)
from tests.integration.test_replies import (
    CHAT_ID,
    LEASE,
    Clock,
    World,
    client_message,
    world,  # noqa: F401  (the fixture)
)
from tests.integration.test_sales_flow import team

OTHER_CHAT = 573920184


async def queue(
    world: World,  # noqa: F811
    activity_id: int,
    chat: int,
    *texts: str,
) -> list[int]:
    """Store messages to a Telegram chat of the bot "sales", on the lead of `activity_id`
    (each a message of its own on the platform); returns their ids."""
    ids: list[int] = []
    async with world.storage.transaction() as uow:
        for text in texts:
            message_id = await uow.replies.add(
                NewOutgoingMessage(
                    RecordKind.LEAD,
                    1,
                    activity_id,
                    "telegram",
                    "sales",
                    str(chat),
                    text,
                    f"test:{chat}:{text}",
                    None,
                ),
                world.clock(),
            )
            assert message_id is not None
            ids.append(message_id)
    return ids


def delivered_to(
    world: World,  # noqa: F811
    chat: int,
) -> list[str]:
    """The texts the stand-in accepted for a chat, in the order it accepted them."""
    return [m["text"] for m in world.stand_in.telegram_delivered if m["chat_id"] == chat]


@asynccontextmanager
async def running(dispatcher: ReplyDispatcher, wake: asyncio.Event) -> AsyncIterator[None]:
    """The dispatcher's loop for the block (idle poll of a minute: only wake-ups and due
    retries start a turn); stopped and awaited afterwards."""
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, wake, idle_poll=60))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def test_only_the_earliest_queued_message_of_a_chat_is_claimed(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    greeting = await world.reply(lead.id, "Здравствуйте")
    first, second = await queue(world, greeting.activity_id, CHAT_ID, "Первое", "Второе")
    [other] = await queue(world, greeting.activity_id, OTHER_CHAT, "Другому")
    now = world.clock()
    lease = now + timedelta(seconds=1)

    async with world.storage.transaction() as uow:
        claimed = await uow.replies.claim_due(now, 10, lease)
        assert [m.id for m in claimed] == [greeting.id, other]  # the rest wait behind
        assert await uow.replies.claim_due(now, 10, lease) == []
        await uow.replies.mark_sent(greeting.id, "1", now)
        await uow.replies.mark_sent(other, "2", now)
        assert [m.id for m in await uow.replies.claim_due(now, 10, lease)] == [first]
        # The first one waits for its retry, and the second one behind it, leased or not.
        await uow.replies.mark_retry(first, 1, now + timedelta(seconds=5), "500", now)
        later = now + timedelta(seconds=2)
        assert await uow.replies.claim_due(later, 10, later + LEASE) == []
        await uow.replies.mark_failed(first, 2, "Forbidden: bot was blocked by the user", now)
        assert [m.id for m in await uow.replies.claim_due(later, 10, later + LEASE)] == [second]


async def test_a_chat_gets_its_messages_in_order_even_when_the_first_is_retried(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    texts = ["Первое", "Второе", "Третье"]
    for text in texts:
        await world.reply(lead.id, text)
    world.stand_in.telegram_faults.append(telegram_error(500, "Internal Server Error"))
    wake = asyncio.Event()

    async with running(world.dispatcher(clock=lambda: datetime.now(UTC)), wake):
        await wait_for(lambda: len(world.stand_in.telegram_delivered) == 3, timeout=15)

    assert delivered_to(world, CHAT_ID) == texts
    assert [m["text"] for m in world.stand_in.telegram_calls] == ["Первое", *texts]


async def test_a_slow_send_does_not_hold_back_a_message_stored_meanwhile(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    greeting = await world.reply(lead.id, "Здравствуйте")
    stalled = asyncio.Event()
    world.stand_in.telegram_holds[str(OTHER_CHAT)] = stalled
    wake = asyncio.Event()
    dispatcher = world.dispatcher(clock=lambda: datetime.now(UTC))

    async with running(dispatcher, wake):
        await wait_for(lambda: delivered_to(world, CHAT_ID) == ["Здравствуйте"])
        await queue(world, greeting.activity_id, OTHER_CHAT, "Медленный чат")
        wake.set()
        await wait_for(lambda: len(world.stand_in.telegram_calls) == 2)
        # The platform sits on that call; a reply stored now still goes out at once.
        await world.reply(lead.id, "Быстрый ответ")
        wake.set()
        await wait_for(lambda: delivered_to(world, CHAT_ID) == ["Здравствуйте", "Быстрый ответ"])
        assert delivered_to(world, OTHER_CHAT) == []
        stalled.set()
        await wait_for(lambda: delivered_to(world, OTHER_CHAT) == ["Медленный чат"])


async def test_a_dispatcher_killed_while_sending_loses_nothing_and_the_next_sends_once(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    queued = await world.reply(lead.id, "Отвечаю")
    # The platform sits on the first call (and never accepts it: its answer would be lost).
    held = asyncio.Event()
    world.stand_in.telegram_holds[str(CHAT_ID)] = held
    killed = world.dispatcher()
    task = asyncio.create_task(killed.run(asyncio.Event(), asyncio.Event(), idle_poll=60))
    try:
        await wait_for(lambda: len(world.stand_in.telegram_calls) == 1)
        task.cancel()  # killed in the middle of the send: nothing about it is recorded
        with pytest.raises(asyncio.CancelledError):
            await task
        del world.stand_in.telegram_holds[str(CHAT_ID)]
        stored = await world.message(queued.id)
        assert (stored.state, stored.attempts) == (OutgoingState.QUEUED, 0)
        survivor = world.dispatcher()
        assert await survivor.run_once() == 0  # still leased by the dead one: not sent twice
        world.clock.advance(LEASE)
        assert await survivor.run_once() == 1

        assert world.stand_in.telegram_delivered == [{"chat_id": CHAT_ID, "text": "Отвечаю"}]
        assert (await world.message(queued.id)).state is OutgoingState.SENT
    finally:
        held.set()  # lets the stand-in's abandoned call end before the server closes


class CountingSender:
    """A sender that counts the calls it passes on (to see who sent)."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner
        self.sent = 0

    async def send(self, message: OutgoingText) -> SendResult:
        """Pass the message on, counting it."""
        self.sent += 1
        return await self.inner.send(message)

    async def close(self) -> None:
        """Close the inner sender."""
        await self.inner.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def two_handles(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two storages on one fresh database, as two service processes open it."""

    @asynccontextmanager
    async def handles() -> AsyncIterator[tuple[Storage, Storage]]:
        if request.param == "sqlite":
            path = tmp_path / "shared.sqlite3"
            yield SqliteStorage(path), SqliteStorage(path)
            return
        async with pg_schema() as (url, schema):
            yield (
                PostgresStorage(url, min_size=1, max_size=4, schema=schema),
                PostgresStorage(url, min_size=1, max_size=4, schema=schema),
            )

    async with handles() as (first, second):
        await first.open()
        await first.migrate()
        await second.open()
        try:
            yield first, second
        finally:
            await second.close()
            await first.close()


async def test_two_processes_send_each_message_once_and_each_chat_in_order(
    two_handles: tuple[Storage, Storage],
) -> None:
    first_storage, second_storage = two_handles
    chats = [CHAT_ID + n for n in range(1, 9)]
    per_chat = [f"Сообщение {n}" for n in range(5)]
    async with platform_stand_in() as stand_in:
        world = World(first_storage, stand_in, await team(first_storage), Clock(), [])
        lead = await world.client_lead(client_message("tg:1", "Алло"))
        greeting = await world.reply(lead.id, "Здравствуйте")
        for chat in chats:
            await queue(world, greeting.activity_id, chat, *(f"{chat}: {t}" for t in per_chat))
        stand_in.latency = 0.005
        stand_in.telegram_fail_share = 0.2
        senders: list[CountingSender] = []

        def dispatcher(storage: Storage) -> ReplyDispatcher:
            @asynccontextmanager
            async def replies() -> AsyncIterator[OutgoingMessagePort]:
                async with storage.transaction() as uow:
                    yield uow.replies

            sender = CountingSender(
                TelegramSender(
                    (TelegramBotSettings("sales", token=TELEGRAM_TOKEN, api_base=stand_in.url),)
                )
            )
            senders.append(sender)
            now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
            return ReplyDispatcher(
                replies, {"telegram": sender}, now, batch=3, concurrency=4, lease=LEASE
            )

        expected = len(chats) * len(per_chat) + 1
        try:
            async with (
                running(dispatcher(first_storage), asyncio.Event()),
                running(dispatcher(second_storage), asyncio.Event()),
            ):
                await wait_for(lambda: len(stand_in.telegram_delivered) >= expected, timeout=60)
        finally:
            for sender in senders:
                await sender.close()

        delivered = Counter(m["text"] for m in stand_in.telegram_delivered)
        assert len(delivered) == expected and set(delivered.values()) == {1}
        for chat in chats:
            texts = [m["text"] for m in stand_in.telegram_delivered if m["chat_id"] == chat]
            assert texts == [f"{chat}: {text}" for text in per_chat]
        assert len(stand_in.telegram_calls) > expected, "the 20 % refused were tried again"
        assert all(sender.sent for sender in senders), "both processes took a share"
        async with first_storage.reader() as uow:
            for n in range(1, expected + 1):
                stored = await uow.replies.get(n)
                assert stored is not None and stored.state is OutgoingState.SENT


async def test_a_stopping_dispatcher_releases_what_it_had_not_started(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    greeting = await world.reply(lead.id, "Здравствуйте")  # to CHAT_ID: sent first
    others = [CHAT_ID + n for n in range(1, 5)]
    waiting = [(await queue(world, greeting.activity_id, chat, "Ждёт"))[0] for chat in others]
    held = asyncio.Event()
    world.stand_in.telegram_holds[str(CHAT_ID)] = held
    stop = asyncio.Event()
    task = asyncio.create_task(
        world.dispatcher(batch=5, concurrency=1).run(stop, asyncio.Event(), idle_poll=60)
    )
    await wait_for(lambda: len(world.stand_in.telegram_calls) == 1)

    stop.set()  # one send under way, four claimed and waiting for its slot
    held.set()
    await asyncio.wait_for(task, timeout=30)

    assert world.stand_in.telegram_delivered == [{"chat_id": CHAT_ID, "text": "Здравствуйте"}]
    for message_id in waiting:
        stored = await world.message(message_id)
        assert (stored.state, stored.attempts, stored.last_error) == (
            OutgoingState.QUEUED,
            0,
            None,
        )
    # Released, not left leased: the next dispatcher sends them now, not after the lease.
    assert await world.dispatcher().run_once() == 4
    assert sorted(m["chat_id"] for m in world.stand_in.telegram_delivered[1:]) == others
