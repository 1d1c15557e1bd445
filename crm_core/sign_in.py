"""Signing in to the web workplace: sessions and the slowing of password guessers.

Pure: the storage keeps the records, the service shell hashes passwords and sets cookies.
A session is a random 256-bit secret held by the browser; only its SHA-256 is stored. It
ends when revoked (sign-out, or every session of a manager at once), when unused for the
idle timeout, at its absolute end, and whenever its manager is deactivated.

Wrong passwords for one login are counted: the first FREE_FAILURES cost nothing, after them
each attempt must wait a delay that doubles with every further failure up to MAX_DELAY. No
login is ever locked: the right password after the wait signs in, so a guesser cannot lock
a real manager out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from crm_core.model import Manager

FREE_FAILURES = 5
MAX_DELAY = timedelta(seconds=60)
# Failures older than this are forgotten: a manager who mistyped yesterday starts afresh.
FAILURE_MEMORY = timedelta(days=1)
# Last use is recorded at most this often per session, so page views do not turn into writes.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_LOGIN_LENGTH = 100


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lives: unused for `idle`, and at most `lifetime` after sign-in."""

    idle: timedelta = timedelta(hours=12)
    lifetime: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class WebSession:
    """A stored session (never its secret)."""

    id: int
    manager_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str | None

    def is_live(self, now: datetime, policy: SessionPolicy) -> bool:
        """Not revoked, not past its absolute end, used within the idle timeout."""
        return (
            self.revoked_at is None
            and now < self.expires_at
            and now < self.last_seen_at + policy.idle
        )

    def needs_touch(self, now: datetime) -> bool:
        """True when the recorded last use is older than SESSION_TOUCH_INTERVAL."""
        return now - self.last_seen_at >= SESSION_TOUCH_INTERVAL


@dataclass(frozen=True, slots=True)
class SessionOwner:
    """A session found by its hash, with the manager it signs in."""

    session: WebSession
    manager: Manager


@dataclass(frozen=True, slots=True)
class SignInFailures:
    """Wrong passwords counted for one login, and when the next attempt is allowed."""

    login: str
    failures: int
    last_failed_at: datetime
    next_attempt_at: datetime


class PasswordRefused(ValueError):
    """A new password does not meet the rules (the message says why, in Russian)."""


def new_session_secret() -> str:
    """A fresh session id: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_session(secret: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token(secret: str) -> str:
    """The session's CSRF token: keyed by the session id, so only its holder can compute it,
    and unlike the stored hash (its own domain), it reveals nothing a copy of the database
    could use."""
    return hmac.new(secret.encode("utf-8"), b"leadintake-csrf", hashlib.sha256).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def session_viewer(
    found: SessionOwner | None, now: datetime, policy: SessionPolicy
) -> Manager | None:
    """The manager a found session signs in: the session live and its manager still active."""
    if found is None or not found.session.is_live(now, policy):
        return None
    return found.manager if found.manager.active else None


def delay_after(failures: int) -> timedelta:
    """How long the next attempt waits after this many consecutive wrong passwords."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_DELAY)


def wait_seconds(record: SignInFailures | None, now: datetime) -> int:
    """Whole seconds still to wait before the login may be tried (0: try now)."""
    if record is None or now >= record.next_attempt_at:
        return 0
    return max(1, ceil((record.next_attempt_at - now).total_seconds()))


def check_new_password(password: str) -> None:
    """Raise PasswordRefused for a password too short or too long to be set."""
    if not password.strip():
        raise PasswordRefused("Пароль не может быть пустым")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(
            f"Пароль слишком короткий: нужно не меньше {MIN_PASSWORD_LENGTH} символов"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRefused(f"Пароль слишком длинный: не больше {MAX_PASSWORD_LENGTH} символов")
