"""`[[telephony.asterisk]]`: one table per PBX, the AMI secret only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings, load_settings
from config.asterisk_settings import AsteriskSettings, default_secret_env
from config.reader import ConfigError
from tests.conftest import TEST_CONFIG

PBX = """
[[telephony.asterisk]]
name = "office"
host = "10.0.0.5"
username = "leadintake"
"""
SECRET_ENV = {"LEADINTAKE_ASTERISK_OFFICE_SECRET": "ami-secret"}


def load(tmp_path: Path, extra: str, env: dict[str, str]) -> Settings:
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    return load_settings(path, environ=env)


def test_defaults_and_the_secret_from_the_environment(tmp_path: Path) -> None:
    [pbx] = load(tmp_path, PBX, SECRET_ENV).asterisk

    assert pbx == AsteriskSettings(
        name="office",
        host="10.0.0.5",
        username="leadintake",
        port=5038,
        secret_env="LEADINTAKE_ASTERISK_OFFICE_SECRET",
        secret="ami-secret",
        timezone="Europe/Moscow",
        internal_number_pattern=r"^\d{2,5}$",
        trunk_prefixes=(),
        ping_seconds=20.0,
        connect_timeout=10.0,
    )
    assert "ami-secret" not in repr(pbx)


def test_every_key(tmp_path: Path) -> None:
    extra = (
        PBX
        + """
port = 5039
secret_env = "PBX_SECRET"
timezone = "Asia/Yekaterinburg"
internal_number_pattern = '^\\d{3}$'
trunk_prefixes = ["PJSIP/mts-", "SIP/beeline"]
ping_seconds = 5
connect_timeout = 2.5

[[telephony.asterisk]]
name = "branch-2"
host = "pbx2.example.ru"
username = "crm"
"""
    )
    env = {"PBX_SECRET": "s1", "LEADINTAKE_ASTERISK_BRANCH_2_SECRET": "s2"}
    office, branch = load(tmp_path, extra, env).asterisk

    assert (office.port, office.secret, office.timezone) == (5039, "s1", "Asia/Yekaterinburg")
    assert office.internal_number_pattern == r"^\d{3}$"
    assert office.trunk_prefixes == ("PJSIP/mts-", "SIP/beeline")
    assert (office.ping_seconds, office.connect_timeout) == (5.0, 2.5)
    assert (branch.name, branch.secret, branch.secret_env) == (
        "branch-2",
        "s2",
        "LEADINTAKE_ASTERISK_BRANCH_2_SECRET",
    )


def test_no_pbx_configured(tmp_path: Path) -> None:
    assert load(tmp_path, "", {}).asterisk == ()


def test_coexists_with_the_rest_of_the_telephony_table(tmp_path: Path) -> None:
    extra = "[telephony]\nmissed_callback_minutes = 30\n" + PBX
    settings = load(tmp_path, extra, SECRET_ENV)

    assert [p.name for p in settings.asterisk] == ["office"]
    assert settings.telephony.missed_callback_minutes == 30


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        (PBX + 'secret = "x"\n', SECRET_ENV, "secret: secrets are not written in the file"),
        (PBX, {}, "LEADINTAKE_ASTERISK_OFFICE_SECRET"),
        (PBX.replace('name = "office"', 'name = "Office PBX"'), SECRET_ENV, "name"),
        (PBX.replace('host = "10.0.0.5"\n', ""), SECRET_ENV, "host: is required"),
        (PBX + "port = 70000\n", SECRET_ENV, "port"),
        (PBX + 'timezone = "Mars/Olympus"\n', SECRET_ENV, "unknown time zone"),
        (PBX + "internal_number_pattern = '^(\\d'\n", SECRET_ENV, "not a regular expression"),
        (PBX + "ping_seconds = 0.1\n", SECRET_ENV, "ping_seconds"),
        (PBX + 'secret_env = "not a name"\n', {"not a name": "x"}, "environment variable name"),
        (PBX + 'usrname = "typo"\n', SECRET_ENV, "usrname: unknown key"),
        (PBX + PBX, SECRET_ENV, "'office' appears twice"),
    ],
)
def test_invalid_settings_name_the_key(
    tmp_path: Path, extra: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=r"telephony\.asterisk") as raised:
        load(tmp_path, extra, env)
    assert message in str(raised.value)


def test_default_secret_env() -> None:
    assert default_secret_env("branch-2") == "LEADINTAKE_ASTERISK_BRANCH_2_SECRET"
