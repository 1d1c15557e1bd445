"""Messenger ids (keys) and usernames (hints)."""

from __future__ import annotations

import pytest

from dedupe.messengers import telegram_id, telegram_username, vk_id, vk_screen_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456789", "123456789"),
        (" 5000000001 ", "5000000001"),
        ("tg://user?id=42", "42"),
        ("-1001234567890", None),  # a channel or supergroup, not a user
        ("0", None),
        ("0123", None),
        ("12345678901234567890", None),
        ("@ivan_petrov", None),
        ("12a", None),
        ("", None),
        (None, None),
    ],
)
def test_telegram_id(raw: str | None, expected: str | None) -> None:
    assert telegram_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@Ivan_Petrov", "ivan_petrov"),
        ("ivan_petrov", "ivan_petrov"),
        ("t.me/ivan_petrov", "ivan_petrov"),
        ("https://t.me/Ivan_Petrov", "ivan_petrov"),
        ("http://telegram.me/ivan_petrov/", "ivan_petrov"),
        ("https://t.me/ivan_petrov?start=lead", "ivan_petrov"),
        ("tg://resolve?domain=durov", "durov"),
        ("@ivan", None),  # 4 characters
        ("@" + "a" * 33, None),
        ("@1ivan", None),  # starts with a digit
        ("@_ivan", None),
        ("ivan-petrov", None),
        ("иван_петров", None),
        ("t.me/joinchat/AAAAAE", None),
        ("https://t.me/+AbCdEfGh", None),
        ("+79161234567", None),
        (None, None),
    ],
)
def test_telegram_username(raw: str | None, expected: str | None) -> None:
    assert telegram_username(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123", "123"),
        ("id123", "123"),
        ("https://vk.com/id123", "123"),
        ("vk.com/id123", "123"),
        ("https://m.vk.com/id1?w=wall1_2", "1"),
        ("https://vk.ru/id777", "777"),
        ("[id55|Иван]", "55"),
        ("vk.com/durov", None),
        ("durov", None),
        ("vk.com/club123", None),  # a community
        ("id0", None),
        ("0123", None),
        ("", None),
        (None, None),
    ],
)
def test_vk_id(raw: str | None, expected: str | None) -> None:
    assert vk_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("vk.com/durov", "durov"),
        ("https://vk.com/Durov", "durov"),
        ("@durov", "durov"),
        ("durov", "durov"),
        ("vk.com/ivan.petrov", "ivan.petrov"),
        ("vk.com/id123", None),  # an id, not a screen name
        ("vk.com/club123", None),
        ("vk.com/public123", None),
        ("vk.com/feed", None),
        ("123", None),
        (None, None),
    ],
)
def test_vk_screen_name(raw: str | None, expected: str | None) -> None:
    assert vk_screen_name(raw) == expected
