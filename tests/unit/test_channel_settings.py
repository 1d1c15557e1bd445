"""Telegram bot and VK community settings: secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings, load_settings
from config.reader import ConfigError
from tests.conftest import TEST_CONFIG

CHANNELS = """
[[telegram.bots]]
name = "sales"
queue = "main"

[[vk.groups]]
group_id = 123
confirmation = "a1b2c3"
"""


def load(tmp_path: Path, extra: str, env: dict[str, str]) -> Settings:
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    return load_settings(path, environ=env)


def test_channels_read_their_secrets_from_the_environment(tmp_path: Path) -> None:
    env = {
        "LEADINTAKE_TELEGRAM_SALES_TOKEN": "123:abc",
        "LEADINTAKE_TELEGRAM_SALES_SECRET": "hook-secret",
        "LEADINTAKE_VK_123_SECRET": "vk-secret",
    }
    settings = load(tmp_path, CHANNELS, env)
    [bot] = settings.telegram_bots
    [group] = settings.vk_groups
    assert (bot.name, bot.token, bot.webhook_secret, bot.queue) == (
        "sales",
        "123:abc",
        "hook-secret",
        "main",
    )
    assert (group.group_id, group.confirmation, group.secret) == (123, "a1b2c3", "vk-secret")
    assert "hook-secret" not in repr(bot) and "vk-secret" not in repr(group)


def test_a_secret_written_in_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="secret_env"):
        load(
            tmp_path,
            CHANNELS.replace('confirmation = "a1b2c3"', 'confirmation = "x"\nsecret = "s"'),
            {},
        )


def test_a_vk_group_needs_its_id(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="group_id"):
        load(tmp_path, CHANNELS.replace("group_id = 123\n", ""), {})


def test_a_bot_naming_an_unknown_queue_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown queue 'nope'"):
        load(tmp_path, CHANNELS.replace('queue = "main"', 'queue = "nope"'), {})


def test_polling_needs_the_bot_token(tmp_path: Path) -> None:
    polling = CHANNELS.replace('queue = "main"', 'queue = "main"\nmode = "polling"')
    with pytest.raises(ConfigError, match="polling needs the bot token"):
        load(tmp_path, polling, {})
    settings = load(tmp_path, polling, {"LEADINTAKE_TELEGRAM_SALES_TOKEN": "1:x"})
    assert settings.telegram_bots[0].mode == "polling"
