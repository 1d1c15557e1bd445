"""The workplace's live stream: /api/v1/events signed in by the session cookie, and the
in-app event that takes a lead out of the others' Входящие."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from crm_core.model import Manager
from intake.clock import utcnow
from intake.http import events
from tests.e2e.conftest import Running
from tests.e2e.test_sales_e2e import submit_lead
from tests.integration.test_notifiers import read_event
from workplace.auth.cookies import SESSION_COOKIE
from workplace.auth.service import SignedIn, revoke_sessions, set_password, sign_in
from workplace.auth.session import session_policy

PASSWORD = "живой-пароль-1"


async def session_cookie(running: Running, login: str, *, days_ago: int = 0) -> str:
    """A session of `login` opened `days_ago` days ago: the cookie's value."""
    storage = running.services.storage
    await set_password(storage, login, PASSWORD, utcnow())
    policy = session_policy(running.services.settings)
    opened = await sign_in(storage, login, PASSWORD, utcnow() - timedelta(days=days_ago), policy)
    assert isinstance(opened, SignedIn)
    return opened.secret


@asynccontextmanager
async def stream(
    running: Running, cookie: str | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[aiohttp.ClientResponse]:
    """GET /api/v1/events with a session cookie and/or headers, as a browser would."""
    url = running.client.make_url("/api/v1/events")
    cookies = {SESSION_COOKIE: cookie} if cookie else None
    async with (
        aiohttp.ClientSession(cookies=cookies) as session,
        session.get(url, headers=headers or {}) as response,
    ):
        yield response


async def until(response: aiohttp.ClientResponse, kind: str) -> dict[str, Any]:
    """The data of the next event of `kind` on the stream (others are skipped)."""
    while True:
        event = await read_event(response)
        assert event, f"the stream ended before a {kind} event"
        if event["event"] == kind:
            data: dict[str, Any] = json.loads(event["data"])
            return data


async def manager(running: Running, login: str) -> Manager:
    async with running.services.storage.reader() as uow:
        found = await uow.managers.get_by_login(login)
    assert found is not None
    return found


async def test_the_session_cookie_opens_the_stream_and_a_new_lead_arrives(
    any_db_service: Running,
) -> None:
    running = any_db_service
    head = await session_cookie(running, "head")
    async with stream(running, head) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream"
    lead = await submit_lead(running, "Живая Заявка", "+79035550011")
    owner = await session_cookie(running, lead["assignee"])
    async with stream(running, owner, {"Last-Event-ID": "0"}) as response:
        assert response.status == 200
        data = await until(response, "lead_assigned")
    assert data["lead_id"] == lead["id"]
    assert data["title"].startswith(f"Вам назначена заявка №{lead['id']}")


async def test_a_form_posted_while_the_stream_is_open_arrives_live(service: Running) -> None:
    first = await submit_lead(service, "Первый", "+79035550012")
    owner = first["assignee"]
    cookie = await session_cookie(service, owner)
    async with stream(service, cookie) as response:
        assert response.status == 200
        # Round robin: post until one lands with the same manager.
        for n in range(10):
            lead = await submit_lead(service, f"Клиент {n}", f"+7903555002{n}")
            if lead["assignee"] == owner:
                break
        else:
            raise AssertionError("no second lead for the same manager")
        data = await until(response, "lead_assigned")
    assert data["lead_id"] == lead["id"]


async def test_a_revoked_or_expired_session_gets_401(any_db_service: Running) -> None:
    running = any_db_service
    revoked = await session_cookie(running, "ivanova")
    await revoke_sessions(running.services.storage, "ivanova", utcnow())
    lifetime = running.services.settings.workplace.session_days
    expired = await session_cookie(running, "petrov", days_ago=lifetime + 1)
    for cookie in (revoked, expired, "x" * 43):
        async with stream(running, cookie) as response:
            assert response.status == 401
            body = await response.json()
        assert body["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_wrong_token_is_not_rescued_by_a_cookie(service: Running) -> None:
    cookie = await session_cookie(service, "head")
    async with stream(service, cookie, {"Authorization": "Bearer wrong"}) as response:
        assert response.status == 401


async def test_tokens_still_open_the_stream(service: Running) -> None:
    token = service.tokens["head"]
    async with stream(service, headers=service.auth("head")) as response:
        assert response.status == 200
    url = service.client.make_url(f"/api/v1/events?access_token={token}")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200


async def test_a_taken_lead_is_announced_to_the_head_not_to_the_taker(
    any_db_service: Running,
) -> None:
    running = any_db_service
    lead = await submit_lead(running, "Берём Сразу", "+79035550031")
    owner = lead["assignee"]
    taker = await manager(running, owner)
    head_cookie = await session_cookie(running, "head")
    owner_cookie = await session_cookie(running, owner)
    async with (
        stream(running, head_cookie) as head_stream,
        stream(running, owner_cookie) as owner_stream,
    ):
        assert head_stream.status == owner_stream.status == 200
        async with running.client.post(
            f"/api/v1/leads/{lead['id']}/take", json={}, headers=running.auth(owner)
        ) as r:
            assert r.status == 200, await r.text()
        data = await until(head_stream, "lead_updated")
    assert data["lead_id"] == lead["id"]
    assert data["status"] == "in_work" and data["assignee_id"] == taker.id
    assert "phone" not in data and "name" not in data
    async with running.services.storage.reader() as uow:
        rows = await uow.outbox.for_manager(taker.id, 0, 100)
    assert [r.kind.value for r in rows] == ["lead_assigned"]
    head = await manager(running, "head")
    async with running.services.storage.reader() as uow:
        told = await uow.outbox.for_manager(head.id, 0, 100)
    # The head saw the lead arrive, then leave Входящие when it was taken.
    assert [(r.kind.value, r.payload["status"]) for r in told] == [
        ("lead_updated", "new"),
        ("lead_updated", "in_work"),
    ]


async def test_signing_out_ends_an_open_session_stream(
    service: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "KEEPALIVE_SECONDS", 0.2)
    cookie = await session_cookie(service, "ivanova")
    async with stream(service, cookie) as response:
        assert response.status == 200
        # While the session lives the stream only carries keepalives.
        async with asyncio.timeout(5):
            assert await response.content.readline() == b": keepalive\n"
        await revoke_sessions(service.services.storage, "ivanova", utcnow())
        assert await read_event(response) == {}  # the stream ended
    async with stream(service, cookie) as again:
        assert again.status == 401
