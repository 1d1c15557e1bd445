"""Tilda's `COOKIES` field: UTM tags from its `TILDAUTM` cookie, every other cookie dropped.

Tilda stores the landing page's UTM parameters in the `TILDAUTM` cookie as
`encodeURIComponent("utm_source=yandex|||utm_medium=cpc|||")` (each value still URL-encoded
as it was in the page's query string) and, when "send cookies" is on, posts every cookie of
the page in one `COOKIES` field. The other cookies are tracking ids (`_ym_uid`, `tildauid`):
they are never stored.
"""

from __future__ import annotations

from urllib.parse import unquote, unquote_plus

from channels.webform.const import UTM_FIELDS
from channels.webform.nested import Pairs

COOKIES_FIELD = "COOKIES"
UTM_COOKIE = "TILDAUTM"
_SEPARATOR = "|||"


def split_cookies(pairs: Pairs) -> tuple[Pairs, dict[str, str]]:
    """The pairs with `COOKIES` reduced to its TILDAUTM cookie, and the UTM tags it holds."""
    kept: Pairs = []
    utm: dict[str, str] = {}
    for name, value in pairs:
        if name.strip().casefold() != COOKIES_FIELD.casefold():
            kept.append((name, value))
            continue
        raw = _cookie(value, UTM_COOKIE)
        if raw is None:
            continue
        kept.append((name, f"{UTM_COOKIE}={raw}"))
        for key, tag in parse_tildautm(raw).items():
            utm.setdefault(key, tag)
    return kept, utm


def parse_tildautm(raw: str) -> dict[str, str]:
    """`utm_source%3Dyandex%7C%7C%7Cutm_medium%3Dcpc%7C%7C%7C` → {"utm_source": "yandex", ...}."""
    tags: dict[str, str] = {}
    for part in unquote(raw).split(_SEPARATOR):
        # Some pages HTML-escape the & between parameters before Tilda sees them.
        key, _, value = part.strip().removeprefix("amp;").partition("=")
        key = key.strip().lower()
        tag = unquote_plus(value).split("#", 1)[0].strip()
        if key in UTM_FIELDS and tag and key not in tags:
            tags[key] = tag
    return tags


def _cookie(header: str, wanted: str) -> str | None:
    for cookie in header.split(";"):
        name, sep, value = cookie.strip().partition("=")
        if sep and name.strip() == wanted and value.strip():
            return value.strip()
    return None
