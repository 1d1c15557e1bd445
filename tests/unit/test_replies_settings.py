"""`[replies]`: the dispatcher's lease."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings
from tests.conftest import TEST_CONFIG


def test_the_lease_is_a_minute_unless_set(settings: Settings) -> None:
    assert settings.replies.lease_seconds == 60.0


def test_the_lease_can_be_shortened(write_config: Callable[[str], Settings]) -> None:
    assert write_config("[replies]\nlease_seconds = 2\n").replies.lease_seconds == 2.0
    assert write_config("[replies]\nlease_seconds = 0.5\n").replies.lease_seconds == 0.5


def test_the_demo_config_keeps_the_default() -> None:
    assert load_settings(environ={}).replies.lease_seconds == 60.0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("lease_seconds = 0", "replies.lease_seconds: must be more than 0, got 0"),
        ("lease_seconds = -5", "replies.lease_seconds: must be more than 0, got -5"),
        ('lease_seconds = "2s"', "replies.lease_seconds: must be a number, got '2s'"),
        ("lease_second = 2", "replies.lease_second: unknown key; expected lease_seconds"),
    ],
)
def test_a_lease_that_cannot_work_names_the_key(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + f"[replies]\n{table}\n", "utf-8"
    )
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, environ={})
    assert message in str(excinfo.value) and str(path) in str(excinfo.value)
