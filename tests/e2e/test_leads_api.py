"""The managers' leads API: tokens, visibility, filters, cursor pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import Running

FORM_URL = "/api/v1/forms/site"


async def submit(running: Running, n: int, **extra: str) -> int:
    async with running.client.post(
        FORM_URL, json={"name": f"Клиент {n}", "phone": f"+7916000{n:04d}", **extra}
    ) as response:
        assert response.status == 202
        intake_id: int = (await response.json())["intake_id"]
        return intake_id


async def test_no_or_bad_token_is_401(service: Running) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        async with service.client.get("/api/v1/leads", headers=headers) as response:
            assert response.status == 401
            assert (await response.json())["field"] == "Authorization"
    async with service.client.get("/api/v1/leads/1") as response:
        assert response.status == 401


async def test_manager_sees_only_own_leads_and_head_sees_all(service: Running) -> None:
    intake_id = await submit(service, 1)
    lead = await service.wait_for_lead(intake_id)
    owner = lead["assignee"]
    other = "petrov" if owner == "ivanova" else "ivanova"
    assert owner in ("ivanova", "petrov")
    assert await service.leads(other) == []
    assert [x["id"] for x in await service.leads(owner)] == [lead["id"]]
    async with service.client.get(
        f"/api/v1/leads/{lead['id']}", headers=service.auth(other)
    ) as response:
        assert response.status == 404
    async with service.client.get(
        f"/api/v1/leads/{lead['id']}", headers=service.auth("head")
    ) as response:
        assert response.status == 200
        body = await response.json()
    for key in (
        "id",
        "status",
        "channel",
        "name",
        "phone",
        "email",
        "company",
        "assignee",
        "created_at",
        "fields",
        "flags",
    ):
        assert key in body


async def test_cursor_pagination_walks_every_lead_once(any_db_service: Running) -> None:
    running = any_db_service
    ids = [await submit(running, n) for n in range(7)]
    await running.wait_for_leads(7)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        async with running.client.get(
            f"/api/v1/leads?{query}", headers=running.auth()
        ) as response:
            page = await response.json()
        seen += [item["intake_id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(ids, reverse=True)


async def test_filters(service: Running) -> None:
    await submit(service, 1)
    await service.wait_for_leads(1)
    assert len(await service.leads(query="status=new")) == 1
    assert await service.leads(query="status=junk") == []
    assert len(await service.leads(query="channel=webform")) == 1
    assert await service.leads(query="channel=call") == []
    assert await service.leads(query="assignee=petrov") == []
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+", "%2B")
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert len(await service.leads(query=f"created_from={past}&created_to={future}")) == 1
    assert await service.leads(query=f"created_from={future}") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("status=open", "status"),
        ("cursor=%%%", "cursor"),
        ("cursor=djI6MTA", "cursor"),
        ("created_from=yesterday", "created_from"),
    ],
)
async def test_bad_query_is_400_naming_the_parameter(
    service: Running, query: str, field: str
) -> None:
    async with service.client.get(f"/api/v1/leads?{query}", headers=service.auth()) as r:
        assert r.status == 400
        assert (await r.json())["field"] == field


async def test_bad_lead_id(service: Running) -> None:
    async with service.client.get("/api/v1/leads/abc", headers=service.auth()) as r:
        assert r.status == 400
    async with service.client.get("/api/v1/leads/999", headers=service.auth()) as r:
        assert r.status == 404
