"""Replies to clients on a real database, sent to local stand-ins of the Bot API and VK API.

The dispatcher runs on a clock the tests move, so retries and leases are exact: a message is
queued with its activity, claimed under a lease, sent, and marked sent only on the
platform's answer; failures are retried with backoff or end as failed with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from channels.model import EventKind, InboundEvent, PersonDetails
from channels.telegram.sender import TelegramSender
from channels.telegram.settings import TelegramBotSettings
from channels.vk.sender import VkSender, random_id
from channels.vk.settings import VkGroupSettings
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.errors import DomainError, NotFound, RuleError
from crm_core.model import Lead, Manager, NewInboxItem
from crm_core.replies import send_reply
from crm_core.replies_model import OutgoingMessage, OutgoingMessagePort, OutgoingState
from crm_core.sales import ActivityKind, RecordKind
from crm_core.storage import Storage
from intake.replies.dispatcher import BASE_DELAY, JITTER, ReplyDispatcher
from tests.integration.replies_support import (
    BLOCKED,
    NO_PERMISSION,
    TELEGRAM_TOKEN,
    VK_TOKEN,
    PlatformStandIn,
    http_error,
    platform_stand_in,
    telegram_error,
    vk_error,
    wait_for,
)
from tests.integration.test_followups import drain, leads
from tests.integration.test_sales_flow import PIPELINES, team

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CHAT_ID = 482915736
VK_USER = 48392017
GROUP_ID = 218765432
LEASE = timedelta(seconds=60)
# Longer than any first or second backoff (BASE_DELAY and twice it, each +25 % at most).
PAST_FIRST_BACKOFF = BASE_DELAY * (1 + JITTER) + timedelta(seconds=1)
PAST_SECOND_BACKOFF = BASE_DELAY * 2 * (1 + JITTER) + timedelta(seconds=1)


class Clock:
    """The dispatcher's time, moved by the test."""

    def __init__(self) -> None:
        self.now = T0 + timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def client_message(
    external_id: str,
    text: str,
    *,
    channel: str = "telegram",
    at: datetime = T0,
    phone: str | None = None,
) -> dict[str, Any]:
    """A client's message as the Telegram or VK adapter makes it."""
    ids = {"telegram_id": str(CHAT_ID)} if channel == "telegram" else {"vk_id": str(VK_USER)}
    return InboundEvent(
        channel=channel,
        source="sales" if channel == "telegram" else str(GROUP_ID),
        external_id=external_id,
        received_at=at,
        person=PersonDetails(name="Иван Петров", phone=phone, messenger_ids=ids),
        comment=text,
        kind=EventKind.MESSAGE,
    ).to_json()


async def add(storage: Storage, event: dict[str, Any]) -> None:
    """Store an event in the inbox as received when it says."""
    async with storage.transaction() as uow:
        await uow.inbox.add_batch(
            [
                NewInboxItem(
                    event["channel"],
                    event["source"],
                    event["external_id"],
                    datetime.fromisoformat(event["received_at"]),
                    {},
                    {},
                    event,
                )
            ]
        )


@dataclass
class World:
    """A stored team, the platform stand-in and a dispatcher factory on a moved clock."""

    storage: Storage
    stand_in: PlatformStandIn
    staff: dict[str, Manager]
    clock: Clock
    senders: list[TelegramSender | VkSender]

    def dispatcher(
        self, clock: Callable[[], datetime] | None = None, **options: Any
    ) -> ReplyDispatcher:
        """A dispatcher sending through the stand-in with its own HTTP sessions (on the
        test's clock unless given another)."""
        telegram = TelegramSender(
            (TelegramBotSettings("sales", token=TELEGRAM_TOKEN, api_base=self.stand_in.url),)
        )
        vk = VkSender(
            (
                VkGroupSettings(
                    GROUP_ID,
                    confirmation="",
                    access_token=VK_TOKEN,
                    api_base=self.stand_in.vk_api_base,
                ),
            )
        )
        self.senders += [telegram, vk]

        @asynccontextmanager
        async def replies() -> AsyncIterator[OutgoingMessagePort]:
            async with self.storage.transaction() as uow:
                yield uow.replies

        return ReplyDispatcher(
            replies, {"telegram": telegram, "vk": vk}, clock or self.clock, lease=LEASE, **options
        )

    async def client_lead(self, *events: dict[str, Any], owner: str = "ivanova") -> Lead:
        """The client writes; their lead is given to `owner`."""
        for event in events:
            await add(self.storage, event)
            await drain(self.storage)
        [lead] = await leads(self.storage)
        async with self.storage.transaction() as uow:
            await uow.leads.set_assignee(lead.id, self.staff[owner].id, None, T0)
        return lead

    async def reply(
        self,
        lead_id: int,
        text: str,
        *,
        channel: str | None = None,
        by: str = "ivanova",
        key: str | None = None,
        entity: RecordKind = RecordKind.LEAD,
    ) -> OutgoingMessage:
        """The manager answers from the record; returns the queued message."""
        async with self.storage.transaction() as uow:
            queued = await send_reply(
                uow,
                self.staff[by],
                entity,
                lead_id,
                channel,
                text,
                self.clock(),
                idempotency_key=key or f"test:{text}",
            )
        return queued.message

    async def message(self, message_id: int) -> OutgoingMessage:
        """The stored message now."""
        async with self.storage.reader() as uow:
            found = await uow.replies.get(message_id)
        assert found is not None
        return found


