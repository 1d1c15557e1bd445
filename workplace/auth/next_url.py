"""Where to go after signing in: only a path of this site, never another site."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

DEFAULT_NEXT = "/"
MAX_NEXT_LENGTH = 2000


def safe_next(value: str | None) -> str:
    """`value` when it is a relative path on this site, else "/".

    Refused: absolute URLs (`https://evil`), scheme-relative ones (`//evil`, which browsers
    also read from `/\\evil`), any backslash or control character, and the sign-in pages.
    """
    if not value or len(value) > MAX_NEXT_LENGTH:
        return DEFAULT_NEXT
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    if parts.path in ("/login", "/logout"):
        return DEFAULT_NEXT
    return value


def login_url(next_path: str | None) -> str:
    """The sign-in page, coming back to `next_path` afterwards."""
    target = safe_next(next_path)
    if target == DEFAULT_NEXT:
        return "/login"
    return "/login?next=" + quote(target, safe="/")
