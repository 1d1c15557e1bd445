"""Клиенты: one search box for contacts and companies by name, phone, e-mail or INN."""

from __future__ import annotations

from aiohttp import web

from crm_core.client_search import search_clients
from intake.http.keys import SERVICES
from workplace.pages.shared import render
from workplace.viewer import viewer

# A search answers with a page to scan, not the whole base: refine the query for more.
RESULT_LIMIT = 30
SECTION = "/clients"


async def page(request: web.Request) -> web.StreamResponse:
    """The search box and, for a query, the contacts and companies the viewer may see."""
    me = await viewer(request)
    query = (await search_query(request)).strip()[:200]
    context: dict[str, object] = {"query": query, "limit": RESULT_LIMIT, "searched": False}
    if query:
        services = request.app[SERVICES]
        region = services.settings.intake.default_region
        async with services.storage.reader() as uow:
            found = await search_clients(uow, me, query, region, RESULT_LIMIT)
            managers = await uow.managers.list()
        context.update(
            searched=True,
            contacts=found.contacts,
            companies=found.companies,
            owners={m.id: m.name for m in managers},
        )
    return render(request, "clients.html", me, context, section=SECTION)


async def search_query(request: web.Request) -> str:
    """What to search for: the posted form's `q` (the page's own form posts, so a phone or
    e-mail never sits in a URL, the browser's history or a Referer), else `?q=` of a link."""
    if request.method == "POST":
        value = (await request.post()).get("q")
        return value if isinstance(value, str) else ""
    return request.query.get("q", "")
