"""Settings of on-premise Asterisk PBXs: `[[telephony.asterisk]]`, one table per PBX.

```toml
[[telephony.asterisk]]
name = "office"                 # identifier: logs, /readyz (asterisk:office), call ids
host = "10.0.0.5"
port = 5038                     # AMI port (manager.conf [general] port)
username = "leadintake"         # a manager.conf user with read = call,cdr
# secret_env = "LEADINTAKE_ASTERISK_OFFICE_SECRET"   (the default; the secret never in the file)
timezone = "Europe/Moscow"      # the PBX's time zone: Cdr times are its local time
internal_number_pattern = '^\\d{2,5}$'   # what an extension looks like
trunk_prefixes = ["PJSIP/mts-"] # channels starting so are trunks: calls on them are inbound
ping_seconds = 20               # keep-alive: a Ping unanswered this long means a dead link
connect_timeout = 10            # seconds to connect, read the banner and log in
```

Only the `asterisk` key of `[telephony]` is read here; its other keys belong to
channels/telephony/settings.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from channels.spec import ConfigTable

DEFAULT_AMI_PORT = 5038
DEFAULT_TIMEZONE = "Europe/Moscow"
DEFAULT_INTERNAL_NUMBER_PATTERN = r"^\d{2,5}$"
DEFAULT_PING_SECONDS = 20.0
DEFAULT_CONNECT_TIMEOUT = 10.0
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYS = (
    "name",
    "host",
    "port",
    "username",
    "secret_env",
    "timezone",
    "internal_number_pattern",
    "trunk_prefixes",
    "ping_seconds",
    "connect_timeout",
)


@dataclass(frozen=True, slots=True)
class AsteriskSettings:
    """One PBX reached over AMI; `secret` comes from the variable `secret_env` names."""

    name: str
    host: str
    username: str
    port: int = DEFAULT_AMI_PORT
    secret_env: str = ""
    secret: str | None = field(default=None, repr=False)
    timezone: str = DEFAULT_TIMEZONE
    internal_number_pattern: str = DEFAULT_INTERNAL_NUMBER_PATTERN
    trunk_prefixes: tuple[str, ...] = ()
    ping_seconds: float = DEFAULT_PING_SECONDS
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT


def default_secret_env(name: str) -> str:
    """`LEADINTAKE_ASTERISK_<NAME>_SECRET`, the name upper-cased and `-` made `_`."""
    return f"LEADINTAKE_ASTERISK_{name.upper().replace('-', '_')}_SECRET"


def asterisk_pbxes(root: ConfigTable, env: Mapping[str, str]) -> tuple[AsteriskSettings, ...]:
    """Every `[[telephony.asterisk]]` table; the rest of `[telephony]` is left alone."""
    pbxes = [_pbx(s, env) for s in root.table("telephony").array("asterisk")]
    seen: set[str] = set()
    for pbx in pbxes:
        if pbx.name in seen:
            raise root.error("telephony.asterisk", f"{pbx.name!r} appears twice")
        seen.add(pbx.name)
    return tuple(pbxes)


def _pbx(s: ConfigTable, env: Mapping[str, str]) -> AsteriskSettings:
    name = s.identifier("name")
    secret_env = s.string("secret_env", default_secret_env(name))
    if "secret" in s.data:
        raise s.error("secret", f"secrets are not written in the file: set {secret_env}")
    for key in s.data:
        if key not in _KEYS:
            raise s.error(key, f"unknown key; expected one of {', '.join(_KEYS)}")
    if not _ENV_NAME.fullmatch(secret_env):
        raise s.error("secret_env", f"must be an environment variable name, got {secret_env!r}")
    secret = env.get(secret_env, "").strip()
    if not secret:
        raise s.error("secret_env", f"the AMI secret is missing: set the environment {secret_env}")
    username = s.string("username").strip()
    if any(c in username for c in "\r\n:"):
        raise s.error("username", "must not contain ':' or line breaks")
    timezone = s.string("timezone", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise s.error("timezone", f"unknown time zone {timezone!r}") from err
    pattern = s.string("internal_number_pattern", DEFAULT_INTERNAL_NUMBER_PATTERN)
    try:
        re.compile(pattern)
    except re.error as err:
        raise s.error("internal_number_pattern", f"not a regular expression: {err}") from err
    prefixes = tuple(p.strip() for p in s.string_list("trunk_prefixes", []))
    if any(not p for p in prefixes):
        raise s.error("trunk_prefixes", "must not contain empty strings")
    return AsteriskSettings(
        name=name,
        host=s.string("host").strip(),
        port=s.integer("port", DEFAULT_AMI_PORT, minimum=1, maximum=65535),
        username=username,
        secret_env=secret_env,
        secret=secret,
        timezone=timezone,
        internal_number_pattern=pattern,
        trunk_prefixes=prefixes,
        ping_seconds=s.number("ping_seconds", DEFAULT_PING_SECONDS, minimum=1.0),
        connect_timeout=s.number("connect_timeout", DEFAULT_CONNECT_TIMEOUT, minimum=0.5),
    )
