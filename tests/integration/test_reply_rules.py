"""Platform rules checked before sending, and refusals told to the manager in Russian.

VK lets a community write only to users who allowed its messages: the sender asks
messages.isMessagesFromGroupAllowed first and fails the message without messages.send when
they have not. Telegram has no such question (a client who wrote to the bot may be answered
until they block it): its refusals are named in Russian, the platform's text kept as is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from channels.vk.sender import NOT_ALLOWED, VkSender
from channels.vk.settings import VkGroupSettings
from crm_core.replies_model import OutgoingMessagePort, OutgoingState
from intake.replies.dispatcher import ReplyDispatcher
from intake.replies.reasons import explain_error
from tests.integration.replies_support import (
    BLOCKED,
    VK_TOKEN,
    http_error,
    telegram_error,
    vk_error,
)
from tests.integration.test_replies import (
    GROUP_ID,
    LEASE,
    VK_USER,
    World,
    client_message,
    world,  # noqa: F401  (the fixture)
)

NOT_ALLOWED_RU = "Клиент не разрешил сообщения от сообщества ВКонтакте"


class Ticks:
    """The VK sender's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def vk_dispatcher(
    world: World,  # noqa: F811
    ticks: Ticks,
) -> ReplyDispatcher:
    """A dispatcher whose VK sender trusts a permission for 600 s of `ticks`."""
    sender = VkSender(
        (
            VkGroupSettings(
                GROUP_ID,
                confirmation="",
                access_token=VK_TOKEN,
                api_base=world.stand_in.vk_api_base,
            ),
        ),
        allowed_ttl=600,
        monotonic=ticks,
    )
    world.senders.append(sender)

    @asynccontextmanager
    async def replies() -> AsyncIterator[OutgoingMessagePort]:
        async with world.storage.transaction() as uow:
            yield uow.replies

    return ReplyDispatcher(replies, {"vk": sender}, world.clock, lease=LEASE)


async def test_a_vk_user_who_did_not_allow_messages_fails_with_the_reason_and_no_send(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("vk:1", "Добрый день", channel="vk"))
    queued = await world.reply(lead.id, "Здравствуйте! Ответ на ваш вопрос")
    world.stand_in.vk_not_allowed.add(str(VK_USER))

    await vk_dispatcher(world, Ticks()).run_once()

    failed = await world.message(queued.id)
    assert (failed.state, failed.attempts, failed.last_error) == (
        OutgoingState.FAILED,
        1,
        NOT_ALLOWED,
    )
    assert explain_error(failed.channel, failed.state, failed.last_error) == NOT_ALLOWED_RU
    assert world.stand_in.vk_calls == []  # no messages.send at all
    [check] = world.stand_in.vk_checks
    assert (check["group_id"], check["user_id"]) == (str(GROUP_ID), str(VK_USER))


async def test_a_vk_users_permission_is_asked_once_in_a_while_not_per_message(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("vk:1", "Добрый день", channel="vk"))
    ticks = Ticks()
    dispatcher = vk_dispatcher(world, ticks)

    await world.reply(lead.id, "Первый ответ")
    await dispatcher.run_once()
    ticks.now += 599
    await world.reply(lead.id, "Второй ответ")
    await dispatcher.run_once()
    checks_within_ttl = len(world.stand_in.vk_checks)
    ticks.now += 2
    world.stand_in.vk_not_allowed.add(str(VK_USER))  # the client forbade messages meanwhile
    third = await world.reply(lead.id, "Третий ответ")
    await dispatcher.run_once()

    assert checks_within_ttl == 1
    assert len(world.stand_in.vk_checks) == 2
    assert [m["message"] for m in world.stand_in.vk_delivered] == ["Первый ответ", "Второй ответ"]
    assert (await world.message(third.id)).state is OutgoingState.FAILED


async def test_when_vk_does_not_answer_the_question_messages_send_decides(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("vk:1", "Добрый день", channel="vk"))
    dispatcher = vk_dispatcher(world, Ticks())
    world.stand_in.vk_check_faults += [http_error(502), vk_error(6, "Too many requests")]

    first = await world.reply(lead.id, "Первый ответ")
    await dispatcher.run_once()
    second = await world.reply(lead.id, "Второй ответ")
    await dispatcher.run_once()

    assert len(world.stand_in.vk_checks) == 2  # an unanswered question is not cached
    assert [m["message"] for m in world.stand_in.vk_delivered] == ["Первый ответ", "Второй ответ"]
    assert {(await world.message(m.id)).state for m in (first, second)} == {OutgoingState.SENT}


def test_a_vk_refusal_901_from_messages_send_reads_the_same_in_russian() -> None:
    # The permission was withdrawn after the check was cached: VK itself refuses the send.
    error = "vk: 901 Can't send messages for users without permission"

    assert explain_error("vk", OutgoingState.FAILED, error) == NOT_ALLOWED_RU


async def test_a_bot_blocked_by_the_client_reads_in_russian_with_telegrams_words_kept(
    world: World,  # noqa: F811
) -> None:
    lead = await world.client_lead(client_message("tg:1", "Алло"))
    blocked = await world.reply(lead.id, "Вы здесь?")
    lost = await world.reply(lead.id, "А теперь?")
    world.stand_in.telegram_faults += [
        telegram_error(403, BLOCKED),
        telegram_error(400, "Bad Request: chat not found"),
    ]

    # One chat's messages go in order: the second is claimed once the first has failed.
    await world.dispatcher().run_once()
    await world.dispatcher().run_once()

    first, second = await world.message(blocked.id), await world.message(lost.id)
    assert (first.state, first.last_error) == (OutgoingState.FAILED, BLOCKED)
    assert (second.state, second.last_error) == (
        OutgoingState.FAILED,
        "Bad Request: chat not found",
    )
    assert [explain_error(m.channel, m.state, m.last_error) for m in (first, second)] == [
        "Клиент заблокировал бота",
        "Чат не найден",
    ]
    assert world.stand_in.telegram_delivered == []


def test_errors_without_channel_words_get_a_general_russian_sentence_by_state() -> None:
    assert explain_error("telegram", OutgoingState.QUEUED, "Internal Server Error") == (
        "Платформа временно недоступна: отправка повторится автоматически"
    )
    assert explain_error("email", OutgoingState.FAILED, "550 5.1.1 mailbox unavailable") == (
        "Платформа не приняла сообщение"
    )
    assert explain_error("telegram", OutgoingState.SENT, "Internal Server Error") is None
    assert explain_error("vk", OutgoingState.QUEUED, None) is None
    assert explain_error("telegram", OutgoingState.QUEUED, "Too Many Requests: retry after 5") == (
        "Telegram ограничил частоту отправки: сообщение уйдёт позже"
    )
