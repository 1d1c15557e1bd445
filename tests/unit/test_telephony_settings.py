"""The [telephony] section: provider secrets only from the environment, routing rules as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings, load_settings
from config.reader import ConfigError
from config.telephony_settings import LineRoute, TelephonySettings, normalize_line
from tests.conftest import TEST_CONFIG

TELEPHONY = """
[telephony]
missed_callback_minutes = 10

[telephony.mango]

[telephony.zadarma]
timezone = "Asia/Yekaterinburg"

[[telephony.generic]]
name = "calltouch"

[[telephony.generic]]
name = "my-pbx"

[telephony.lines."+7 (495) 123-45-67"]
source = "yandex-direct"
utm_source = "yandex"
utm_medium = "cpc"
utm_campaign = "okna-moskva"
queue = "main"
pipeline = "main"

[telephony.lines."8 800 555-35-35"]
source = "site"

[telephony.extensions]
"101" = "ivanova"
"102" = "petrov"
"""
SECRETS = {
    "LEADINTAKE_MANGO_API_KEY": "mango-key",
    "LEADINTAKE_MANGO_API_SALT": "mango-salt",
    "LEADINTAKE_ZADARMA_SECRET": "zd-secret",
    "LEADINTAKE_TELEPHONY_CALLTOUCH_SECRET": "ct-secret",
    "LEADINTAKE_TELEPHONY_MY_PBX_SECRET": "pbx-secret",
}


def load(tmp_path: Path, extra: str, env: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    return load_settings(path, environ=SECRETS if env is None else env)


def test_everything_is_off_without_the_section(tmp_path: Path) -> None:
    telephony = load(tmp_path, "", {}).telephony

    assert telephony == TelephonySettings()
    assert not telephony.mango.enabled
    assert not telephony.zadarma.enabled
    assert not telephony.novofon.enabled
    assert telephony.missed_callback_minutes == 15
    assert telephony.zadarma.timezone == "Europe/Moscow"


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    telephony = load(tmp_path, TELEPHONY).telephony

    assert (telephony.mango.api_key, telephony.mango.api_salt) == ("mango-key", "mango-salt")
    assert telephony.mango.enabled
    assert (telephony.zadarma.secret, telephony.zadarma.timezone) == (
        "zd-secret",
        "Asia/Yekaterinburg",
    )
    assert telephony.zadarma.enabled
    assert not telephony.novofon.enabled
    assert [(g.name, g.secret) for g in telephony.generic] == [
        ("calltouch", "ct-secret"),
        ("my-pbx", "pbx-secret"),
    ]
    assert telephony.missed_callback_minutes == 10


def test_secrets_never_appear_in_repr(tmp_path: Path) -> None:
    text = repr(load(tmp_path, TELEPHONY).telephony)
    for secret in SECRETS.values():
        assert secret not in text


def test_mango_needs_both_the_key_and_the_salt(tmp_path: Path) -> None:
    mango = load(tmp_path, "", {"LEADINTAKE_MANGO_API_KEY": "k"}).telephony.mango
    assert not mango.enabled


def test_novofon_reads_its_own_secret(tmp_path: Path) -> None:
    telephony = load(tmp_path, "", {"LEADINTAKE_NOVOFON_SECRET": "nf"}).telephony
    assert telephony.novofon.enabled
    assert telephony.zadarma_like("novofon") == telephony.novofon
    assert telephony.zadarma_like("mango") is None


def test_secret_env_names_can_be_changed(tmp_path: Path) -> None:
    extra = '[telephony.zadarma]\nsecret_env = "ZD_SECRET"\n'
    assert load(tmp_path, extra, {"ZD_SECRET": "x"}).telephony.zadarma.secret == "x"


@pytest.mark.parametrize(
    "extra",
    [
        '[telephony.mango]\napi_key = "k"\n',
        '[telephony.mango]\napi_salt = "s"\n',
        '[telephony.zadarma]\nsecret = "s"\n',
        '[[telephony.generic]]\nname = "calltouch"\nsecret = "s"\n',
    ],
)
def test_secrets_in_the_file_are_refused(tmp_path: Path, extra: str) -> None:
    with pytest.raises(ConfigError, match="secrets are not written in the file"):
        load(tmp_path, extra)


def test_generic_source_without_its_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LEADINTAKE_TELEPHONY_CALLTOUCH_SECRET"):
        load(tmp_path, '[[telephony.generic]]\nname = "calltouch"\n', {})


@pytest.mark.parametrize("name", ["mango", "zadarma", "novofon", "generic", "asterisk"])
def test_generic_source_may_not_take_a_provider_name(tmp_path: Path, name: str) -> None:
    env = {f"LEADINTAKE_TELEPHONY_{name.upper()}_SECRET": "s"}
    with pytest.raises(ConfigError, match="provider's name"):
        load(tmp_path, f'[[telephony.generic]]\nname = "{name}"\n', env)


def test_generic_source_named_twice_is_refused(tmp_path: Path) -> None:
    extra = '[[telephony.generic]]\nname = "calltouch"\n' * 2
    with pytest.raises(ConfigError, match="appears twice"):
        load(tmp_path, extra)


def test_unknown_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"telephony\.zadarma\.timezone"):
        load(tmp_path, '[telephony.zadarma]\ntimezone = "Mars/Olympus"\n')


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missed_calback_minutes"):
        load(tmp_path, "[telephony]\nmissed_calback_minutes = 5\n")


@pytest.mark.parametrize("minutes", [0, -5, "15"])
def test_missed_callback_minutes_must_be_a_positive_integer(
    tmp_path: Path, minutes: object
) -> None:
    value = f'"{minutes}"' if isinstance(minutes, str) else minutes
    with pytest.raises(ConfigError, match="missed_callback_minutes"):
        load(tmp_path, f"[telephony]\nmissed_callback_minutes = {value}\n")


# --- lines and extensions -------------------------------------------------------------------


def test_lines_are_stored_by_normalized_digits(tmp_path: Path) -> None:
    telephony = load(tmp_path, TELEPHONY).telephony

    assert set(telephony.lines) == {"74951234567", "78005553535"}
    assert telephony.lines["74951234567"] == LineRoute(
        line="74951234567",
        source="yandex-direct",
        utm_source="yandex",
        utm_medium="cpc",
        utm_campaign="okna-moskva",
        queue="main",
        pipeline="main",
    )
    assert telephony.line("8 (495) 123-45-67") == telephony.lines["74951234567"]
    assert telephony.line("+78005553535") == LineRoute(line="78005553535", source="site")
    assert telephony.line("74950000000") is None
    assert telephony.line(None) is None


def test_extensions_map_to_manager_logins(tmp_path: Path) -> None:
    telephony = load(tmp_path, TELEPHONY).telephony

    assert telephony.extensions == {"101": "ivanova", "102": "petrov"}
    assert telephony.manager_for_extension("101") == "ivanova"
    assert telephony.manager_for_extension("103") is None
    assert telephony.manager_for_extension(None) is None


@pytest.mark.parametrize(
    ("value", "digits"),
    [
        ("+7 (495) 123-45-67", "74951234567"),
        ("8 495 123 45 67", "74951234567"),
        ("74951234567", "74951234567"),
        ("+44 20 7946 0958", "442079460958"),
        ("101", "101"),
    ],
)
def test_normalize_line(value: str, digits: str) -> None:
    assert normalize_line(value) == digits


def test_the_same_line_twice_is_refused(tmp_path: Path) -> None:
    extra = '[telephony.lines."+74951234567"]\n[telephony.lines."8 (495) 123-45-67"]\n'
    with pytest.raises(ConfigError, match="same line"):
        load(tmp_path, extra)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ('queue = "nowhere"', "unknown queue"),
        ('pipeline = "nowhere"', "unknown pipeline"),
        ('utm_sorce = "x"', "unknown key"),
    ],
)
def test_line_rules_name_configured_records(tmp_path: Path, rule: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load(tmp_path, f'[telephony.lines."74951234567"]\n{rule}\n')


def test_line_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="phone number"):
        load(tmp_path, '[telephony.lines."main"]\nsource = "x"\n')


def test_extension_of_an_unknown_manager_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown manager 'nobody'"):
        load(tmp_path, '[telephony.extensions]\n"101" = "nobody"\n')


def test_extension_must_name_a_login(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="manager login"):
        load(tmp_path, '[telephony.extensions]\n"101" = 5\n')
