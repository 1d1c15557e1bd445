"""/login, /logout and /account: signing in and out of the workplace."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from crm_core.sign_in import same_token
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.auth.cookies import (
    LOGIN_CSRF_COOKIE,
    LOGIN_CSRF_LIFETIME,
    SESSION_COOKIE,
    clear_cookie,
    set_cookie,
)
from workplace.auth.csrf import CSRF_FIELD
from workplace.auth.next_url import safe_next
from workplace.auth.service import Refused, SignedIn, Throttled, sign_in, sign_out
from workplace.auth.session import (
    current_session,
    forget_session,
    session_policy,
)
from workplace.pages.bot_account import account_context, bot_panel
from workplace.viewer import signed_in, viewer

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Неверный логин или пароль"
STALE_FORM = "Форма устарела: войдите ещё раз."
TOO_MANY = "Слишком много попыток, попробуйте через {} с"


async def login_form(request: web.Request) -> web.StreamResponse:
    """The sign-in form (a signed-in manager goes straight on to `next`)."""
    target = safe_next(request.query.get("next"))
    if await signed_in(request) is not None and "Authorization" not in request.headers:
        raise web.HTTPFound(target)
    return _login_page(request, target)


async def login(request: web.Request) -> web.StreamResponse:
    """Check the login and password; on success a new session and off to `next`."""
    form = await request.post()
    target = safe_next(_field(form, "next"))
    login_value = _field(form, "login").strip()
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie_token or not same_token(_field(form, CSRF_FIELD), cookie_token):
        return _login_page(request, target, login_value, STALE_FORM, status=403)
    services = request.app[SERVICES]
    settings = services.settings
    result = await sign_in(
        services.storage,
        login_value,
        _field(form, "password"),
        utcnow(),
        session_policy(settings),
        request.headers.get("User-Agent"),
    )
    if isinstance(result, Throttled):
        page = _login_page(
            request, target, login_value, TOO_MANY.format(result.seconds), status=429
        )
        page.headers["Retry-After"] = str(result.seconds)
        return page
    if isinstance(result, Refused):
        return _login_page(request, target, login_value, WRONG_CREDENTIALS, status=401)
    assert isinstance(result, SignedIn)
    previous = await current_session(request)
    if previous is not None:
        await sign_out(services.storage, previous.secret, utcnow())
    log.info("signed_in manager_id=%d", result.manager.id)
    response = web.HTTPSeeOther(target)
    set_cookie(
        response, settings, SESSION_COOKIE, result.secret, session_policy(settings).lifetime
    )
    clear_cookie(response, settings, LOGIN_CSRF_COOKIE)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session server-side and forget the cookie (CSRF checked by the middleware)."""
    services = request.app[SERVICES]
    signed = await current_session(request)
    if signed is not None:
        await sign_out(services.storage, signed.secret, utcnow())
        log.info("signed_out manager_id=%d", signed.manager.id)
        forget_session(request)
    response = web.HTTPSeeOther("/login")
    clear_cookie(response, services.settings, SESSION_COOKIE)
    raise response


@aiohttp_jinja2.template("account.html")
async def account(request: web.Request) -> dict[str, Any]:
    """Who is signed in, the managers' bot's link state, and the sign-out button."""
    manager = await viewer(request)
    return account_context(request, manager, await bot_panel(request.app[SERVICES], manager))


def _login_page(
    request: web.Request,
    target: str,
    login_value: str = "",
    error: str | None = None,
    *,
    status: int = 200,
) -> web.Response:
    # Double submit: the cookie and the hidden field carry the same random token (kept
    # while the cookie lives, so two open sign-in tabs both work).
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not 32 <= len(token) <= 64:
        token = secrets.token_urlsafe(32)
    context = {
        "csrf_token": token,
        "next": target,
        "login": login_value,
        "error": error,
    }
    response = aiohttp_jinja2.render_template("login.html", request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    set_cookie(
        response, request.app[SERVICES].settings, LOGIN_CSRF_COOKIE, token, LOGIN_CSRF_LIFETIME
    )
    return response


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
