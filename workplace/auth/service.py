"""Sign-in use cases: set a password, sign in (slowed after wrong passwords), find the session
of a cookie, sign out. Times are passed in, so tests move the clock instead of sleeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_core.model import Manager
from crm_core.sign_in import (
    MAX_LOGIN_LENGTH,
    MAX_PASSWORD_LENGTH,
    SessionPolicy,
    WebSession,
    check_new_password,
    csrf_token,
    delay_after,
    hash_session,
    new_session_secret,
    session_viewer,
    wait_seconds,
)
from crm_core.storage import Storage
from workplace.auth.passwords import hash_password_async, verify_password_async


class UnknownLogin(LookupError):
    """No manager has that login."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who it signs in, its secret (the cookie) and its CSRF token."""

    manager: Manager
    secret: str

    @property
    def csrf_token(self) -> str:
        """The token every state-changing request of this session must carry."""
        return csrf_token(self.secret)


@dataclass(frozen=True, slots=True)
class Refused:
    """Wrong login or password (the same answer for both)."""


@dataclass(frozen=True, slots=True)
class Throttled:
    """Too many wrong passwords: the login may be tried again after `seconds`."""

    seconds: int


SignInResult = SignedIn | Refused | Throttled


async def set_password(storage: Storage, login: str, password: str, now: datetime) -> Manager:
    """Check and hash a new password and store it for the manager with this login; their
    open sessions are ended (a changed password locks out whoever knew the old one)."""
    check_new_password(password)
    async with storage.reader() as uow:
        found = await uow.credentials.for_login(login)
    if found is None:
        raise UnknownLogin(login)
    password_hash = await hash_password_async(password)
    async with storage.transaction() as uow:
        await uow.credentials.set_password(found[0].id, password_hash, now)
        await uow.web_sessions.revoke_all(found[0].id, now)
        await uow.credentials.clear_failures(login)
    return found[0]


async def sign_in(
    storage: Storage,
    login: str,
    password: str,
    now: datetime,
    policy: SessionPolicy,
    user_agent: str | None = None,
) -> SignInResult:
    """Check a login and password and open a session; refused the same way whether the
    login exists, is inactive, or the password is wrong; throttled without checking it."""
    login = login.strip()[:MAX_LOGIN_LENGTH]
    async with storage.transaction() as uow:
        record = await uow.credentials.failures(login)
        wait = wait_seconds(record, now)
        if wait:
            return Throttled(wait)
        hold = now + delay_after(record.failures if record else 0)
        if not await uow.credentials.claim_attempt(login, now, hold):
            # Another request took this attempt meanwhile.
            return Throttled(max(1, wait_seconds(await uow.credentials.failures(login), now)))
        found = await uow.credentials.for_login(login)
    manager, password_hash = found if found else (None, None)
    # The hash is checked even without a manager, so timing tells nothing about logins.
    matches = await verify_password_async(password_hash, password[:MAX_PASSWORD_LENGTH])
    async with storage.transaction() as uow:
        if not matches or manager is None or not manager.active:
            failures = await uow.credentials.record_failure(login, now)
            await uow.credentials.set_next_attempt(login, now + delay_after(failures))
            return Refused()
        await uow.credentials.clear_failures(login)
        secret = new_session_secret()
        await uow.web_sessions.add(
            hash_session(secret),
            manager.id,
            now,
            now + policy.lifetime,
            (user_agent or "")[:300] or None,
        )
    return SignedIn(manager, secret)


async def session_for(
    storage: Storage, secret: str, now: datetime, policy: SessionPolicy
) -> SignedIn | None:
    """The live session of a cookie, its last use recorded at most once a minute."""
    async with storage.reader() as uow:
        found = await uow.web_sessions.find(hash_session(secret))
    manager = session_viewer(found, now, policy)
    if manager is None or found is None:
        return None
    if found.session.needs_touch(now):
        async with storage.transaction() as uow:
            await uow.web_sessions.touch(found.session.id, now)
    return SignedIn(manager, secret)


async def session_alive(
    storage: Storage, secret: str, now: datetime, policy: SessionPolicy
) -> bool:
    """Whether a cookie's session still signs anyone in (a read only: an open event stream
    asking this does not count as use, so the idle timeout still ends the session)."""
    async with storage.reader() as uow:
        found = await uow.web_sessions.find(hash_session(secret))
    return session_viewer(found, now, policy) is not None


async def sign_out(storage: Storage, secret: str, now: datetime) -> None:
    """End the session of a cookie (server-side: the cookie opens nothing afterwards)."""
    async with storage.transaction() as uow:
        await uow.web_sessions.revoke(hash_session(secret), now)


async def sessions_of(storage: Storage, login: str) -> tuple[Manager, list[WebSession]]:
    """A manager's sessions, newest first."""
    async with storage.reader() as uow:
        manager = await uow.managers.get_by_login(login)
        if manager is None:
            raise UnknownLogin(login)
        return manager, await uow.web_sessions.list_for(manager.id)


async def revoke_sessions(storage: Storage, login: str, now: datetime) -> int:
    """End every live session of a manager; returns how many."""
    async with storage.transaction() as uow:
        manager = await uow.managers.get_by_login(login)
        if manager is None:
            raise UnknownLogin(login)
        return await uow.web_sessions.revoke_all(manager.id, now)
