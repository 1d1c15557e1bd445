"""The auto-reply greets a chat once per window, not on every message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intake.reply_gate import ReplyGate

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_a_chat_is_answered_once_per_window() -> None:
    clock = Clock()
    gate = ReplyGate(clock)
    window = timedelta(hours=12)
    assert gate.allow("sales:1", window)
    clock.now = T0 + timedelta(hours=11)
    assert not gate.allow("sales:1", window)
    assert gate.allow("sales:2", window)  # another chat
    assert gate.allow("support:1", window)  # the same person writing to another bot
    clock.now = T0 + timedelta(hours=12)
    assert gate.allow("sales:1", window)


def test_a_zero_window_answers_every_message() -> None:
    gate = ReplyGate(Clock())
    assert gate.allow("sales:1", timedelta(0)) and gate.allow("sales:1", timedelta(0))


def test_memory_is_bounded_forgetting_the_oldest_chats() -> None:
    gate = ReplyGate(Clock(), max_chats=2)
    window = timedelta(hours=1)
    assert gate.allow("a", window) and gate.allow("b", window) and gate.allow("c", window)
    assert gate.allow("a", window)  # forgotten: greeted again
    assert not gate.allow("c", window)
