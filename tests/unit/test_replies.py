"""Pure parts of replies to clients: choosing the channel, the backoff, the senders' verdicts."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime, timedelta

from channels.sending import Failed, OutgoingText, Retry, Sent
from channels.telegram.sender import TelegramSender
from channels.telegram.sender import _outcome as telegram_outcome
from channels.telegram.sender import explain as telegram_explain
from channels.telegram.settings import TelegramBotSettings
from channels.vk.sender import _outcome as vk_outcome
from channels.vk.sender import explain as vk_explain
from channels.vk.sender import random_id
from crm_core.replies import targets_of
from crm_core.replies_model import ReplyTarget, Touch
from intake.replies.dispatcher import BASE_DELAY, JITTER, MAX_ATTEMPTS, MAX_DELAY, backoff

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TOKEN = "1:secret-token"


def test_the_newest_touch_per_channel_wins_and_unusable_ones_are_skipped() -> None:
    touches = [
        Touch("telegram", "sales", {"telegram_id": "1"}, T0),
        Touch("telegram", "support", {"telegram_id": "1"}, T0 + timedelta(hours=2)),
        Touch("vk", "77", {"vk_id": "5"}, T0 + timedelta(hours=1)),
        Touch("vk", "77", {}, T0 + timedelta(hours=3)),  # no id: cannot be answered
        Touch("webform", "site", {"telegram_id": "9"}, T0 + timedelta(hours=4)),
        Touch("avito", "avito", {"avito_id": "3"}, T0 + timedelta(hours=5)),
    ]

    assert targets_of(touches) == [
        ReplyTarget("telegram", "support", "1", T0 + timedelta(hours=2)),
        ReplyTarget("vk", "77", "5", T0 + timedelta(hours=1)),
    ]


def test_of_touches_at_the_same_time_the_later_listed_wins() -> None:
    touches = [
        Touch("telegram", "sales", {"telegram_id": "1"}, T0),
        Touch("vk", "77", {"vk_id": "5"}, T0),
    ]

    assert [t.channel for t in targets_of(touches)] == ["vk", "telegram"]


def test_backoff_doubles_within_its_jitter_and_stops_at_the_cap() -> None:
    rng = random.Random(7)
    for attempts, nominal in ((1, 0.5), (2, 1), (3, 2), (8, 64), (11, 512), (12, 900)):
        delays = [backoff(attempts, rng=rng).total_seconds() for _ in range(200)]
        assert nominal * (1 - JITTER) <= min(delays) < max(delays) <= nominal * (1 + JITTER)
    assert backoff(50, rng=rng) <= MAX_DELAY * (1 + JITTER)


def test_telegram_answers_become_channel_neutral_verdicts() -> None:
    def answer(status: int, body: str) -> object:
        return telegram_outcome(status, body.encode(), TOKEN)

    assert answer(200, '{"ok": true, "result": {"message_id": 42}}') == Sent("42")
    assert answer(
        429,
        '{"ok": false, "error_code": 429, "description": "Too Many Requests: retry'
        ' after 7", "parameters": {"retry_after": 7}}',
    ) == Retry("Too Many Requests: retry after 7", 7.0)
    assert answer(502, "<html>Bad Gateway</html>") == Retry("HTTP 502")
    assert answer(
        403,
        '{"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by'
        ' the user"}',
    ) == Failed("Forbidden: bot was blocked by the user")
    assert answer(
        400, '{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}'
    ) == Failed("Bad Request: chat not found")
    leaked = answer(401, '{"ok": false, "error_code": 401, "description": "bad 1:secret-token"}')
    assert leaked == Failed("bad ***")


def test_vk_answers_become_channel_neutral_verdicts() -> None:
    def answer(body: str, status: int = 200) -> object:
        return vk_outcome(status, body.encode(), "vk-token")

    assert answer('{"response": 812}') == Sent("812")
    assert answer('{"error": {"error_code": 6, "error_msg": "Too many requests"}}') == Retry(
        "vk: 6 Too many requests"
    )
    assert answer('{"error": {"error_code": 901, "error_msg": "no permission"}}') == Failed(
        "vk: 901 no permission"
    )
    assert isinstance(answer("{}", 500), Retry)
    assert isinstance(answer('{"error": {"error_code": 5, "error_msg": "bad token"}}'), Failed)


def test_random_id_is_stable_positive_and_32_bit() -> None:
    ids = {random_id(f"key-{n}") for n in range(1000)}

    assert random_id("key-1") == random_id("key-1")
    assert len(ids) == 1000 and all(0 < i < 2**31 for i in ids)


async def test_an_unreachable_bot_api_is_a_retry_never_an_exception() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = TelegramSender(
        (TelegramBotSettings("sales", token=TOKEN, api_base=f"http://127.0.0.1:{port}"),)
    )
    try:
        verdict = await sender.send(OutgoingText("sales", "1", "Привет", "k"))
        unknown_bot = await sender.send(OutgoingText("other", "1", "Привет", "k"))
    finally:
        await sender.close()

    assert isinstance(verdict, Retry) and "network error" in verdict.reason
    assert TOKEN not in verdict.reason
    assert unknown_bot == Failed("telegram: no bot 'other' is configured")


def test_the_retries_of_one_message_span_about_an_hour_and_a_half() -> None:
    # The nominal waits (jitter spreads each one both ways) between MAX_ATTEMPTS tries.
    span = sum(
        (min(BASE_DELAY * (1 << (n - 1)), MAX_DELAY) for n in range(1, MAX_ATTEMPTS)),
        timedelta(),
    )

    assert timedelta(seconds=1) >= BASE_DELAY
    assert timedelta(hours=1, minutes=15) <= span <= timedelta(hours=1, minutes=45)


def test_known_refusals_read_in_russian_and_unknown_ones_have_no_words() -> None:
    assert [
        telegram_explain(error)
        for error in (
            "Forbidden: bot was blocked by the user",
            "Bad Request: chat not found",
            "Forbidden: user is deactivated",
            "Forbidden: bot can't initiate conversation with a user",
            "Internal Server Error",
        )
    ] == [
        "Клиент заблокировал бота",
        "Чат не найден",
        "Аккаунт клиента в Telegram удалён",
        "Клиент не запускал бота: бот не может написать первым",
        None,
    ]
    assert [
        vk_explain(error)
        for error in (
            "vk: 901 Can't send messages for users without permission",
            "vk: 900 Can't send messages for users from blacklist",
            "vk: the community's access token was refused (5 User authorization failed)",
            "vk: messages.send failed (HTTP 502)",
        )
    ] == [
        "Клиент не разрешил сообщения от сообщества ВКонтакте",
        "Клиент добавил сообщество в чёрный список ВКонтакте",
        "ВКонтакте не принял ключ доступа сообщества: проверьте настройки",
        None,
    ]
