"""Sign-in wiring for the workplace: its routes and the CSRF check."""

from __future__ import annotations

from aiohttp import web

from workplace.auth import pages
from workplace.auth.csrf import csrf_middleware
from workplace.pages import bot_account


def add_sign_in(app: web.Application, name_prefix: str) -> None:
    """/login, /logout, /account (route names start with `name_prefix`) and the CSRF check."""
    app.middlewares.append(csrf_middleware)
    add = app.router.add_route
    add("GET", "/login", pages.login_form, name=f"{name_prefix}login_form")
    add("POST", "/login", pages.login, name=f"{name_prefix}login")
    add("POST", "/logout", pages.logout, name=f"{name_prefix}logout")
    add("GET", "/account", pages.account, name=f"{name_prefix}account")
    add("POST", "/account/telegram-link", bot_account.link, name=f"{name_prefix}bot_link")
    add("POST", "/account/telegram-unlink", bot_account.unlink, name=f"{name_prefix}bot_unlink")
