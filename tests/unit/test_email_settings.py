"""IMAP mailbox settings: defaults, ports per security, password only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings, load_settings
from config.reader import ConfigError
from intake.sales_setup import source_route
from tests.conftest import TEST_CONFIG

MAILBOX = """
[[email.mailboxes]]
name = "sales"
host = "imap.example.ru"
login = "sales@example.ru"
"""
PASSWORD = {"LEADINTAKE_EMAIL_SALES_PASSWORD": "imap-pass"}


def load(tmp_path: Path, extra: str, env: dict[str, str]) -> Settings:
    path = tmp_path / "leadintake.toml"
    path.write_text(TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + extra, "utf-8")
    return load_settings(path, environ=env)


def test_a_mailbox_gets_the_documented_defaults(tmp_path: Path) -> None:
    [mailbox] = load(tmp_path, MAILBOX, PASSWORD).email_mailboxes
    assert (mailbox.name, mailbox.host, mailbox.login) == (
        "sales",
        "imap.example.ru",
        "sales@example.ru",
    )
    assert (mailbox.security, mailbox.port, mailbox.folder) == ("tls", 993, "INBOX")
    assert (mailbox.mark_seen, mailbox.poll_seconds, mailbox.idle) == (True, 60.0, True)
    assert (mailbox.queue, mailbox.pipeline) == (None, None)
    assert mailbox.password == "imap-pass"
    assert "imap-pass" not in repr(mailbox)


def test_no_mailboxes_without_the_section(tmp_path: Path) -> None:
    assert load(tmp_path, "", {}).email_mailboxes == ()


@pytest.mark.parametrize(("security", "port"), [("tls", 993), ("starttls", 143), ("none", 143)])
def test_the_default_port_follows_the_security(tmp_path: Path, security: str, port: int) -> None:
    extra = MAILBOX + f'security = "{security}"\n'
    [mailbox] = load(tmp_path, extra, PASSWORD).email_mailboxes
    assert (mailbox.security, mailbox.port) == (security, port)


def test_every_key_can_be_set(tmp_path: Path) -> None:
    extra = MAILBOX + (
        'security = "starttls"\nport = 1143\nfolder = "Заявки"\nmark_seen = false\n'
        'poll_seconds = 15\nidle = false\nqueue = "main"\npipeline = "main"\n'
        'password_env = "SALES_IMAP_PASSWORD"\n'
    )
    [mailbox] = load(tmp_path, extra, {"SALES_IMAP_PASSWORD": "other"}).email_mailboxes
    assert (mailbox.port, mailbox.folder, mailbox.mark_seen) == (1143, "Заявки", False)
    assert (mailbox.poll_seconds, mailbox.idle, mailbox.password) == (15.0, False, "other")
    assert (mailbox.queue, mailbox.pipeline) == ("main", "main")


def test_a_hyphenated_name_has_a_valid_default_variable(tmp_path: Path) -> None:
    extra = MAILBOX.replace('"sales"', '"sales-spb"')
    env = {"LEADINTAKE_EMAIL_SALES_SPB_PASSWORD": "spb-pass"}
    [mailbox] = load(tmp_path, extra, env).email_mailboxes
    assert (mailbox.name, mailbox.password) == ("sales-spb", "spb-pass")


def test_a_password_written_in_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="password_env"):
        load(tmp_path, MAILBOX + 'password = "imap-pass"\n', PASSWORD)


def test_a_mailbox_without_its_password_in_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LEADINTAKE_EMAIL_SALES_PASSWORD") as err:
        load(tmp_path, MAILBOX, {})
    assert "email.mailboxes[0].password_env" in str(err.value)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('security = "ssl"\n', "security"),
        ("port = 0\n", "port"),
        ("poll_seconds = 0\n", "poll_seconds"),
        ('mark_seen = "yes"\n', "mark_seen"),
        ('folder = ""\n', "folder"),
    ],
)
def test_invalid_values_name_their_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"email\.mailboxes\[0\]\.{key}"):
        load(tmp_path, MAILBOX + extra, PASSWORD)


@pytest.mark.parametrize("missing", ["host", "login"])
def test_host_and_login_are_required(tmp_path: Path, missing: str) -> None:
    extra = "\n".join(line for line in MAILBOX.splitlines() if not line.startswith(missing))
    with pytest.raises(ConfigError, match=missing):
        load(tmp_path, extra + "\n", PASSWORD)


def test_names_are_identifiers_and_unique(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="name"):
        load(tmp_path, MAILBOX.replace('"sales"', '"Sales Dept"'), PASSWORD)
    with pytest.raises(ConfigError, match="appears twice"):
        load(tmp_path, MAILBOX + MAILBOX, PASSWORD)


def test_unknown_queue_or_pipeline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown queue 'nope'"):
        load(tmp_path, MAILBOX + 'queue = "nope"\n', PASSWORD)
    with pytest.raises(ConfigError, match="unknown pipeline 'nope'"):
        load(tmp_path, MAILBOX + 'pipeline = "nope"\n', PASSWORD)


def test_leads_of_a_mailbox_follow_its_queue_and_pipeline(tmp_path: Path) -> None:
    settings = load(tmp_path, MAILBOX + 'queue = "main"\npipeline = "main"\n', PASSWORD)
    assert source_route(settings, "email", "sales") == ("main", "main")
    assert source_route(settings, "email", "other") == (None, None)
