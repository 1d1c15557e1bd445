"""Invite links against SQLite and PostgreSQL: one use, expiry, replacement, inactive managers.

The clock is passed in: expiry is tested by moving it, never by sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from crm_core.invites import INVITE_TTL, InviteState, hash_invite_token
from crm_core.model import NewManager, Role
from crm_core.sign_in import PasswordRefused, SessionPolicy
from crm_core.storage import Storage
from workplace.auth.invites import InviteRefused, accept_invite, invite_link, opened_invite
from workplace.auth.service import SignedIn, session_for, set_password, sign_in

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
URL = "https://crm.example.ru"
PASSWORD = "мой-новый-пароль"
POLICY = SessionPolicy()


def _manager(login: str, *, active: bool = True) -> NewManager:
    return NewManager(login, login.title(), Role.MANAGER, None, None, "Europe/Moscow", active)


@pytest.fixture
async def team(storage: Storage) -> Storage:
    async with storage.transaction() as uow:
        await uow.managers.upsert(_manager("sidorov"), T0)
    return storage


def _token(link: str) -> str:
    assert link.startswith(f"{URL}/invite/")
    return link.rsplit("/", 1)[-1]


async def test_a_link_sets_a_password_once_even_when_sent_twice_at_once(team: Storage) -> None:
    token = _token(await invite_link(team, URL, "sidorov", "head", T0))
    opened = await opened_invite(team, token, T0 + timedelta(hours=1))
    assert opened.state is InviteState.VALID and opened.manager is not None
    assert opened.manager.login == "sidorov"
    # Only the hash is stored.
    async with team.reader() as uow:
        assert await uow.credentials.find_invite(token) is None
        assert await uow.credentials.find_invite(hash_invite_token(token)) is not None
        assert list(await uow.credentials.pending_invites(T0)) == [opened.manager.id]
    results = await asyncio.gather(
        accept_invite(team, token, PASSWORD, T0 + timedelta(hours=1)),
        accept_invite(team, token, "другой-пароль-2", T0 + timedelta(hours=1)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["InviteRefused", "Manager"]
    chosen = PASSWORD if not isinstance(results[0], BaseException) else "другой-пароль-2"
    signed = await sign_in(team, "sidorov", chosen, T0 + timedelta(hours=2), POLICY)
    assert isinstance(signed, SignedIn)
    assert (await opened_invite(team, token, T0 + timedelta(hours=2))).state is InviteState.USED
    async with team.reader() as uow:
        assert await uow.credentials.pending_invites(T0) == {}
        entries = await uow.audit.for_entity("manager", opened.manager.id)
    assert [(e.actor, e.action) for e in entries] == [
        ("head", "invite"),
        ("sidorov", "invite_accepted"),
    ]


async def test_a_link_expires_and_a_refused_password_uses_nothing(team: Storage) -> None:
    token = _token(await invite_link(team, URL, "sidorov", "head", T0))
    with pytest.raises(PasswordRefused):
        await accept_invite(team, token, "short", T0)
    end = T0 + INVITE_TTL
    assert (await opened_invite(team, token, end - timedelta(seconds=1))).manager is not None
    assert (await opened_invite(team, token, end)).state is InviteState.EXPIRED
    with pytest.raises(InviteRefused):
        await accept_invite(team, token, PASSWORD, end)
    async with team.reader() as uow:
        found = await uow.credentials.for_login("sidorov")
    assert found is not None and found[1] is None


async def test_a_newer_link_replaces_the_unused_one_and_a_used_one_ends_sessions(
    team: Storage,
) -> None:
    await set_password(team, "sidorov", "старый-пароль-1", T0)
    before = await sign_in(team, "sidorov", "старый-пароль-1", T0, POLICY)
    assert isinstance(before, SignedIn)
    first = _token(await invite_link(team, URL, "sidorov", "head", T0))
    second = _token(await invite_link(team, URL, "sidorov", "head", T0))
    assert (await opened_invite(team, first, T0)).state is InviteState.UNKNOWN
    await accept_invite(team, second, PASSWORD, T0)
    # Whoever knew the old password is signed out.
    assert await session_for(team, before.secret, T0, POLICY) is None
    for token in ("", "x" * 500, "not-a-token"):
        assert (await opened_invite(team, token, T0)).state is InviteState.UNKNOWN


async def test_a_deactivated_managers_link_opens_nothing(team: Storage) -> None:
    token = _token(await invite_link(team, URL, "sidorov", "head", T0))
    async with team.transaction() as uow:
        await uow.managers.upsert(_manager("sidorov", active=False), T0)
    assert (await opened_invite(team, token, T0)).state is InviteState.UNKNOWN
    with pytest.raises(InviteRefused):
        await accept_invite(team, token, PASSWORD, T0)
