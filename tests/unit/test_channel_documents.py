"""Channel declarations as documents: the file's channel tables without the phone lines and
extensions, written back as the same TOML, secrets refused."""

from __future__ import annotations

import tomllib

import pytest

from config.channel_documents import (
    declaration_documents,
    declarations_from_documents,
    declarations_of,
    declarations_toml,
)
from config.reader import ConfigError

FILE = """
[telegram]
bots = [
  { name = "sales", mode = "webhook", auto_reply_every_hours = 1.5, ask_phone = false },
]

[telephony]
missed_callback_minutes = 30
mango = { api_key_env = "MANGO_KEY" }
extensions = { "101" = "ivanova" }

[telephony.lines."74951234567"]
queue = "main"

[[email.mailboxes]]
name = "sales"
host = "imap.example.ru"
"""


def test_the_files_channel_tables_round_trip_without_lines_and_extensions() -> None:
    declared = declarations_of(tomllib.loads(FILE))
    assert list(declared) == ["telegram", "email", "telephony"]
    assert declared["telephony"] == {
        "missed_callback_minutes": 30,
        "mango": {"api_key_env": "MANGO_KEY"},
    }
    docs = declaration_documents(declared)
    assert docs[0]["channel"] == "telegram"
    written = "\n".join(declarations_toml(docs))
    assert declarations_of(tomllib.loads(written)) == declared
    assert declarations_from_documents(docs, "db") == declared


def test_a_telephony_table_of_lines_only_declares_nothing() -> None:
    only_lines = '[telephony.lines."74951234567"]\nqueue = "main"\n'
    assert declarations_of(tomllib.loads(only_lines)) == {}


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"channel": "vk", "groups": [{"group_id": 1, "secret": "s"}]}, "vk.groups[0].secret"),
        ({"channel": "telephony", "mango": {"api_key": "k"}}, "telephony.mango.api_key"),
        ({"channel": "fax"}, "channel_declarations[0].channel"),
    ],
)
def test_a_secret_or_an_unknown_channel_is_refused(doc: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as refused:
        declarations_from_documents([doc], "db")
    assert refused.value.field == field
