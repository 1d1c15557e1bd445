"""Browser-side walls for the workplace's pages: no framing, no foreign scripts, no leaks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from workplace.auth.session import is_workplace_path

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Scripts only from our own static files (no inline script, no eval); htmx adds its
# indicator style inline, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self';"
    " base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Links out of a card must not carry a lead's URL (ids only, but still ours) elsewhere.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def security_headers_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Add the page headers to every workplace response (the API keeps its own)."""
    try:
        response = await handler(request)
    except web.HTTPException as answer:
        if is_workplace_path(request.path):
            answer.headers.update(PAGE_HEADERS)
        raise
    if is_workplace_path(request.path) and not response.prepared:
        response.headers.update(PAGE_HEADERS)
    return response
