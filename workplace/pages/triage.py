"""Входящие: the viewer's new leads, urgent first, then by the deadline to take them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm_core.access import listing_scope
from crm_core.model import Lead, Manager
from crm_core.storage import Storage
from intake.http.keys import SERVICES
from workplace.pages.shared import is_urgent, junk_reasons, render, source_names
from workplace.viewer import viewer

# A triage list longer than this is a queue problem, not a page problem.
TRIAGE_LIMIT = 100


async def page(request: web.Request) -> web.StreamResponse:
    """The triage page; `?fragment=list` is only its list, which the page re-reads when the
    event stream says a lead arrived or left (see workplace.js)."""
    me = await viewer(request)
    leads, total, managers = await triage_leads(request.app[SERVICES].storage, me)
    context = {
        "leads": leads,
        "total": total,
        **row_context(request, me, managers),
    }
    if request.query.get("fragment") == "list":
        response = render(request, "_triage_list.html", me, context, section="/")
        response.headers["Cache-Control"] = "no-store"
        return response
    return render(request, "triage.html", me, context, section="/")


async def triage_leads(storage: Storage, me: Manager) -> tuple[list[Lead], int, list[Manager]]:
    """The first new leads the viewer may see (the same listing rule as the API) in triage
    order, how many there are in all, and the team (three queries)."""
    scope = listing_scope(me)
    async with storage.reader() as uow:
        leads, total = await uow.leads.triage(scope.login if scope else None, TRIAGE_LIMIT)
        managers = await uow.managers.list()
    return sorted(leads, key=triage_order), total, managers


def triage_order(lead: Lead) -> tuple[bool, bool, str, int]:
    """Urgent first, then the nearest deadline to take, then the oldest."""
    deadline = lead.accept_by.isoformat() if lead.accept_by else ""
    return (not is_urgent(lead), lead.accept_by is None, deadline, lead.id)


def row_context(request: web.Request, me: Manager, managers: list[Manager]) -> dict[str, Any]:
    """What a triage row needs besides its lead: reasons, the team, names by login."""
    return {
        "reasons": junk_reasons(request),
        "team": sorted((m for m in managers if m.active), key=lambda m: m.name),
        "names": {m.login: m.name for m in managers},
        "sources": source_names(request),
    }
