"""The leadintake CLI as an operator runs it (python -m intake)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from config import Settings
from crm_core.storage.sqlite import SqliteStorage
from intake.auth import manager_for_token
from tests.integration.test_inbox_parking import park_two_of_three


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


async def test_token_create_prints_the_token_last_and_it_authenticates(
    settings: Settings,
) -> None:
    result = run_cli("--config", settings.source, "token", "create", "--manager", "petrov")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        manager = await manager_for_token(storage, token)
    finally:
        await storage.close()
    assert manager is not None and manager.login == "petrov"


def test_token_for_unknown_manager_fails(settings: Settings) -> None:
    result = run_cli("--config", settings.source, "token", "create", "--manager", "ghost")
    assert result.returncode == 1
    assert "ghost" in result.stderr


def test_migrate_is_idempotent(settings: Settings) -> None:
    first = run_cli("--config", settings.source, "migrate")
    second = run_cli("--config", settings.source, "migrate")
    assert first.returncode == 0 and "0001_initial.sql" in first.stdout
    assert second.returncode == 0 and "up to date" in second.stdout


def test_a_changed_migration_stops_migrate_and_serve(settings: Settings) -> None:
    assert run_cli("--config", settings.source, "migrate").returncode == 0
    conn = sqlite3.connect(settings.database.sqlite_path)
    with conn:
        # What the database recorded no longer matches the file as shipped now.
        conn.execute("UPDATE schema_migrations SET checksum = 'f00d' WHERE version = 3")
    conn.close()
    for command in ("migrate", "serve"):
        result = run_cli("--config", settings.source, command)
        assert result.returncode == 3, result.stderr
        assert "refusing to start: migration 0003_contact_merges.sql was changed" in result.stderr


def test_invalid_config_fails_at_start_naming_the_key(
    write_config: Callable[[str], Settings], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[http]\nport = 'eighty'\n", "utf-8")
    result = run_cli("--config", str(bad), "serve")
    assert result.returncode == 2
    assert "http.port" in result.stderr and "integer" in result.stderr


async def test_inbox_commands_list_retry_and_dismiss_parked_requests(settings: Settings) -> None:
    assert run_cli("--config", settings.source, "migrate").returncode == 0
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        await park_two_of_three(storage)
    finally:
        await storage.close()
    listed = run_cli("--config", settings.source, "inbox", "parked")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert lines[0].startswith("id\tchannel:source")
    assert [line.split("\t")[0] for line in lines[1:]] == ["2", "1"]
    assert all(line.endswith("\tparked\tStorageRejected") for line in lines[1:])
    assert "refused" not in listed.stdout  # the message may quote data; only its kind shows
    dismissed = run_cli("--config", settings.source, "inbox", "dismiss", "1")
    assert dismissed.stdout.strip() == "dismissed: 1"
    bad = run_cli("--config", settings.source, "inbox", "retry", "99999999999999999999")
    assert bad.returncode == 2 and "not an intake id" in bad.stderr
    retried = run_cli("--config", settings.source, "inbox", "retry", "--all")
    assert retried.stdout.strip() == "requeued: 2"
    assert run_cli("--config", settings.source, "inbox", "parked").stdout.strip() == (
        "no parked requests"
    )
