"""Sections that arrive in a later version: the menu works, the page says so."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from workplace.pages.shared import render
from workplace.viewer import viewer

# Path → title of a section whose page is still to come: the menu and tabs work, the page
# says so.
SECTIONS: dict[str, str] = {}


def page(title: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler that shows the section's title and that it is coming."""

    async def handler(request: web.Request) -> web.StreamResponse:
        me = await viewer(request)
        return render(request, "placeholder.html", me, {"title": title}, section=request.path)

    return handler


async def settings_home(request: web.Request) -> web.StreamResponse:
    """The settings section opens on its first tab, the managers."""
    raise web.HTTPSeeOther("/settings/managers")
