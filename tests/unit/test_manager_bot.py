"""The managers' bot's pure parts: signed callback data, its settings, call-back times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from workplace.bot.callbacks import CallbackSigner, CardAction, CardCallback
from workplace.bot.lead_card import call_back_time

TOKEN = "7000001:AAH-token"


def test_signed_callback_round_trips_and_fits_telegram() -> None:
    signer = CallbackSigner(b"k" * 32)
    callback = CardCallback(CardAction.JUNK, 123456789, "wrong_contact")
    data = signer.sign(callback)
    assert data is not None and len(data.encode()) <= 64
    assert signer.verify(data) == callback


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.replace(":123:", ":124:"),  # another lead
        lambda d: "jr" + d[1:],  # another action
        lambda d: d[:-1] + ("A" if d[-1] != "A" else "B"),  # signature
        lambda d: d.rsplit(":", 1)[0],  # no signature
        lambda d: "",
    ],
)
def test_tampered_callback_is_refused(tamper: object) -> None:
    signer = CallbackSigner(b"k" * 32)
    data = signer.sign(CardCallback(CardAction.TAKE, 123))
    assert data is not None
    assert signer.verify(tamper(data)) is None  # type: ignore[operator]
    assert CallbackSigner(b"other").verify(data) is None


def test_too_long_callback_gets_no_button() -> None:
    assert CallbackSigner(b"k").sign(CardCallback(CardAction.JUNK, 1, "x" * 40)) is None


def test_call_back_times_follow_the_managers_clock() -> None:
    now = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)  # 01:30 on the 7th in Moscow
    assert call_back_time("1h", now, "Europe/Moscow") == datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert call_back_time("3h", now, "Europe/Moscow") == datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    # Tomorrow on the manager's clock is the 8th, 10:00 Moscow = 07:00 UTC.
    assert call_back_time("tomorrow", now, "Europe/Moscow") == datetime(
        2026, 12, 8, 7, 0, tzinfo=UTC
    )
    assert call_back_time("tomorrow", now, "Asia/Vladivostok") == datetime(
        2026, 12, 8, 0, 0, tzinfo=UTC
    )
    assert call_back_time("soon", now, "Europe/Moscow") is None


def _load(tmp_path: Path, toml: str, env: dict[str, str]) -> object:
    path = tmp_path / "c.toml"
    path.write_text(toml, "utf-8")
    return load_settings(path, environ=env).manager_bot


def test_manager_bot_is_off_without_a_token(tmp_path: Path) -> None:
    bot = _load(tmp_path, "[manager_bot]\nmode = 'webhook'\n", {})
    assert not bot.enabled  # type: ignore[attr-defined]


def test_manager_bot_settings_from_file_and_environment(tmp_path: Path) -> None:
    env = {
        "LEADINTAKE_MANAGER_BOT_TOKEN": TOKEN,
        "LEADINTAKE_MANAGER_BOT_WEBHOOK_SECRET": "hook-secret_1",
        "LEADINTAKE_MANAGER_BOT_SECRET": "sign",
    }
    bot = _load(tmp_path, "[manager_bot]\nmode = 'webhook'\nusername = '@li_bot'\n", env)
    assert bot.enabled and bot.mode == "webhook" and bot.username == "li_bot"  # type: ignore[attr-defined]
    assert bot.callback_secret == b"sign"  # type: ignore[attr-defined]
    assert TOKEN not in repr(bot) and "hook-secret_1" not in repr(bot)
    # Without its own signing secret the key is derived from the token, never empty.
    derived = _load(tmp_path, "", {"LEADINTAKE_MANAGER_BOT_TOKEN": TOKEN})
    assert len(derived.callback_secret) == 32  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("toml", "env", "named"),
    [
        ("[manager_bot]\nmode = 'webhook'\n", {"LEADINTAKE_MANAGER_BOT_TOKEN": TOKEN}, "SECRET"),
        ("[manager_bot]\ntoken = 'x'\n", {}, "token"),
        ("[manager_bot]\nmode = 'push'\n", {}, "mode"),
        ("[manager_bot]\napi_base = 'ftp://x'\n", {}, "api_base"),
    ],
)
def test_bad_manager_bot_settings_are_named(
    tmp_path: Path, toml: str, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        _load(tmp_path, toml, env)
