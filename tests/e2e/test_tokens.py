"""API tokens over HTTP and the CLI: expiry, last use, listing and revocation (heads only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from config import Settings
from crm_core.tokens import hash_token
from intake.auth import create_token, manager_for_token
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_cli import run_cli


async def status_of(running: Running, token: str, path: str = "/api/v1/leads") -> int:
    async with running.client.get(path, headers={"Authorization": f"Bearer {token}"}) as r:
        await r.read()
        return r.status


async def test_an_expired_token_gets_401(any_db_service: Running) -> None:
    storage = any_db_service.services.storage
    expired = await create_token(storage, "petrov", expires_in=timedelta(0))
    fresh = await create_token(storage, "petrov")
    assert await status_of(any_db_service, expired) == 401
    assert await status_of(any_db_service, fresh) == 200
    # The event stream, which also takes ?access_token=, holds to the same rule.
    async with any_db_service.client.get(f"/api/v1/events?access_token={expired}") as r:
        assert r.status == 401


async def test_a_new_token_expires_after_the_configured_days(any_db_service: Running) -> None:
    storage = any_db_service.services.storage
    token = await create_token(storage, "petrov")
    async with storage.reader() as uow:
        found = await uow.tokens.find(hash_token(token))
    assert found is not None and found.token.expires_at is not None
    lifetime = found.token.expires_at - found.token.created_at
    assert lifetime == timedelta(days=180)


async def test_last_use_is_recorded_at_most_once_a_minute(any_db_service: Running) -> None:
    storage = any_db_service.services.storage
    token = await create_token(storage, "petrov")
    now = utcnow()
    for offset in (0, 30, 59, 61):
        assert await manager_for_token(storage, token, now + timedelta(seconds=offset))
        async with storage.reader() as uow:
            found = await uow.tokens.find(hash_token(token))
        assert found is not None
        expected = now + timedelta(seconds=61 if offset == 61 else 0)
        assert found.token.last_used_at == expected, offset


async def test_heads_list_and_revoke_tokens_managers_may_not(any_db_service: Running) -> None:
    running = any_db_service
    async with running.client.get("/api/v1/tokens", headers=running.auth("head")) as r:
        assert r.status == 200
        items = (await r.json())["items"]
    ivanova = next(t for t in items if t["login"] == "ivanova")
    assert ivanova["state"] == "active" and ivanova["expires_at"] is not None
    assert set(ivanova) == {
        "id", "login", "name", "created_at", "last_used_at", "expires_at", "revoked_at", "state"
    }  # fmt: skip
    assert running.tokens["ivanova"] not in str(items)
    head_used = next(t for t in items if t["login"] == "head")
    assert head_used["last_used_at"] is not None  # this very request used it

    async with running.client.get("/api/v1/tokens", headers=running.auth("ivanova")) as r:
        assert r.status == 403
        assert (await r.json())["error"] == "forbidden"
    revoke = f"/api/v1/tokens/{ivanova['id']}/revoke"
    async with running.client.post(revoke, headers=running.auth("petrov")) as r:
        assert r.status == 403

    assert await status_of(running, running.tokens["ivanova"]) == 200
    async with running.client.post(revoke, headers=running.auth("head")) as r:
        assert r.status == 200
        body = await r.json()
    assert body["state"] == "revoked" and body["revoked_at"] is not None
    assert await status_of(running, running.tokens["ivanova"]) == 401
    async with running.client.post(revoke, headers=running.auth("head")) as r:
        assert r.status == 200 and (await r.json())["revoked_at"] == body["revoked_at"]

    for bad, status in (("999999", 404), ("99999999999999999999999", 400), ("x", 400)):
        url = f"/api/v1/tokens/{bad}/revoke"
        async with running.client.post(url, headers=running.auth("head")) as r:
            assert r.status == status, bad
            assert (await r.json())["field"] == "token_id"


async def test_a_head_issues_a_named_token_shown_once(any_db_service: Running) -> None:
    running = any_db_service
    body = {"login": "petrov", "name": "интеграция с 1С"}
    async with running.client.post("/api/v1/tokens", json=body, headers=running.auth()) as r:
        assert r.status == 201
        issued = await r.json()
    secret = issued.pop("token")
    assert secret.startswith("li_")
    assert issued["login"] == "petrov" and issued["name"] == "интеграция с 1С"
    assert issued["state"] == "active" and issued["last_used_at"] is None
    expires = datetime.fromisoformat(issued["expires_at"])
    created = datetime.fromisoformat(issued["created_at"])
    assert expires - created == timedelta(days=180)
    assert await status_of(running, secret) == 200
    async with running.client.get("/api/v1/tokens", headers=running.auth()) as r:
        listed = await r.json()
    [mine] = [t for t in listed["items"] if t["id"] == issued["id"]]
    assert mine["name"] == "интеграция с 1С" and mine["last_used_at"] is not None
    assert secret not in str(listed)
    # Who issued it and for whom is in the audit log; the secret is not.
    async with running.services.storage.reader() as uow:
        entries = await uow.audit.for_entity("api_token", issued["id"])
    assert [(e.actor, e.action) for e in entries] == [("head", "issue")]
    assert secret not in str(entries)

    for login, body, status in (
        ("ivanova", {"login": "petrov", "name": "мой"}, 403),
        ("head", {"login": "nobody", "name": "x"}, 404),
        ("head", {"login": "petrov"}, 400),
        ("head", {"login": "petrov", "name": "  "}, 400),
        ("head", {"login": "petrov", "name": "x" * 101}, 400),
    ):
        async with running.client.post(
            "/api/v1/tokens", json=body, headers=running.auth(login)
        ) as r:
            assert r.status == status, (login, body, await r.text())


async def test_token_list_and_revoke_from_the_cli(settings: Settings) -> None:
    config = ("--config", settings.source)
    created = run_cli(*config, "token", "create", "--manager", "petrov")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    listed = run_cli(*config, "token", "list")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.strip().splitlines()
    assert header.split("\t") == ["id", "login", "created", "last_used", "expires", "state"]
    token_id, login, _created, last_used, expires, state = row.split("\t")
    assert (login, last_used, state) == ("petrov", "-", "active") and expires != "-"
    assert secret not in listed.stdout

    revoked = run_cli(*config, "token", "revoke", token_id)
    assert revoked.returncode == 0 and f"token {token_id} of petrov revoked" in revoked.stdout
    assert run_cli(*config, "token", "list").stdout.strip().endswith("\trevoked")
    unknown = run_cli(*config, "token", "revoke", "4242")
    assert unknown.returncode == 1 and "4242" in unknown.stderr
