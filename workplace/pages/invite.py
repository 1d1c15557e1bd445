"""/invite/<token>: a new manager opens the head's one-time link and sets their own password.

Nobody is signed in here, so the form carries a double-submit CSRF token like the sign-in
form's. Opening the page uses nothing up; only a password that is set uses the link.
"""

from __future__ import annotations

import logging
import secrets

import aiohttp_jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from crm_core.invites import InviteState
from crm_core.sign_in import PasswordRefused, same_token
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.auth.cookies import LOGIN_CSRF_COOKIE, LOGIN_CSRF_LIFETIME, set_cookie
from workplace.auth.csrf import CSRF_FIELD
from workplace.auth.invites import InviteRefused, accept_invite, opened_invite

log = logging.getLogger(__name__)

GONE = {
    InviteState.USED: "По этой ссылке пароль уже задан. Войдите со своим паролем.",
    InviteState.EXPIRED: "Срок действия ссылки истёк. Попросите руководителя прислать новую.",
    InviteState.UNKNOWN: "Ссылка недействительна. Попросите руководителя прислать новую.",
}
MISMATCH = "Пароли не совпадают."
STALE_FORM = "Форма устарела: откройте ссылку ещё раз."


async def page(request: web.Request) -> web.StreamResponse:
    """The form to set a password, or why the link no longer works (410)."""
    token = request.match_info["token"]
    found = await opened_invite(request.app[SERVICES].storage, token, utcnow())
    if found.manager is None:
        return _page(request, {"gone": GONE[found.state]}, status=410)
    return _page(request, {"manager": found.manager})


async def accept(request: web.Request) -> web.StreamResponse:
    """Set the chosen password; the link is used up, and off to sign in."""
    token = request.match_info["token"]
    storage = request.app[SERVICES].storage
    try:
        form = await request.post()
    except (ValueError, HttpProcessingError):
        form = None
    password = form.get("password") if form is not None else None
    repeat = form.get("repeat") if form is not None else None
    given = form.get(CSRF_FIELD) if form is not None else None
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    found = await opened_invite(storage, token, utcnow())
    if found.manager is None:
        return _page(request, {"gone": GONE[found.state]}, status=410)
    context = {"manager": found.manager}
    if not cookie or not isinstance(given, str) or not same_token(given, cookie):
        return _page(request, context | {"error": STALE_FORM}, status=403)
    if not isinstance(password, str) or not isinstance(repeat, str):
        return _page(request, context | {"error": "Введите пароль."}, status=422)
    if password != repeat:
        return _page(request, context | {"error": MISMATCH}, status=422)
    try:
        manager = await accept_invite(storage, token, password, utcnow())
    except PasswordRefused as err:
        return _page(request, context | {"error": str(err)}, status=422)
    except InviteRefused:
        return _page(request, {"gone": GONE[InviteState.USED]}, status=410)
    log.info("invite_accepted manager_id=%d", manager.id)
    return _page(request, {"done": manager})


def _page(request: web.Request, context: dict[str, object], *, status: int = 200) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not 32 <= len(token) <= 64:
        token = secrets.token_urlsafe(32)
    response = aiohttp_jinja2.render_template(
        "invite.html", request, {"csrf_token": token, **context}, status=status
    )
    # The page's URL is the secret: never cached, never sent on as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    set_cookie(
        response, request.app[SERVICES].settings, LOGIN_CSRF_COOKIE, token, LOGIN_CSRF_LIFETIME
    )
    return response
