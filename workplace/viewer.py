"""Who is signed in: the manager of the session cookie or of an API bearer token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import urlsplit

from aiohttp import web

from crm_core.model import Manager
from intake.http.leads import bearer_manager
from workplace.auth.next_url import login_url
from workplace.auth.session import current_session


async def signed_in(request: web.Request) -> Manager | None:
    """The manager of the request: a bearer token (as the API checks it) when the request
    carries one, else the session cookie; None when neither lets anyone in."""
    if "Authorization" in request.headers:
        return await bearer_manager(request)
    signed = await current_session(request)
    return signed.manager if signed else None


async def viewer(request: web.Request) -> Manager:
    """The signed-in manager; nobody signed in: off to the sign-in page and back here
    (htmx requests get `HX-Redirect`, so the whole page goes, not a fragment)."""
    manager = await signed_in(request)
    if manager is not None:
        return manager
    raise sign_in_redirect(request)


def sign_in_redirect(request: web.Request) -> web.HTTPException:
    """The answer that sends a visitor to sign in and brings them back afterwards."""
    if request.headers.get("HX-Request") == "true":
        current = request.headers.get("HX-Current-URL", "")
        back = _path_of(current) if current else None
        return web.HTTPNoContent(headers={"HX-Redirect": login_url(back)})
    back = request.path_qs if request.method in ("GET", "HEAD") else None
    return web.HTTPFound(login_url(back))


PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def requires_sign_in(handler: PageHandler) -> PageHandler:
    """A page handler that only runs for a signed-in manager (others go to sign in)."""

    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        await viewer(request)
        return await handler(request)

    return wrapper


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
