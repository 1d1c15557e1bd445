"""A Bitrix24 portal stand-in on loopback, answering inbound-webhook REST calls in Bitrix24's
wire format (`{"result": ..., "time": {...}}`; errors `{"error", "error_description"}`).

It keeps leads, contacts and deals in memory, can refuse calls with QUERY_LIMIT_EXCEEDED (503)
and can create a lead, then hold the answer past the caller's timeout (the lost-answer case).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

CODE = "s3cr3tc0de1234"


@dataclass
class Portal:
    """What the portal holds and saw; `busy` calls answer 503 before any is served."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"lead": {}, "contact": {}, "deal": {}}
    )
    calls: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    busy: int = 0
    hold_first_add_seconds: float = 0.0
    url: str = ""
    _next_id: int = 100

    def methods(self) -> list[str]:
        """The methods called, in order."""
        return [method for _, method, _ in self.calls]

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)


def _answer(result: Any) -> web.Response:
    now = time.time()
    stamp = datetime.now(UTC).isoformat()
    timing = {
        "start": now,
        "finish": now,
        "duration": 0.001,
        "processing": 0.0005,
        "date_start": stamp,
        "date_finish": stamp,
    }
    return web.json_response({"result": result, "time": timing})


def _error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def app_of(portal: Portal) -> web.Application:
    """The portal's REST endpoint: POST /rest/1/<code>/<method>.json with a JSON body."""

    async def call(request: web.Request) -> web.Response:
        if request.match_info["code"] != CODE:
            return _error(401, "INVALID_CREDENTIALS", "Invalid request credentials")
        method = request.match_info["method"].removesuffix(".json")
        params: dict[str, Any] = await request.json()
        portal.calls.append((time.monotonic(), method, params))
        if portal.busy > 0:
            portal.busy -= 1
            return _error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        if method == "crm.duplicate.findbycomm":
            values = set(params["values"])
            key = "PHONE" if params["type"] == "PHONE" else "EMAIL"
            found = [
                cid
                for cid, contact in portal.contacts.items()
                if values & {v["VALUE"] for v in contact.get(key, [])}
            ]
            return _answer({"CONTACT": [int(c) for c in found]} if found else [])
        entity, _, action = method.removeprefix("crm.").partition(".")
        records = portal.records.get(entity)
        if records is None:
            return _error(400, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        if action == "list":
            wanted = params.get("filter", {})
            rows = [
                {"ID": rid}
                for rid, fields in records.items()
                if all(str(fields.get(k)) == str(v) for k, v in wanted.items())
            ]
            return web.json_response({"result": rows, "total": len(rows), "time": {}})
        if action == "add":
            rid = portal.new_id()
            records[rid] = dict(params["fields"])
            if entity == "lead" and portal.hold_first_add_seconds:
                hold, portal.hold_first_add_seconds = portal.hold_first_add_seconds, 0.0
                await asyncio.sleep(hold)  # created, but the answer comes too late
            return _answer(int(rid))
        if action == "update":
            rid = str(params["id"])
            if rid not in records:
                return _error(400, "", "Not found")
            records[rid].update(params["fields"])
            return _answer(True)
        return _error(400, "ERROR_METHOD_NOT_FOUND", "Method not found!")

    app = web.Application()
    app.router.add_post("/rest/{user}/{code}/{method}", call)
    return app


@asynccontextmanager
async def serving(portal: Portal) -> AsyncIterator[Portal]:
    """Serve the portal on a loopback port; `portal.url` is its webhook URL without the code."""
    runner = web.AppRunner(app_of(portal), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    portal.url = f"http://127.0.0.1:{port}/rest/1/"
    try:
        yield portal
    finally:
        await runner.cleanup()
