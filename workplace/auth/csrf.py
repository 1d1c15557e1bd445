"""CSRF: every state-changing request a session cookie signs in carries the session's token.

The token comes as the form field `csrf_token` or the header `X-CSRF-Token` (htmx sends the
header, set once in the base template's `hx-headers`). Requests with an `Authorization`
header are not signed in by a cookie and need none. The sign-in form, before any session
exists, uses a double-submit cookie (checked by its handler).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from crm_core.sign_in import same_token
from workplace.auth.session import current_session, is_workplace_path

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Checked by their handlers: the sign-in form and an invite link's form have no session yet.
OWN_CHECK_PATHS = frozenset({"/login"})
OWN_CHECK_PREFIXES = ("/invite/",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORGED_MESSAGE = (
    "Страница устарела или запрос пришёл не из LeadIntake: обновите страницу и повторите"
    " действие. Ничего не изменено."
)


async def submitted_token(request: web.Request) -> str | None:
    """The CSRF token a request carries: the header, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in FORM_TYPES:
        try:
            form = await request.post()
        except (ValueError, HttpProcessingError):  # a malformed body carries no token
            return None
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def forbidden(request: web.Request, message: str = FORGED_MESSAGE) -> web.Response:
    """403 with a Russian explanation: a short text for htmx, a small page otherwise."""
    if request.headers.get("HX-Request") == "true":
        return web.Response(status=403, text=message, content_type="text/plain")
    body = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Запрос отклонён</title></head><body style="font-family:sans-serif;'
        'max-width:32rem;margin:2rem auto;padding:0 1rem"><h1>Запрос отклонён</h1>'
        f'<p>{message}</p><p><a href="/">На главную</a></p></body></html>'
    )
    return web.Response(status=403, text=body, content_type="text/html")


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 for a state-changing workplace request of a session without its CSRF token."""
    if (
        request.method in SAFE_METHODS
        or not is_workplace_path(request.path)
        or request.path in OWN_CHECK_PATHS
        or request.path.startswith(OWN_CHECK_PREFIXES)
        or "Authorization" in request.headers
    ):
        return await handler(request)
    signed = await current_session(request)
    # Without a session the handler sends the visitor to sign in; nothing to protect.
    if signed is not None and not same_token(await submitted_token(request), signed.csrf_token):
        log.warning("csrf_refused path=%s manager_id=%d", request.path, signed.manager.id)
        return forbidden(request)
    return await handler(request)
