"""Sections that arrive in a later version: the menu works, the page says so."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from workplace.pages.shared import render
from workplace.viewer import viewer

# Path → menu label; every section has its page now.
SECTIONS: dict[str, str] = {}


def page(title: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler that shows the section's title and that it is coming."""

    async def handler(request: web.Request) -> web.StreamResponse:
        me = await viewer(request)
        return render(request, "placeholder.html", me, {"title": title}, section=request.path)

    return handler
