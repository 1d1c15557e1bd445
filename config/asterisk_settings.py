"""Asterisk settings, kept importable here: the channel parses `[[telephony.asterisk]]`
itself (channels/telephony/asterisk/settings.py), found through the telephony spec."""

from channels.telephony.asterisk.settings import (
    DEFAULT_AMI_PORT,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_INTERNAL_NUMBER_PATTERN,
    DEFAULT_PING_SECONDS,
    DEFAULT_TIMEZONE,
    AsteriskSettings,
    asterisk_pbxes,
    default_secret_env,
)

__all__ = [
    "DEFAULT_AMI_PORT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_INTERNAL_NUMBER_PATTERN",
    "DEFAULT_PING_SECONDS",
    "DEFAULT_TIMEZONE",
    "AsteriskSettings",
    "asterisk_pbxes",
    "default_secret_env",
]