@pytest.fixture
async def world(storage: Storage) -> AsyncIterator[World]:
    async with platform_stand_in() as stand_in:
        built = World(storage, stand_in, await team(storage), Clock(), [])
        try:
            yield built
        finally:
            for sender in built.senders:
                await sender.close()


async def test_a_reply_goes_once_to_the_chat_through_the_bot_the_client_wrote_to(
    world: World,
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Сколько стоят окна?"))
    queued = await world.reply(lead.id, "Здравствуйте! От 12 000 ₽ за окно.")

    assert queued.state is OutgoingState.QUEUED and queued.channel == "telegram"
    assert (queued.account, queued.address) == ("sales", str(CHAT_ID))
    async with world.storage.reader() as uow:
        activities = await uow.sales.activities_of(RecordKind.LEAD, lead.id)
    mine = [a for a in activities if a.id == queued.activity_id]
    assert [(a.kind, a.text, a.actor) for a in mine] == [
        (ActivityKind.MESSAGE, "Здравствуйте! От 12 000 ₽ за окно.", "ivanova")
    ]
    dispatcher = world.dispatcher()

    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0
    assert world.stand_in.telegram_delivered == [
        {"chat_id": CHAT_ID, "text": "Здравствуйте! От 12 000 ₽ за окно."}
    ]
    sent = await world.message(queued.id)
    assert sent.state is OutgoingState.SENT
    assert (sent.platform_message_id, sent.attempts, sent.sent_at) == ("1001", 1, world.clock())


async def test_a_platform_failing_twice_is_retried_with_backoff_and_delivered_once(
    world: World,
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    queued = await world.reply(lead.id, "Перезвоню через час")
    world.stand_in.telegram_faults += [
        telegram_error(500, "Internal Server Error"),
        http_error(502),
    ]
    dispatcher = world.dispatcher()

    await dispatcher.run_once()
    first = await world.message(queued.id)
    assert (first.state, first.attempts, first.last_error) == (
        OutgoingState.QUEUED,
        1,
        "Internal Server Error",
    )
    delay = first.next_attempt_at - world.clock()
    assert BASE_DELAY * (1 - JITTER) <= delay <= BASE_DELAY * (1 + JITTER)
    assert await dispatcher.run_once() == 0  # not due yet
    world.clock.advance(PAST_FIRST_BACKOFF)
    await dispatcher.run_once()
    second = await world.message(queued.id)
    assert (second.state, second.attempts) == (OutgoingState.QUEUED, 2)
    assert second.last_error is not None and "502" in second.last_error
    world.clock.advance(PAST_SECOND_BACKOFF)
    await dispatcher.run_once()

    assert len(world.stand_in.telegram_calls) == 3
    assert world.stand_in.telegram_delivered == [
        {"chat_id": CHAT_ID, "text": "Перезвоню через час"}
    ]
    assert (await world.message(queued.id)).state is OutgoingState.SENT


async def test_a_running_dispatcher_retries_when_the_backoff_ends_not_at_its_idle_poll(
    world: World,
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    await world.reply(lead.id, "Уже отвечаю")
    world.stand_in.telegram_faults.append(telegram_error(500, "Internal Server Error"))
    dispatcher = world.dispatcher(clock=lambda: datetime.now(UTC))
    stop, wake = asyncio.Event(), asyncio.Event()

    # Nothing wakes it and it would poll once a minute: only the retry's own time can.
    running = asyncio.create_task(dispatcher.run(stop, wake, idle_poll=60))
    try:
        await wait_for(lambda: world.stand_in.telegram_delivered, timeout=10)
    finally:
        stop.set()
        await running

    assert len(world.stand_in.telegram_calls) == 2
    assert [m["text"] for m in world.stand_in.telegram_delivered] == ["Уже отвечаю"]


async def test_flood_control_waits_as_long_as_telegram_asks(world: World) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    queued = await world.reply(lead.id, "Секунду")
    world.stand_in.telegram_faults.append(
        telegram_error(429, "Too Many Requests: retry after 120", retry_after=120)
    )

    await world.dispatcher().run_once()

    stored = await world.message(queued.id)
    assert stored.state is OutgoingState.QUEUED
    assert stored.next_attempt_at - world.clock() == timedelta(seconds=120)


async def test_a_bot_blocked_by_the_client_fails_the_message_with_telegrams_reason(
    world: World,
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    queued = await world.reply(lead.id, "Вы здесь?")
    world.stand_in.telegram_faults.append(telegram_error(403, BLOCKED))
    dispatcher = world.dispatcher()

    await dispatcher.run_once()
    world.clock.advance(timedelta(hours=3))
    assert await dispatcher.run_once() == 0

    failed = await world.message(queued.id)
    assert (failed.state, failed.last_error, failed.attempts) == (OutgoingState.FAILED, BLOCKED, 1)
    assert len(world.stand_in.telegram_calls) == 1 and world.stand_in.telegram_delivered == []


async def test_a_vk_reply_carries_one_random_id_across_retries(world: World) -> None:
    lead = await world.client_lead(client_message("vk:1", "Добрый день", channel="vk"))
    queued = await world.reply(lead.id, "Добрый! Чем помочь?", key="api:vk-key-1")
    world.stand_in.vk_faults.append(vk_error(10, "Internal server error"))
    dispatcher = world.dispatcher()

    await dispatcher.run_once()
    world.clock.advance(PAST_FIRST_BACKOFF)
    await dispatcher.run_once()

    calls = world.stand_in.vk_calls
    assert [c["random_id"] for c in calls] == [str(random_id("api:vk-key-1"))] * 2
    assert [(c["peer_id"], c["message"], c["v"]) for c in calls] == [
        (str(VK_USER), "Добрый! Чем помочь?", "5.199")
    ] * 2
    assert len(world.stand_in.vk_delivered) == 1
    sent = await world.message(queued.id)
    assert (sent.state, sent.account, sent.platform_message_id) == (
        OutgoingState.SENT,
        str(GROUP_ID),
        "501",
    )


async def test_vk_error_901_fails_the_message_with_the_reason(world: World) -> None:
    lead = await world.client_lead(client_message("vk:1", "Добрый день", channel="vk"))
    queued = await world.reply(lead.id, "Здравствуйте")
    world.stand_in.vk_faults.append(vk_error(901, NO_PERMISSION))

    await world.dispatcher().run_once()

    failed = await world.message(queued.id)
    assert failed.state is OutgoingState.FAILED
    assert failed.last_error == f"vk: 901 {NO_PERMISSION}"


async def test_a_dispatcher_killed_holding_the_lease_loses_nothing(world: World) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    queued = await world.reply(lead.id, "Отвечаю")
    # A dispatcher claims the message and dies before sending it.
    async with world.storage.transaction() as uow:
        [claimed] = await uow.replies.claim_due(world.clock(), 10, world.clock() + LEASE)
    assert claimed.id == queued.id
    survivor = world.dispatcher()

    assert await survivor.run_once() == 0  # still leased: not sent twice
    world.clock.advance(LEASE)
    assert await survivor.run_once() == 1

    assert world.stand_in.telegram_delivered == [{"chat_id": CHAT_ID, "text": "Отвечаю"}]
    assert (await world.message(queued.id)).state is OutgoingState.SENT


async def test_two_dispatchers_running_together_send_each_message_once_in_order(
    world: World,
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    texts = [f"Сообщение {n}" for n in range(30)]
    for text in texts:
        await world.reply(lead.id, text)
    world.stand_in.latency = 0.01
    first, second = world.dispatcher(batch=5), world.dispatcher(batch=5)

    async def drain_with(dispatcher: ReplyDispatcher) -> int:
        handled = 0
        while n := await dispatcher.run_once():
            handled += n
        return handled

    handled = await asyncio.gather(drain_with(first), drain_with(second))

    # One chat: its messages go one after another, whichever dispatcher holds the next one
    # (many chats shared by two processes: tests/integration/test_reply_dispatch.py).
    assert [m["text"] for m in world.stand_in.telegram_delivered] == texts
    assert sum(handled) == 30


async def test_the_channel_the_client_used_last_is_chosen_unless_one_is_asked(
    world: World,
) -> None:
    phone = "+79161234567"
    lead = await world.client_lead(
        client_message("tg:1", "Пишу в Telegram", phone=phone),
        client_message("vk:1", "А теперь в VK", channel="vk", phone=phone, at=T0 + timedelta(1)),
    )

    default = await world.reply(lead.id, "Ответ по умолчанию")
    asked = await world.reply(lead.id, "Ответ в Telegram", channel="telegram")

    assert (default.channel, default.address, default.account) == (
        "vk",
        str(VK_USER),
        str(GROUP_ID),
    )
    assert (asked.channel, asked.address) == ("telegram", str(CHAT_ID))


async def test_replies_that_cannot_be_sent_are_refused_naming_the_field(world: World) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))

    refusals: list[tuple[str, str, int]] = []
    for channel, text in (
        ("vk", "Привет"),  # the client never wrote in VK
        ("max", "Привет"),
        (None, "   "),
        (None, "я" * 4097),
    ):
        with pytest.raises(DomainError) as caught:
            await world.reply(lead.id, text, channel=channel)
        assert isinstance(caught.value, RuleError)
        refusals.append((caught.value.rule, caught.value.field, caught.value.status))

    assert refusals == [
        ("no_channel", "channel", 422),
        ("unknown_channel", "channel", 422),
        ("empty_text", "text", 422),
        ("text_too_long", "text", 422),
    ]
    at_limit = await world.reply(lead.id, "я" * 4096)
    assert at_limit.state is OutgoingState.QUEUED


async def test_a_manager_cannot_answer_on_another_managers_lead(world: World) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"), owner="petrov")

    with pytest.raises(NotFound):
        await world.reply(lead.id, "Чужой клиент", by="ivanova")
    queued = await world.reply(lead.id, "Руководитель отвечает", by="head")

    assert queued.created_by == world.staff["head"].id


async def test_a_repeated_idempotency_key_queues_nothing_new(world: World) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))

    async with world.storage.transaction() as uow:
        first = await send_reply(
            uow,
            world.staff["ivanova"],
            RecordKind.LEAD,
            lead.id,
            None,
            "Да",
            T0,
            idempotency_key="k",
        )
    async with world.storage.transaction() as uow:
        again = await send_reply(
            uow,
            world.staff["ivanova"],
            RecordKind.LEAD,
            lead.id,
            None,
            "Да",
            T0,
            idempotency_key="k",
        )
    with pytest.raises(RuleError) as conflict:
        async with world.storage.transaction() as uow:
            await send_reply(
                uow,
                world.staff["ivanova"],
                RecordKind.LEAD,
                lead.id,
                None,
                "Нет",
                T0,
                idempotency_key="k",
            )

    assert (first.duplicate, again.duplicate, again.message.id) == (False, True, first.message.id)
    assert (conflict.value.rule, conflict.value.status) == ("idempotency_conflict", 409)
    await world.dispatcher().run_once()
    assert len(world.stand_in.telegram_delivered) == 1


async def test_a_deal_and_a_contact_answer_through_the_channel_of_their_lead(
    world: World,
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Хочу окна", phone="+79161234567"))
    async with world.storage.transaction() as uow:
        done = await convert_lead(
            uow, lead.id, world.staff["ivanova"], ConvertRequest(), PIPELINES, "RU", T0
        )
    assert done.deal_id is not None and done.contact_id is not None
    # After the conversion the client writes in VK: the message goes onto the open deal.
    await add(
        world.storage,
        client_message(
            "vk:1", "Когда замер?", channel="vk", phone="+79161234567", at=T0 + timedelta(1)
        ),
    )
    await drain(world.storage)
    world.clock.advance(timedelta(days=2))

    on_deal = await world.reply(done.deal_id, "Завтра в 10", entity=RecordKind.DEAL)
    on_contact = await world.reply(
        done.contact_id, "Напомню накануне", entity=RecordKind.CONTACT, channel="telegram"
    )
    await world.dispatcher().run_once()

    assert (on_deal.entity, on_deal.channel, on_deal.address) == (
        RecordKind.DEAL,
        "vk",
        str(VK_USER),
    )
    assert (on_contact.entity, on_contact.channel) == (RecordKind.CONTACT, "telegram")
    assert [m["message"] for m in world.stand_in.vk_delivered] == ["Завтра в 10"]
    assert [m["text"] for m in world.stand_in.telegram_delivered] == ["Напомню накануне"]
    async with world.storage.reader() as uow:
        deal_talk = await uow.replies.conversation(RecordKind.DEAL, done.deal_id, 10, None)
    assert [(e.incoming, e.channel, e.text) for e in reversed(deal_talk)] == [
        (True, "vk", "Когда замер?"),
        (False, "vk", "Завтра в 10"),
    ]
