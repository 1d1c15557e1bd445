"""The notification retry schedule: doubling from 5 s, capped at 15 min, deterministic."""

from __future__ import annotations

from datetime import timedelta

from intake.notify.backoff import MAX_ATTEMPTS, retry_delay


def test_delay_doubles_from_five_seconds() -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [
        5,
        10,
        20,
        40,
        80,
        160,
        320,
        640,
    ]


def test_delay_is_capped_at_fifteen_minutes() -> None:
    assert retry_delay(9) == timedelta(minutes=15)
    assert retry_delay(MAX_ATTEMPTS) == timedelta(minutes=15)
    assert retry_delay(10**6) == timedelta(minutes=15)


def test_delay_never_shrinks_and_is_deterministic() -> None:
    delays = [retry_delay(n) for n in range(1, 100)]
    assert delays == sorted(delays)
    assert delays == [retry_delay(n) for n in range(1, 100)]


def test_no_attempt_yet_means_the_first_delay() -> None:
    assert retry_delay(0) == retry_delay(-3) == timedelta(seconds=5)


def test_attempts_cover_a_few_hours_of_outage() -> None:
    window = sum((retry_delay(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
    assert timedelta(hours=2) < window < timedelta(hours=6)
