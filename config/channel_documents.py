"""The channel declarations as settings documents: one per channel table of the config file
(`[telegram]`, `[vk]`, `[email]`, `[telephony]`, `[avito]`), keyed by the table's name.

A declaration is the table as written: which bots, communities, mailboxes, PBXs and Avito
accounts exist, their queues and pipelines, and the names of the environment variables their
secrets are read from. Secrets themselves are never in it (the channels' parsers refuse them
in the file, and `check_declarations` refuses them in a document), so the database and an
export hold none. The phone lines and extensions of `[telephony]` are documents of their own
kinds (config.sales_documents), so they are left out here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from channels.spec import SettingsContext
from config.reader import ConfigError
from config.settings import CHANNEL_TABLES, SalesSection, channel_sections_from
from config.toml_writer import table_toml

CHANNELS = "channel_declarations"
KEY_FIELD = "channel"
# `[telephony]` keys kept as documents of other kinds.
_TELEPHONY_LISTS = ("lines", "extensions")
TELEPHONY = "telephony"
# Keys that would hold a secret itself rather than the name of its environment variable.
SECRET_KEYS = frozenset(
    {"token", "webhook_secret", "secret", "password", "smtp_password", "api_key", "api_salt"}
)


def declarations_of(tables: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The channel declarations of a config file's (or a TOML text's) top-level tables."""
    found: dict[str, dict[str, Any]] = {}
    for name in CHANNEL_TABLES:
        table = tables.get(name)
        if not isinstance(table, Mapping):
            continue
        declared = {
            k: v for k, v in table.items() if name != TELEPHONY or k not in _TELEPHONY_LISTS
        }
        if declared:
            found[name] = declared
    return found


def declaration_documents(channels: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The declarations as documents: {"channel": "telegram", "bots": [...]}."""
    return [{KEY_FIELD: name, **dict(table)} for name, table in channels.items()]


def declarations_from_documents(
    documents: Sequence[Mapping[str, Any]], source: str
) -> dict[str, dict[str, Any]]:
    """The documents back as tables by channel; ConfigError for an unknown channel, one that
    appears twice, or a secret written in."""
    found: dict[str, dict[str, Any]] = {}
    for i, doc in enumerate(documents):
        name = doc.get(KEY_FIELD)
        where = f"{CHANNELS}[{i}]"
        if name not in CHANNEL_TABLES:
            raise ConfigError(
                f"{source}: {where}.{KEY_FIELD}: unknown channel {name!r};"
                f" expected one of {', '.join(CHANNEL_TABLES)}",
                field=f"{where}.{KEY_FIELD}",
            )
        if name in found:
            raise ConfigError(
                f"{source}: {where}.{KEY_FIELD}: {name!r} appears twice",
                field=f"{where}.{KEY_FIELD}",
            )
        table = {k: v for k, v in doc.items() if k != KEY_FIELD}
        _no_secrets(table, source, str(name))
        found[str(name)] = table
    return found


def check_declarations(
    sales: SalesSection,
    channels: Mapping[str, Mapping[str, Any]],
    source: str,
    environ: Mapping[str, str],
) -> Mapping[str, Any]:
    """The channels' settings sections the declarations make with this sales setup around
    them (a bot naming a known queue...), checked as the config file's are."""
    return channel_sections_from(channels, source, environ, context_of(sales))


def context_of(sales: SalesSection) -> SettingsContext:
    """The names channel declarations may refer to."""
    return SettingsContext(
        logins=frozenset(m.login for m in sales.managers),
        queues=frozenset(q.key for q in sales.queues),
        pipelines=frozenset(p.key for p in sales.pipelines),
    )


def declarations_toml(documents: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each declaration as its config file table, `[telegram]` with `bots = [...]`."""
    return [
        table_toml(str(d[KEY_FIELD]), {k: v for k, v in d.items() if k != KEY_FIELD})
        for d in documents
    ]


def _no_secrets(value: Any, source: str, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in SECRET_KEYS and item is not None:
                raise ConfigError(
                    f"{source}: {where}.{key}: secrets are not stored: name the environment"
                    f" variable with {key}_env",
                    field=f"{where}.{key}",
                )
            _no_secrets(item, source, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_secrets(item, source, f"{where}[{i}]")
