"""Sign-in wiring for the workplace: its routes, the CSRF check, `csrf_token` in templates."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from workplace.auth import pages
from workplace.auth.csrf import csrf_middleware
from workplace.auth.session import current_session, is_workplace_path


def add_sign_in(app: web.Application, name_prefix: str) -> None:
    """/login, /logout, /account (route names start with `name_prefix`) and the CSRF check."""
    app.middlewares.append(csrf_middleware)
    add = app.router.add_route
    add("GET", "/login", pages.login_form, name=f"{name_prefix}login_form")
    add("POST", "/login", pages.login, name=f"{name_prefix}login")
    add("POST", "/logout", pages.logout, name=f"{name_prefix}logout")
    add("GET", "/account", pages.account, name=f"{name_prefix}account")


async def csrf_context(request: web.Request) -> dict[str, Any]:
    """`csrf_token` for every template: the token of the request's session ('' without one;
    the sign-in page passes its own)."""
    if not is_workplace_path(request.path):
        return {}
    signed = await current_session(request)
    return {"csrf_token": signed.csrf_token if signed else ""}
