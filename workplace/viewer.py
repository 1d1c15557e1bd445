"""Who is signed in to the workplace (for now: the API's bearer token)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from crm_core.model import Manager
from intake.http.leads import bearer_manager


async def viewer(request: web.Request) -> Manager:
    """The signed-in manager; anyone else is sent to the sign-in page and back here after."""
    manager = await bearer_manager(request)
    if manager is None:
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    return manager
