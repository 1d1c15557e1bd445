"""`leadintake user set-password | sessions | revoke-sessions` and `demo-passwords`."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from config import Settings, load_settings
from crm_core.sign_in import SessionPolicy
from crm_core.storage.sqlite import SqliteStorage
from intake.clock import utcnow
from workplace.auth.service import SignedIn, session_for, sign_in

POLICY = SessionPolicy(idle=timedelta(hours=1), lifetime=timedelta(days=1))


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _sign_in(settings: Settings, password: str) -> SignedIn | None:
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        result = await sign_in(storage, "petrov", password, utcnow(), POLICY)
    finally:
        await storage.close()
    return result if isinstance(result, SignedIn) else None


async def test_set_password_reads_one_line_from_a_pipe(settings: Settings) -> None:
    args = ("--config", settings.source, "user", "set-password", "petrov")
    result = _cli(*args, stdin="пароль 1\n")
    assert result.returncode == 0, result.stderr
    assert await _sign_in(settings, "пароль 1") is not None
    assert await _sign_in(settings, "пароль 1\n") is None


def test_set_password_refuses_empty_and_short_passwords(settings: Settings) -> None:
    for given in ("\n", "", "1234567\n"):
        result = _cli("--config", settings.source, "user", "set-password", "petrov", stdin=given)
        assert result.returncode == 1
        assert "Пароль" in result.stderr


def test_set_password_for_an_unknown_login_fails(settings: Settings) -> None:
    result = _cli("--config", settings.source, "user", "set-password", "ghost", stdin="12345678\n")
    assert result.returncode == 1
    assert "ghost" in result.stderr


async def test_revoke_sessions_signs_a_manager_out_everywhere(settings: Settings) -> None:
    _cli("--config", settings.source, "user", "set-password", "petrov", stdin="12345678\n")
    signed = await _sign_in(settings, "12345678")
    assert signed is not None
    listed = _cli("--config", settings.source, "user", "sessions", "petrov")
    assert listed.returncode == 0 and "\tactive\t" in listed.stdout
    revoked = _cli("--config", settings.source, "user", "revoke-sessions", "petrov")
    assert revoked.returncode == 0 and "1 session(s)" in revoked.stdout
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        assert await session_for(storage, signed.secret, utcnow(), POLICY) is None
    finally:
        await storage.close()


def test_demo_passwords_are_refused_outside_the_demo_configuration(settings: Settings) -> None:
    result = _cli("--config", settings.source, "demo-passwords")
    assert result.returncode == 1
    assert "not the demo configuration" in result.stderr


def test_demo_passwords_are_set_and_printed_for_the_demo(tmp_path: object) -> None:
    demo = load_settings(None, environ={})
    env_db = f"sqlite:///{tmp_path}/demo.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "intake", "demo-passwords"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"LEADINTAKE_DATABASE_URL": env_db, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    for manager in demo.managers:
        assert f"{manager.login}\tdemo-{manager.login}" in result.stdout
