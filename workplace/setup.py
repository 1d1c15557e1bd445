"""The managers' web workplace inside the service's aiohttp application."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from workplace.auth import pages
from workplace.auth.csrf import csrf_middleware
from workplace.auth.session import current_session, is_workplace_path


def setup_workplace(app: web.Application) -> None:
    """Templates (escaped by default), the sign-in routes and the CSRF check."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("workplace", "templates"),
        autoescape=True,
        context_processors=[csrf_context],
    )
    app.middlewares.append(csrf_middleware)
    add_auth_routes(app)


def add_auth_routes(app: web.Application) -> None:
    """Signing in and out."""
    app.router.add_get("/login", pages.login_form)
    app.router.add_post("/login", pages.login)
    app.router.add_post("/logout", pages.logout)
    app.router.add_get("/account", pages.account)


async def csrf_context(request: web.Request) -> dict[str, Any]:
    """`csrf_token` for every template: the token of the request's session ('' without one;
    the sign-in page passes its own)."""
    if not is_workplace_path(request.path):
        return {}
    signed = await current_session(request)
    return {"csrf_token": signed.csrf_token if signed else ""}
