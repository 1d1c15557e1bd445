"""The session of a request: found once from its cookie and kept on the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from config import Settings
from crm_core.sign_in import SessionPolicy
from intake.clock import utcnow
from intake.http.keys import SERVICES, StreamSignIn
from workplace.auth.cookies import SESSION_COOKIE
from workplace.auth.service import SignedIn, session_alive, session_for

# Paths of the API and the service's own endpoints: never signed in by a cookie.
NOT_WORKPLACE_PREFIXES = ("/api/", "/hooks/")
NOT_WORKPLACE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(frozen=True, slots=True)
class _Found:
    signed: SignedIn | None


_SESSION = web.RequestKey("workplace_session", _Found)


def is_workplace_path(path: str) -> bool:
    """A page or action of the workplace (not the API, a webhook or an ops endpoint)."""
    return not path.startswith(NOT_WORKPLACE_PREFIXES) and path not in NOT_WORKPLACE_PATHS


def session_policy(settings: Settings) -> SessionPolicy:
    """The configured idle timeout and lifetime of sessions."""
    return SessionPolicy(
        idle=timedelta(hours=settings.workplace.session_idle_hours),
        lifetime=timedelta(days=settings.workplace.session_days),
    )


async def current_session(request: web.Request) -> SignedIn | None:
    """The live session the request's cookie opens, if any (looked up once per request)."""
    found = request.get(_SESSION)
    if found is None:
        secret = request.cookies.get(SESSION_COOKIE, "")
        signed = None
        if 20 <= len(secret) <= 100:
            services = request.app[SERVICES]
            policy = session_policy(services.settings)
            signed = await session_for(services.storage, secret, utcnow(), policy)
        found = _Found(signed)
        request[_SESSION] = found
    return found.signed


def template_context(request: web.Request) -> dict[str, Any]:
    """What every page's template gets besides its own context: the request, and the
    `csrf_token` of the session the page's viewer was found by ('' without one). Read from
    the lookup the page already made, so rendering needs no await and the API's requests
    pay nothing for templates (no middleware)."""
    found = request.get(_SESSION)
    signed = found.signed if found else None
    return {"request": request, "csrf_token": signed.csrf_token if signed else ""}


async def stream_sign_in(request: web.Request) -> StreamSignIn | None:
    """The event stream's sign-in by the session cookie; the stream asks again now and then
    whether the session is still live (sign-out elsewhere ends it)."""
    signed = await current_session(request)
    if signed is None:
        return None
    services = request.app[SERVICES]
    secret = signed.secret

    async def still_valid() -> bool:
        policy = session_policy(services.settings)
        return await session_alive(services.storage, secret, utcnow(), policy)

    return StreamSignIn(signed.manager, still_valid)


def forget_session(request: web.Request) -> None:
    """After sign-out: the request no longer counts as signed in."""
    request[_SESSION] = _Found(None)
