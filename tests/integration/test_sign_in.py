"""Signing in against SQLite and PostgreSQL: passwords, sessions, the growing delay.

The clock is passed in: the delay is tested by moving it, never by sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.model import NewManager, Role
from crm_core.sign_in import PasswordRefused, SessionPolicy, hash_session
from crm_core.storage import Storage
from tests.conftest import PRODUCT_HASHER
from workplace.auth.passwords import hash_password, verify_password
from workplace.auth.service import (
    Refused,
    SignedIn,
    Throttled,
    UnknownLogin,
    revoke_sessions,
    session_for,
    set_password,
    sign_in,
    sign_out,
)

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(hours=12), lifetime=timedelta(days=30))
PASSWORD = "верный-пароль-1"


def _manager(login: str, *, active: bool = True) -> NewManager:
    return NewManager(login, login.title(), Role.MANAGER, None, None, "Europe/Moscow", active)


@pytest.fixture
async def team(storage: Storage) -> Storage:
    async with storage.transaction() as uow:
        await uow.managers.upsert(_manager("ivanova"), T0)
        await uow.managers.upsert(_manager("petrov"), T0)
    await set_password(storage, "ivanova", PASSWORD, T0)
    return storage


async def _signed(storage: Storage, now: datetime = T0) -> SignedIn:
    result = await sign_in(storage, "ivanova", PASSWORD, now, POLICY, "pytest")
    assert isinstance(result, SignedIn)
    return result


def test_the_service_hashes_at_argon2_cffi_default_cost() -> None:
    # Tests hash at the smallest cost (tests/conftest.py); the service keeps RFC 9106's
    # low-memory profile.
    hasher = PRODUCT_HASHER
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    stored = PRODUCT_HASHER.hash("12345678")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(stored, "12345678")


def test_passwords_are_argon2id_hashes() -> None:
    stored = hash_password("12345678")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "12345678")
    assert not verify_password(stored, "12345679")
    assert not verify_password(None, "12345678")
    assert not verify_password("not a hash", "12345678")


async def test_the_right_password_opens_a_session_stored_only_as_a_hash(team: Storage) -> None:
    signed = await _signed(team)
    assert signed.manager.login == "ivanova"
    async with team.reader() as uow:
        found = await uow.web_sessions.find(hash_session(signed.secret))
        assert await uow.web_sessions.find(signed.secret) is None
    assert found is not None
    assert found.session.user_agent == "pytest"
    assert found.session.expires_at == T0 + POLICY.lifetime
    again = await session_for(team, signed.secret, T0 + timedelta(minutes=5), POLICY)
    assert again is not None and again.manager.login == "ivanova"
    assert again.csrf_token == signed.csrf_token


async def test_wrong_password_and_unknown_login_are_refused_alike(team: Storage) -> None:
    assert isinstance(await sign_in(team, "ivanova", "не тот", T0, POLICY), Refused)
    assert isinstance(await sign_in(team, "ghost", PASSWORD, T0, POLICY), Refused)
    # A manager without a password cannot sign in with any.
    assert isinstance(await sign_in(team, "petrov", "", T0, POLICY), Refused)


async def test_after_five_wrong_passwords_the_wait_grows_and_the_right_one_still_works(
    team: Storage,
) -> None:
    for _ in range(5):
        assert isinstance(await sign_in(team, "ivanova", "guess", T0, POLICY), Refused)
    # The sixth attempt waits a second, and is refused without checking the password.
    assert await sign_in(team, "ivanova", PASSWORD, T0, POLICY) == Throttled(1)
    t1 = T0 + timedelta(seconds=1)
    assert isinstance(await sign_in(team, "ivanova", "guess", t1, POLICY), Refused)
    assert await sign_in(team, "ivanova", PASSWORD, t1, POLICY) == Throttled(2)
    t2 = t1 + timedelta(seconds=2)
    assert isinstance(await sign_in(team, "ivanova", "guess", t2, POLICY), Refused)
    assert await sign_in(team, "ivanova", "guess", t2 + timedelta(seconds=3), POLICY) == (
        Throttled(1)
    )
    # No lock-out: after the wait the right password signs in, and the count starts afresh.
    t3 = t2 + timedelta(seconds=4)
    await _signed(team, t3)
    for _ in range(5):
        assert isinstance(await sign_in(team, "ivanova", "guess", t3, POLICY), Refused)
    assert isinstance(await sign_in(team, "ivanova", PASSWORD, t3, POLICY), Throttled)


async def test_the_wait_is_capped_at_a_minute_and_counted_per_login(team: Storage) -> None:
    now = T0
    for _ in range(15):
        result = await sign_in(team, "ivanova", "guess", now, POLICY)
        assert isinstance(result, Refused)
        async with team.reader() as uow:
            record = await uow.credentials.failures("ivanova")
        assert record is not None
        now = record.next_attempt_at
    assert record.next_attempt_at - record.last_failed_at == timedelta(seconds=60)
    # Another login is not slowed down by ivanova's guesser.
    assert isinstance(await sign_in(team, "petrov", "guess", T0, POLICY), Refused)


async def test_a_session_ends_when_idle_and_at_its_absolute_end(team: Storage) -> None:
    signed = await _signed(team)
    assert await session_for(team, signed.secret, T0 + timedelta(hours=12), POLICY) is None
    kept = await _signed(team)
    now = T0
    while now < T0 + timedelta(days=30):
        assert await session_for(team, kept.secret, now, POLICY) is not None
        now += timedelta(hours=11)
    assert await session_for(team, kept.secret, T0 + timedelta(days=30), POLICY) is None


async def test_sign_out_revokes_the_session_on_the_server(team: Storage) -> None:
    signed = await _signed(team)
    other = await _signed(team)
    await sign_out(team, signed.secret, T0)
    assert await session_for(team, signed.secret, T0, POLICY) is None
    assert await session_for(team, other.secret, T0, POLICY) is not None
    assert await revoke_sessions(team, "ivanova", T0) == 1
    assert await session_for(team, other.secret, T0, POLICY) is None


async def test_a_deactivated_managers_sessions_stop_working(team: Storage) -> None:
    signed = await _signed(team)
    async with team.transaction() as uow:
        await uow.managers.upsert(_manager("ivanova", active=False), T0)
    assert await session_for(team, signed.secret, T0, POLICY) is None
    assert isinstance(await sign_in(team, "ivanova", PASSWORD, T0, POLICY), Refused)


async def test_a_new_password_ends_the_old_sessions(team: Storage) -> None:
    signed = await _signed(team)
    await set_password(team, "ivanova", "новый-пароль-2", T0)
    assert await session_for(team, signed.secret, T0, POLICY) is None
    assert isinstance(await sign_in(team, "ivanova", PASSWORD, T0, POLICY), Refused)
    ok = await sign_in(team, "ivanova", "новый-пароль-2", T0, POLICY)
    assert isinstance(ok, SignedIn)


async def test_setting_a_password_checks_the_login_and_the_length(team: Storage) -> None:
    with pytest.raises(UnknownLogin):
        await set_password(team, "ghost", "12345678", T0)
    with pytest.raises(PasswordRefused):
        await set_password(team, "petrov", "short", T0)
