"""Abuse settings: rate limits, trusted proxies, timeouts, token expiry, SmartCaptcha keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings
from config.abuse_settings import FORM_RATE_ENV, captcha_env


def test_defaults(settings: Settings) -> None:
    assert settings.http.trusted_proxies == ("127.0.0.1/32", "::1/128")
    assert settings.http.header_timeout_seconds == 10.0
    assert settings.http.body_timeout_seconds == 30.0
    assert settings.tokens.expiry_days == 180
    assert settings.smartcaptcha.url == "https://smartcaptcha.yandexcloud.net/validate"
    site = settings.form("site")
    assert site is not None and site.abuse.rate_per_minute is None
    assert not site.abuse.smartcaptcha


def test_the_environment_overrides_the_form_rate(settings: Settings) -> None:
    assert settings.intake.form_rate_per_minute == 0  # the test config
    on = load_settings(settings.source, environ={FORM_RATE_ENV: "60"})
    assert on.intake.form_rate_per_minute == 60
    with pytest.raises(ConfigError, match=FORM_RATE_ENV):
        load_settings(settings.source, environ={FORM_RATE_ENV: "many"})


def test_a_form_may_set_its_own_rate(write_config: Callable[[str], Settings]) -> None:
    settings = write_config('\n[[forms]]\nkey = "promo"\nrate_per_minute = 120\nrate_burst = 30\n')
    promo = settings.form("promo")
    assert promo is not None
    assert (promo.abuse.rate_per_minute, promo.abuse.rate_burst) == (120, 30)


def test_a_bad_trusted_proxy_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[http]\ntrusted_proxies = ["10.0.0.0/33"]\n', "utf-8")
    with pytest.raises(ConfigError, match=r"http\.trusted_proxies: '10\.0\.0\.0/33'"):
        load_settings(path, environ={})


def test_a_captcha_key_comes_from_the_environment_only(
    write_config: Callable[[str], Settings], tmp_path: Path
) -> None:
    extra = '\n[[forms]]\nkey = "landing-2"\nsmartcaptcha = true\n'
    assert captcha_env("landing-2") == "LEADINTAKE_FORM_LANDING_2_SMARTCAPTCHA_KEY"
    with pytest.raises(ConfigError, match="LEADINTAKE_FORM_LANDING_2_SMARTCAPTCHA_KEY"):
        write_config(extra)
    source = tmp_path / "leadintake.toml"
    settings = load_settings(source, environ={captcha_env("landing-2"): "ysc2_secret"})
    form = settings.form("landing-2")
    assert form is not None and form.abuse.smartcaptcha
    assert form.abuse.smartcaptcha_key == "ysc2_secret"
    assert "ysc2_secret" not in repr(settings)
    in_file = extra + 'smartcaptcha_key = "ysc2_secret"\n'
    with pytest.raises(ConfigError, match="secrets stay out of the file"):
        write_config(in_file)
