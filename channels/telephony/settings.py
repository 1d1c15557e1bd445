"""Settings of the telephony channel: cloud-PBX webhooks and the call routing rules.

```toml
[telephony]
missed_callback_minutes = 15

[telephony.mango]            # enabled when LEADINTAKE_MANGO_API_KEY and _API_SALT are set

[telephony.zadarma]          # enabled when LEADINTAKE_ZADARMA_SECRET is set
timezone = "Europe/Moscow"   # the zone of `call_start` (the account's zone)

[telephony.novofon]          # enabled when LEADINTAKE_NOVOFON_SECRET is set

[[telephony.generic]]        # secret from LEADINTAKE_TELEPHONY_CALLTOUCH_SECRET
name = "calltouch"

[telephony.lines."+7 (495) 123-45-67"]
source = "yandex-direct"
utm_source = "yandex"
queue = "main"

[telephony.extensions]
"101" = "ivanova"
```

Secrets (Mango's API key and salt, the Zadarma/Novofon API secret, generic signing secrets)
are read from the environment only; writing one in the file is a configuration error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from channels.spec import ConfigTable, SettingsContext

MANGO_API_KEY_ENV = "LEADINTAKE_MANGO_API_KEY"
MANGO_API_SALT_ENV = "LEADINTAKE_MANGO_API_SALT"
ZADARMA_SECRET_ENV = "LEADINTAKE_ZADARMA_SECRET"  # noqa: S105 - the variable's name
NOVOFON_SECRET_ENV = "LEADINTAKE_NOVOFON_SECRET"  # noqa: S105 - the variable's name
DEFAULT_ZADARMA_TIMEZONE = "Europe/Moscow"
DEFAULT_MISSED_CALLBACK_MINUTES = 15
# Provider names the webhooks use as `CallEvent.provider`; a generic source may not take one,
# or its calls would fold into that provider's calls.
RESERVED_SOURCE_NAMES = frozenset({"mango", "zadarma", "novofon", "generic", "asterisk"})
_SECRET_KEYS = ("api_key", "api_salt", "secret", "token")
_NON_DIGITS = re.compile(r"\D")


def normalize_line(value: str) -> str:
    """A company number as digits only: "+7 (495) 123-45-67" and "8 495 1234567" → "74951234567".

    The Russian trunk prefix 8 of an 11-digit number becomes the country code 7, so a line
    written the way people dial it matches the number the PBX reports.
    """
    digits = _NON_DIGITS.sub("", value)
    if len(digits) == 11 and digits.startswith("8"):
        return "7" + digits[1:]
    return digits


@dataclass(frozen=True, slots=True)
class MangoSettings:
    """Mango Office VPBX: the API key and salt that sign every event (both from the env)."""

    api_key: str | None = field(default=None, repr=False)
    api_salt: str | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        """True when both the key and the salt are set."""
        return self.api_key is not None and self.api_salt is not None


@dataclass(frozen=True, slots=True)
class ZadarmaSettings:
    """Zadarma or Novofon (same notifications): the API secret and the account's time zone."""

    provider: str
    secret: str | None = field(default=None, repr=False)
    timezone: str = DEFAULT_ZADARMA_TIMEZONE

    @property
    def enabled(self) -> bool:
        """True when the API secret is set."""
        return self.secret is not None


@dataclass(frozen=True, slots=True)
class GenericSourceSettings:
    """A PBX or call-tracking service posting the generic signed webhook."""

    name: str
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class LineRoute:
    """Where calls to one company number (DID) come from and go: attribution and routing."""

    line: str  # normalized digits (normalize_line)
    source: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    queue: str | None = None
    pipeline: str | None = None


@dataclass(frozen=True, slots=True)
class TelephonySettings:
    """The `[telephony]` section: providers, generic sources and call routing rules."""

    mango: MangoSettings = field(default_factory=MangoSettings)
    zadarma: ZadarmaSettings = field(default_factory=lambda: ZadarmaSettings("zadarma"))
    novofon: ZadarmaSettings = field(default_factory=lambda: ZadarmaSettings("novofon"))
    generic: tuple[GenericSourceSettings, ...] = ()
    # A missed inbound call becomes a callback task due this many minutes later.
    missed_callback_minutes: int = DEFAULT_MISSED_CALLBACK_MINUTES
    lines: Mapping[str, LineRoute] = field(default_factory=dict)  # by normalized line
    extensions: Mapping[str, str] = field(default_factory=dict)  # extension → manager login

    def zadarma_like(self, provider: str) -> ZadarmaSettings | None:
        """The Zadarma or Novofon settings by provider name (None for any other name)."""
        return {"zadarma": self.zadarma, "novofon": self.novofon}.get(provider)

    def generic_source(self, name: str) -> GenericSourceSettings | None:
        """The generic source with this name, if configured."""
        return next((s for s in self.generic if s.name == name), None)

    def line(self, number: str | None) -> LineRoute | None:
        """The routing rule of a company number in any spelling, if configured."""
        return self.lines.get(normalize_line(number)) if number else None

    def manager_for_extension(self, extension: str | None) -> str | None:
        """The login of the manager on an internal extension, if configured."""
        return self.extensions.get(extension.strip()) if extension else None


