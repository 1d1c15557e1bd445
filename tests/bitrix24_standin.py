"""A Bitrix24 portal stand-in on loopback, answering inbound-webhook REST calls in Bitrix24's
wire format (`{"result": ..., "time": {...}}`; errors `{"error", "error_description"}`).

It keeps leads, contacts, companies and deals in memory, can refuse calls with
QUERY_LIMIT_EXCEEDED (503) and can create a lead, then hold the answer past the caller's timeout
(the lost-answer case). `batch` runs its commands (PHP query strings, `$result[name]` replaced
by an earlier command's result before parsing, as Bitrix24 does) and answers
`{"result": {"result": {...}, "result_error": {...} or [], ...}}`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

CODE = "s3cr3tc0de1234"


@dataclass
class Portal:
    """What the portal holds and saw; `busy` calls answer 503 before any is served."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"lead": {}, "contact": {}, "company": {}, "deal": {}}
    )
    calls: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    # The commands run inside `batch` calls: (method, params).
    batched: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
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


def _timing() -> dict[str, Any]:
    now = time.time()
    stamp = datetime.now(UTC).isoformat()
    return {
        "start": now,
        "finish": now,
        "duration": 0.001,
        "processing": 0.0005,
        "date_start": stamp,
        "date_finish": stamp,
    }


class Refused(Exception):
    """A method's error answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(error)
        self.status, self.error, self.description = status, error, description


_REF = re.compile(r"\$result\[([^\]]+)\]")
_KEY = re.compile(r"[^\[\]]+")


def php_params(query: str) -> dict[str, Any]:
    """A PHP query string (`fields[PHONE][0][VALUE]=...`) as nested values, numbered keys as
    lists, the way Bitrix24 reads `batch` commands."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parts = _KEY.findall(key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _lists(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


async def run(portal: Portal, method: str, params: dict[str, Any]) -> Any:
    """One REST method against the portal's records; its result, or Refused."""
    if method == "crm.duplicate.findbycomm":
        values = set(params["values"])
        key = "PHONE" if params["type"] == "PHONE" else "EMAIL"
        found = [
            cid
            for cid, contact in portal.contacts.items()
            if values & {v["VALUE"] for v in contact.get(key, [])}
        ]
        return {"CONTACT": [int(c) for c in found]} if found else []
    if method == "batch":
        return await _batch(portal, params)
    entity, _, action = method.removeprefix("crm.").partition(".")
    records = portal.records.get(entity)
    if records is None:
        raise Refused(400, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    if action == "list":
        wanted = params.get("filter", {})
        return [
            {"ID": rid}
            for rid, fields in records.items()
            if all(str(fields.get(k)) == str(v) for k, v in wanted.items())
        ]
    if action == "add":
        rid = portal.new_id()
        records[rid] = dict(params["fields"])
        if entity == "lead" and portal.hold_first_add_seconds:
            hold, portal.hold_first_add_seconds = portal.hold_first_add_seconds, 0.0
            await asyncio.sleep(hold)  # created, but the answer comes too late
        return int(rid)
    if action == "update":
        rid = str(params["id"])
        if rid not in records:
            raise Refused(400, "", "Not found")
        records[rid].update(params["fields"])
        return True
    raise Refused(400, "ERROR_METHOD_NOT_FOUND", "Method not found!")


async def _batch(portal: Portal, params: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name, command in params["cmd"].items():
        method, _, query = _REF.sub(lambda m: str(results.get(m[1], "")), command).partition("?")
        inner = php_params(query)
        portal.batched.append((method, inner))
        try:
            results[name] = await run(portal, method, inner)
        except Refused as err:
            errors[name] = {"error": err.error, "error_description": err.description}
            if str(params.get("halt", 0)) not in ("0", "false"):
                break
    # PHP's json_encode writes an empty map as [].
    return {
        "result": results or [],
        "result_error": errors or [],
        "result_total": [],
        "result_next": [],
        "result_time": {},
    }


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
        try:
            result = await run(portal, method, params)
        except Refused as err:
            return _error(err.status, err.error, err.description)
        body: dict[str, Any] = {"result": result, "time": _timing()}
        if method.endswith(".list"):
            body["total"] = len(result)
        return web.json_response(body)

    app = web.Application()
    app.router.add_post("/rest/{user}/{code}/{method}", call)
    return app


def _error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


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
