"""Settings against abuse: form rate limits, trusted proxies, slow clients, tokens, captcha."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from config.reader import Section

DEFAULT_TRUSTED_PROXIES = ("127.0.0.1/32", "::1/128")
DEFAULT_SMARTCAPTCHA_URL = "https://smartcaptcha.yandexcloud.net/validate"
FORM_RATE_ENV = "LEADINTAKE_FORM_RATE_PER_MINUTE"


@dataclass(frozen=True, slots=True)
class FormRate:
    """A token bucket: `per_minute` refill (0: no limit) and `burst` capacity."""

    per_minute: int
    burst: int

    @property
    def enabled(self) -> bool:
        """False when the limit is turned off."""
        return self.per_minute > 0


@dataclass(frozen=True, slots=True)
class FormAbuseSettings:
    """A form's own rate limit (None: the `[intake]` default) and SmartCaptcha check."""

    rate_per_minute: int | None = None
    rate_burst: int | None = None
    smartcaptcha: bool = False
    smartcaptcha_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TokenSettings:
    """API bearer tokens: how long a new token lives."""

    expiry_days: int = 180


@dataclass(frozen=True, slots=True)
class SmartCaptchaSettings:
    """Where Yandex SmartCaptcha tokens are validated and how long to wait for an answer."""

    url: str = DEFAULT_SMARTCAPTCHA_URL
    timeout_seconds: float = 3.0


def trusted_proxies(http: Section) -> tuple[str, ...]:
    """Networks whose X-Forwarded-For is believed (CIDR strings, validated)."""
    values = http.string_list("trusted_proxies", list(DEFAULT_TRUSTED_PROXIES))
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as err:
            raise http.error(
                "trusted_proxies", f"{value!r} is not a network like '10.0.0.0/8'"
            ) from err
    return tuple(values)


def form_abuse(s: Section, key: str, env: Mapping[str, str]) -> FormAbuseSettings:
    """A `[[forms]]` entry's rate limit and captcha; the captcha key comes from the
    environment only (LEADINTAKE_FORM_<KEY>_SMARTCAPTCHA_KEY)."""
    if "smartcaptcha_key" in s.data:
        raise s.error(
            "smartcaptcha_key",
            f"secrets stay out of the file: set the environment variable {captcha_env(key)}",
        )
    rate = burst = None
    if "rate_per_minute" in s.data:
        rate = s.integer("rate_per_minute", 0, minimum=0, maximum=100_000)
    if "rate_burst" in s.data:
        burst = s.integer("rate_burst", 1, minimum=1, maximum=100_000)
    enabled = s.boolean("smartcaptcha", False)
    secret = env.get(captcha_env(key), "").strip() or None
    if enabled and secret is None:
        raise s.error("smartcaptcha", f"needs the server key in {captcha_env(key)}")
    return FormAbuseSettings(
        rate_per_minute=rate,
        rate_burst=burst,
        smartcaptcha=enabled,
        smartcaptcha_key=secret if enabled else None,
    )


def captcha_env(form_key: str) -> str:
    """The environment variable holding a form's SmartCaptcha server key."""
    return f"LEADINTAKE_FORM_{re.sub(r'[^A-Za-z0-9]', '_', form_key).upper()}_SMARTCAPTCHA_KEY"


def token_settings(s: Section) -> TokenSettings:
    """`[tokens]`: expiry of new API tokens."""
    return TokenSettings(expiry_days=s.integer("expiry_days", 180, minimum=1, maximum=3650))


def smartcaptcha_settings(s: Section) -> SmartCaptchaSettings:
    """`[smartcaptcha]`: the validation URL (a stand-in in tests) and its timeout."""
    url = s.string("url", DEFAULT_SMARTCAPTCHA_URL)
    if not url.startswith(("http://", "https://")):
        raise s.error("url", f"must start with http:// or https://, got {url!r}")
    return SmartCaptchaSettings(
        url=url, timeout_seconds=s.number("timeout_seconds", 3.0, minimum=0.1)
    )
