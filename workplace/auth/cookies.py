"""The cookies of the workplace: the session, and the sign-in form's CSRF token."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from config import Settings

SESSION_COOKIE = "leadintake_session"
LOGIN_CSRF_COOKIE = "leadintake_login_csrf"
LOGIN_CSRF_LIFETIME = timedelta(hours=2)


def is_secure(settings: Settings) -> bool:
    """Cookies are sent over https only when the service is published over https."""
    return settings.http.public_url.lower().startswith("https://")


def set_cookie(
    response: web.StreamResponse,
    settings: Settings,
    name: str,
    value: str,
    max_age: timedelta,
) -> None:
    """An HttpOnly, SameSite=Lax cookie for the whole site (Secure under https)."""
    response.set_cookie(
        name,
        value,
        max_age=int(max_age.total_seconds()),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_secure(settings),
    )


def clear_cookie(response: web.StreamResponse, settings: Settings, name: str) -> None:
    """Tell the browser to forget a cookie."""
    response.del_cookie(name, path="/", httponly=True, samesite="Lax", secure=is_secure(settings))
