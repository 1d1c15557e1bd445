"""An amoCRM account stand-in on loopback answering API v4 in its wire format: HAL JSON with
`_embedded`, 204 No Content for an empty list, 429 over the limit, 401 without the token.

It can create a request in the unsorted inbox, then hold the answer past the caller's timeout
(the lost-answer case).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "amo-long-lived-token-0123456789"


@dataclass
class Account:
    """What the account holds and saw; `busy` requests answer 429 before any is served."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    leads: dict[int, dict[str, Any]] = field(default_factory=dict)
    unsorted: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[float, str, str]] = field(default_factory=list)
    busy: int = 0
    hold_first_create_seconds: float = 0.0
    url: str = ""
    _next_id: int = 5000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def requests(self, method: str, path: str) -> int:
        """How many requests of this method and path came."""
        return sum(1 for _, m, p in self.calls if m == method and p == path)


def _hal(key: str, items: list[dict[str, Any]], path: str) -> web.Response:
    if not items:
        return web.Response(status=204)
    return web.json_response(
        {"_page": 1, "_links": {"self": {"href": path}}, "_embedded": {key: items}},
        content_type="application/hal+json",
    )


def _problem(status: int, title: str, detail: str) -> web.Response:
    body = {"title": title, "type": f"https://httpstatus.es/{status}", "status": status}
    return web.json_response({**body, "detail": detail}, status=status)


def app_of(account: Account) -> web.Application:
    """The account's API: /api/v4/contacts, /leads, /leads/unsorted(/forms), /leads/complex."""

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        account.calls.append((time.monotonic(), request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _problem(401, "Unauthorized", "Authorization required")
        if account.busy > 0:
            account.busy -= 1
            return _problem(429, "Too Many Requests", "Too many requests")
        result: web.StreamResponse = await handler(request)
        return result

    async def contacts(request: web.Request) -> web.Response:
        query = request.query.get("query", "")
        found = [
            {"id": cid, "name": c["name"]}
            for cid, c in account.contacts.items()
            if query and query in c.get("values", [])
        ]
        return _hal("contacts", found, request.path)

    async def leads(request: web.Request) -> web.Response:
        query = request.query.get("query", "")
        found = [
            {"id": lid, "name": lead["name"]}
            for lid, lead in account.leads.items()
            if query and query in lead["name"]
        ]
        return _hal("leads", found, request.path)

    async def unsorted(request: web.Request) -> web.Response:
        newest = list(reversed(account.unsorted))
        return _hal("unsorted", newest, request.path)

    async def forms(request: web.Request) -> web.Response:
        created = []
        for item in await request.json():
            lead_id = account.new_id()
            lead = item["_embedded"]["leads"][0]
            account.leads[lead_id] = {**lead, "unsorted": True}
            entry = {
                "uid": f"u{lead_id}",
                "source_uid": item["source_uid"],
                "source_name": item["source_name"],
                "category": "forms",
                "metadata": item["metadata"],
                "_embedded": {"leads": [{"id": lead_id}], "contacts": [], "companies": []},
            }
            account.unsorted.append({**entry, "request": item})
            created.append(entry)
        await _maybe_hold(account)
        return web.json_response(
            {"_total_items": len(created), "_embedded": {"unsorted": created}},
            content_type="application/hal+json",
        )

    async def complex_(request: web.Request) -> web.Response:
        answer = []
        for item in await request.json():
            lead_id = account.new_id()
            account.leads[lead_id] = dict(item)
            contact = item["_embedded"]["contacts"][0]["id"]
            answer.append(
                {"id": lead_id, "contact_id": contact, "company_id": None, "merged": False}
            )
        await _maybe_hold(account)
        return web.json_response(answer)

    async def patch(request: web.Request) -> web.Response:
        lead_id = int(request.match_info["id"])
        if lead_id not in account.leads:
            return _problem(404, "Not Found", "Lead not found")
        account.leads[lead_id].update(await request.json())
        return web.json_response(
            {"id": lead_id, "updated_at": int(time.time()), "_links": {}},
            content_type="application/hal+json",
        )

    app = web.Application(middlewares=[guard])
    app.router.add_get("/api/v4/contacts", contacts)
    app.router.add_get("/api/v4/leads", leads)
    app.router.add_get("/api/v4/leads/unsorted", unsorted)
    app.router.add_post("/api/v4/leads/unsorted/forms", forms)
    app.router.add_post("/api/v4/leads/complex", complex_)
    app.router.add_patch("/api/v4/leads/{id:\\d+}", patch)
    return app


async def _maybe_hold(account: Account) -> None:
    if account.hold_first_create_seconds:
        hold, account.hold_first_create_seconds = account.hold_first_create_seconds, 0.0
        await asyncio.sleep(hold)  # created, but the answer comes too late


@asynccontextmanager
async def serving(account: Account) -> AsyncIterator[Account]:
    """Serve the account on a loopback port; `account.url` is its base URL."""
    runner = web.AppRunner(app_of(account), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    account.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield account
    finally:
        await runner.cleanup()
