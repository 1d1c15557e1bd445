"""Sign-in rules, pure: session lifetimes, the growing delay, CSRF tokens, `next` paths."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from config import Settings
from crm_core.model import Manager, Role
from crm_core.sign_in import (
    PasswordRefused,
    SessionOwner,
    SessionPolicy,
    SignInFailures,
    WebSession,
    check_new_password,
    csrf_token,
    delay_after,
    hash_session,
    new_session_secret,
    same_token,
    session_viewer,
    wait_seconds,
)
from workplace.auth.cookies import is_secure
from workplace.auth.next_url import login_url, safe_next

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(hours=12), lifetime=timedelta(days=30))
MANAGER = Manager(1, "ivanova", "Анна Иванова", Role.MANAGER, None, None, "Europe/Moscow", True)


def _session(**changes: object) -> WebSession:
    session = WebSession(
        id=1,
        manager_id=1,
        created_at=NOW,
        last_seen_at=NOW,
        expires_at=NOW + POLICY.lifetime,
        revoked_at=None,
        user_agent=None,
    )
    return replace(session, **changes)  # type: ignore[arg-type]


def test_a_session_lives_until_idle_or_its_absolute_end() -> None:
    session = _session()
    assert session.is_live(NOW + timedelta(hours=11, minutes=59), POLICY)
    assert not session.is_live(NOW + timedelta(hours=12), POLICY)
    used = _session(last_seen_at=NOW + timedelta(days=29, hours=23))
    assert used.is_live(NOW + timedelta(days=29, hours=23, minutes=30), POLICY)
    assert not used.is_live(NOW + timedelta(days=30), POLICY)


def test_a_revoked_session_or_a_deactivated_manager_lets_nobody_in() -> None:
    assert session_viewer(SessionOwner(_session(), MANAGER), NOW, POLICY) == MANAGER
    revoked = _session(revoked_at=NOW)
    assert session_viewer(SessionOwner(revoked, MANAGER), NOW, POLICY) is None
    gone = replace(MANAGER, active=False)
    assert session_viewer(SessionOwner(_session(), gone), NOW, POLICY) is None
    assert session_viewer(None, NOW, POLICY) is None


def test_last_use_is_recorded_at_most_once_a_minute() -> None:
    assert not _session().needs_touch(NOW + timedelta(seconds=59))
    assert _session().needs_touch(NOW + timedelta(minutes=1))


def test_five_wrong_passwords_are_free_then_the_delay_doubles_up_to_a_minute() -> None:
    assert [delay_after(n).total_seconds() for n in range(5)] == [0, 0, 0, 0, 0]
    assert [delay_after(n).total_seconds() for n in range(5, 13)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_wait_counts_whole_seconds_until_the_next_attempt() -> None:
    record = SignInFailures("ivanova", 6, NOW, NOW + timedelta(seconds=2))
    assert wait_seconds(record, NOW) == 2
    assert wait_seconds(record, NOW + timedelta(seconds=1.5)) == 1
    assert wait_seconds(record, NOW + timedelta(seconds=2)) == 0
    assert wait_seconds(None, NOW) == 0


def test_session_ids_are_random_and_stored_hashed_apart_from_the_csrf_token() -> None:
    secret = new_session_secret()
    assert len(secret) >= 43 and secret != new_session_secret()
    assert hash_session(secret) != csrf_token(secret)
    assert csrf_token(secret) == csrf_token(secret) != csrf_token(new_session_secret())
    assert same_token(csrf_token(secret), csrf_token(secret))
    assert not same_token(None, csrf_token(secret))
    assert not same_token("forged", csrf_token(secret))


@pytest.mark.parametrize("password", ["", "        ", "short", "1234567"])
def test_empty_or_short_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordRefused):
        check_new_password(password)


def test_a_password_of_eight_characters_is_accepted() -> None:
    check_new_password("12345678")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/leads/5", "/leads/5"),
        ("/leads?status=new&x=1", "/leads?status=new&x=1"),
        (None, "/"),
        ("", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/leads/1", "/"),
        ("http:/evil", "/"),
        ("javascript:alert(1)", "/"),
        ("leads/5", "/"),
        ("/leads/5\r\nSet-Cookie: x=1", "/"),
        ("/login", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_next_is_only_a_path_of_this_site(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected


def test_the_sign_in_url_carries_the_path_to_come_back_to() -> None:
    assert login_url("/leads/5?tab=history") == "/login?next=/leads/5%3Ftab%3Dhistory"
    assert login_url("//evil") == "/login"


def test_cookies_are_secure_only_behind_an_https_public_url(settings: Settings) -> None:
    assert not is_secure(settings)
    https = replace(settings, http=replace(settings.http, public_url="https://crm.example.ru"))
    assert is_secure(https)
