"""What a page shows once after a Post/Redirect/Get: a notice and, at most, one secret (an
invite link, a first password, an API token).

The action that issued the secret answers 303 with a short-lived cookie holding it, signed
with the key the request was signed in by (the session cookie or the bearer token), so only
the same sign-in on the same page reads it. The page that shows it deletes the cookie: a
refresh shows nothing and issues nothing. A cookie rather than server memory, because the
redirected GET may reach another instance sharing the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from intake.http.keys import SERVICES
from workplace.auth.cookies import is_secure
from workplace.auth.session import current_session

FLASH_COOKIE = "leadintake_flash"
# Long enough for the redirect, short enough that a forgotten one does not linger.
FLASH_LIFETIME = timedelta(minutes=2)
# The pages a flash cookie is sent to: the settings reveal secrets; other sections (the
# payments page) pass their own path, so the cookie travels only where it is read.
_PATH = "/settings"


@dataclass(frozen=True, slots=True)
class Secret:
    """Something shown to the head this once (an invite link, a password, a token)."""

    title: str
    value: str
    hint: str


@dataclass(frozen=True, slots=True)
class Flash:
    """A notice and maybe a secret, shown by the next page once."""

    notice: str
    secret: Secret | None = None


async def redirect_with(
    request: web.Request, target: str, flash: Flash, scope: str = _PATH
) -> web.HTTPSeeOther:
    """A 303 to `target` (a path under `scope`) that shows `flash` there once."""
    response = web.HTTPSeeOther(target)
    key = await _key(request)
    payload = {"path": target.split("?", 1)[0], "notice": flash.notice}
    if flash.secret is not None:
        payload |= {
            "title": flash.secret.title,
            "value": flash.secret.value,
            "hint": flash.secret.hint,
        }
    raw = base64.urlsafe_b64encode(json.dumps(payload, ensure_ascii=False).encode()).decode()
    response.set_cookie(
        FLASH_COOKIE,
        f"{raw}.{_sign(key, raw)}",
        max_age=int(FLASH_LIFETIME.total_seconds()),
        path=scope,
        httponly=True,
        samesite="Strict",
        secure=is_secure(request.app[SERVICES].settings),
    )
    return response


async def take_flash(request: web.Request) -> Flash | None:
    """The flash this sign-in left for this page, if any (forged, foreign or elsewhere: None)."""
    cookie = request.cookies.get(FLASH_COOKIE, "")
    raw, _, signature = cookie.partition(".")
    if not raw or not hmac.compare_digest(signature, _sign(await _key(request), raw)):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("path") != request.path:
        return None
    secret = None
    if isinstance(payload.get("value"), str):
        secret = Secret(str(payload.get("title")), payload["value"], str(payload.get("hint")))
    return Flash(str(payload.get("notice") or ""), secret)


def forget_flash(request: web.Request, response: web.StreamResponse, scope: str = _PATH) -> None:
    """The page showed the flash (or had none for it): the browser drops the cookie."""
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(
            FLASH_COOKIE,
            path=scope,
            httponly=True,
            samesite="Strict",
            secure=is_secure(request.app[SERVICES].settings),
        )


async def _key(request: web.Request) -> bytes:
    """The secret this sign-in is proven by: the session cookie's, or the bearer token."""
    signed = await current_session(request)
    if signed is not None and "Authorization" not in request.headers:
        return signed.secret.encode()
    return request.headers.get("Authorization", "").encode()


def _sign(key: bytes, raw: str) -> str:
    return hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()
