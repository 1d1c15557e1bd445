"""Telephony settings, kept importable here: the channel parses `[telephony]` itself
(channels/telephony/settings.py), found through its spec in channels/registry.py."""

from channels.telephony.settings import (
    DEFAULT_MISSED_CALLBACK_MINUTES,
    DEFAULT_ZADARMA_TIMEZONE,
    MANGO_API_KEY_ENV,
    MANGO_API_SALT_ENV,
    NOVOFON_SECRET_ENV,
    RESERVED_SOURCE_NAMES,
    ZADARMA_SECRET_ENV,
    GenericSourceSettings,
    LineRoute,
    MangoSettings,
    TelephonySettings,
    ZadarmaSettings,
    normalize_line,
    telephony_section,
    telephony_settings,
)

__all__ = [
    "DEFAULT_MISSED_CALLBACK_MINUTES",
    "DEFAULT_ZADARMA_TIMEZONE",
    "MANGO_API_KEY_ENV",
    "MANGO_API_SALT_ENV",
    "NOVOFON_SECRET_ENV",
    "RESERVED_SOURCE_NAMES",
    "ZADARMA_SECRET_ENV",
    "GenericSourceSettings",
    "LineRoute",
    "MangoSettings",
    "TelephonySettings",
    "ZadarmaSettings",
    "normalize_line",
    "telephony_section",
    "telephony_settings",
]