def telephony_settings(
    root: ConfigTable,
    env: Mapping[str, str],
    *,
    logins: Collection[str],
    queues: Collection[str],
    pipelines: Collection[str],
) -> TelephonySettings:
    """Read `[telephony]`, checking that lines and extensions name configured records."""
    s = root.table("telephony")
    _only(
        s,
        (
            "missed_callback_minutes",
            "mango",
            "zadarma",
            "novofon",
            "generic",
            "lines",
            "extensions",
            "asterisk",  # [[telephony.asterisk]]: read by channels/telephony/asterisk/settings.py
        ),
    )
    return TelephonySettings(
        mango=_mango(s.table("mango"), env),
        zadarma=_zadarma(s.table("zadarma"), env, "zadarma", ZADARMA_SECRET_ENV),
        novofon=_zadarma(s.table("novofon"), env, "novofon", NOVOFON_SECRET_ENV),
        generic=_generic(s, env),
        missed_callback_minutes=s.integer(
            "missed_callback_minutes", DEFAULT_MISSED_CALLBACK_MINUTES, minimum=1, maximum=10080
        ),
        lines=_lines(s.table("lines"), queues, pipelines),
        extensions=_extensions(s.table("extensions"), logins),
    )


def telephony_section(
    root: ConfigTable, env: Mapping[str, str], context: SettingsContext
) -> TelephonySettings:
    """`[telephony]` as the channel registry reads it (channels/telephony/spec)."""
    return telephony_settings(
        root, env, logins=context.logins, queues=context.queues, pipelines=context.pipelines
    )


def _mango(s: ConfigTable, env: Mapping[str, str]) -> MangoSettings:
    _no_secrets(s)
    _only(s, ("api_key_env", "api_salt_env"))
    return MangoSettings(
        api_key=_from_env(s, env, "api_key_env", MANGO_API_KEY_ENV),
        api_salt=_from_env(s, env, "api_salt_env", MANGO_API_SALT_ENV),
    )


def _zadarma(
    s: ConfigTable, env: Mapping[str, str], provider: str, secret_env: str
) -> ZadarmaSettings:
    _no_secrets(s)
    _only(s, ("secret_env", "timezone"))
    tz = s.string("timezone", DEFAULT_ZADARMA_TIMEZONE)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise s.error("timezone", f"unknown time zone {tz!r}") from err
    return ZadarmaSettings(
        provider=provider, secret=_from_env(s, env, "secret_env", secret_env), timezone=tz
    )


def _generic(root: ConfigTable, env: Mapping[str, str]) -> tuple[GenericSourceSettings, ...]:
    sources = []
    for s in root.array("generic"):
        _no_secrets(s)
        _only(s, ("name", "secret_env"))
        name = s.identifier("name")
        if name in RESERVED_SOURCE_NAMES:
            raise s.error("name", f"{name!r} is a provider's name; choose another")
        default_env = f"LEADINTAKE_TELEPHONY_{name.upper().replace('-', '_')}_SECRET"
        secret = _from_env(s, env, "secret_env", default_env)
        if secret is None:
            # The webhook is signed, so a source without its secret could never be accepted.
            holder = s.string("secret_env", default_env)
            raise s.error("name", f"set the signing secret in the environment variable {holder}")
        sources.append(GenericSourceSettings(name=name, secret=secret))
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise root.error("generic", f"{source.name!r} appears twice")
        seen.add(source.name)
    return tuple(sources)


def _lines(
    s: ConfigTable, queues: Collection[str], pipelines: Collection[str]
) -> dict[str, LineRoute]:
    routes: dict[str, LineRoute] = {}
    for spelled in s.data:
        rule = s.table(spelled)
        line = normalize_line(spelled)
        if len(line) < 3:
            raise s.error(spelled, "must be a phone number or a short line number (digits)")
        if line in routes:
            raise s.error(spelled, f"is the same line as another entry ({line})")
        _only(rule, ("source", "utm_source", "utm_medium", "utm_campaign", "queue", "pipeline"))
        queue = rule.optional_string("queue")
        if queue is not None and queue not in queues:
            raise rule.error("queue", f"unknown queue {queue!r}")
        pipeline = rule.optional_string("pipeline")
        if pipeline is not None and pipeline not in pipelines:
            raise rule.error("pipeline", f"unknown pipeline {pipeline!r}")
        routes[line] = LineRoute(
            line=line,
            source=rule.optional_string("source"),
            utm_source=rule.optional_string("utm_source"),
            utm_medium=rule.optional_string("utm_medium"),
            utm_campaign=rule.optional_string("utm_campaign"),
            queue=queue,
            pipeline=pipeline,
        )
    return routes


def _extensions(s: ConfigTable, logins: Collection[str]) -> dict[str, str]:
    extensions: dict[str, str] = {}
    for extension, login in _string_items(s):
        if not extension.strip():
            raise s.error(extension, "an extension must not be empty")
        if login not in logins:
            raise s.error(extension, f"unknown manager {login!r}")
        extensions[extension.strip()] = login
    return extensions


def _string_items(s: ConfigTable) -> list[tuple[str, str]]:
    for key, value in s.data.items():
        if not isinstance(value, str):
            raise s.error(key, f"must be a manager login (a string), got {value!r}")
    return list(s.data.items())


def _from_env(s: ConfigTable, env: Mapping[str, str], key: str, default: str) -> str | None:
    return env.get(s.string(key, default), "").strip() or None


def _no_secrets(s: ConfigTable) -> None:
    for key in _SECRET_KEYS:
        if key in s.data:
            raise s.error(key, "secrets are not written in the file: set the environment variable")


def _only(s: ConfigTable, allowed: tuple[str, ...]) -> None:
    """Reject unknown keys: a typo in a new table would otherwise silently do nothing."""
    for key in s.data:
        if key not in allowed:
            raise s.error(key, f"unknown key; expected one of {', '.join(allowed)}")
