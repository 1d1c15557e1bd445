"""A VK API stand-in on localhost for a community's Callback API servers:
groups.getCallbackServers, groups.addCallbackServer, groups.editCallbackServer,
groups.setCallbackSettings, groups.getCallbackConfirmationCode.

It speaks VK's wire format: POST {api_base}/{method} with form fields (access_token, v,
group_id, ...); answers {"response": ...} or {"error": {"error_code", "error_msg",
"request_params"}} with HTTP 200, as VK does.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class VkCall:
    """One method call as the stand-in received it."""

    method: str
    fields: dict[str, str]


@dataclass
class VkApiStandIn:
    """The VK API for one community and its access token."""

    group_id: int
    token: str
    confirmation: str = "c0nf1rm"
    calls: list[VkCall] = field(default_factory=list)
    servers: dict[int, dict[str, Any]] = field(default_factory=dict)
    # server id → the events it has switched on and its API version.
    settings: dict[int, dict[str, str]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def calls_of(self, method: str) -> list[VkCall]:
        """Every call of one method."""
        return [c for c in self.calls if c.method == method]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fields = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.calls.append(VkCall(method, fields))
        params = [{"key": k, "value": v} for k, v in fields.items() if k != "access_token"]
        if fields.get("access_token") != self.token:
            return _error(5, "User authorization failed: invalid access_token (4).", params)
        if fields.get("group_id") != str(self.group_id):
            return _error(100, "One of the parameters specified was missing or invalid", params)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return _error(3, "Unknown method passed", params)
        result = handler(fields)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"response": result})

    def _groups_getCallbackServers(self, fields: dict[str, str]) -> dict[str, Any]:  # noqa: N802
        return {"count": len(self.servers), "items": list(self.servers.values())}

    def _groups_addCallbackServer(self, fields: dict[str, str]) -> dict[str, Any]:  # noqa: N802
        server_id = next(self._ids)
        self.servers[server_id] = {
            "id": server_id,
            "title": fields["title"],
            "creator_id": 1,
            "url": fields["url"],
            "secret_key": fields.get("secret_key", ""),
            "status": "unconfigured",
        }
        return {"server_id": server_id}

    def _groups_editCallbackServer(self, fields: dict[str, str]) -> Any:  # noqa: N802
        server = self.servers.get(int(fields["server_id"]))
        if server is None:
            return _error(100, "One of the parameters specified was missing or invalid", [])
        server.update(
            url=fields["url"], title=fields["title"], secret_key=fields.get("secret_key", "")
        )
        return 1

    def _groups_setCallbackSettings(self, fields: dict[str, str]) -> Any:  # noqa: N802
        server_id = int(fields["server_id"])
        if server_id not in self.servers:
            return _error(100, "One of the parameters specified was missing or invalid", [])
        self.settings[server_id] = {
            k: v for k, v in fields.items() if k not in ("access_token", "group_id", "server_id")
        }
        return 1

    def _groups_getCallbackConfirmationCode(  # noqa: N802
        self, fields: dict[str, str]
    ) -> dict[str, str]:
        return {"code": self.confirmation}


def _error(code: int, message: str, params: list[dict[str, str]]) -> web.Response:
    return web.json_response(
        {"error": {"error_code": code, "error_msg": message, "request_params": params}}
    )


@asynccontextmanager
async def vk_api_standin(
    group_id: int, token: str, confirmation: str = "c0nf1rm"
) -> AsyncIterator[tuple[VkApiStandIn, str]]:
    """The stand-in served on a loopback port; yields it and its api_base."""
    stand_in = VkApiStandIn(group_id, token, confirmation)
    app = web.Application()
    app.router.add_post("/method/{method}", stand_in.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield stand_in, str(server.make_url("/method"))
    finally:
        await server.close()
