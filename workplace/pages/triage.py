"""Входящие: the viewer's new leads, urgent first, then by the deadline to take them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm_core.access import listing_scope
from crm_core.model import Lead, LeadFilter, LeadStatus, Manager
from crm_core.storage import Storage
from intake.http.keys import SERVICES
from workplace.pages.shared import is_urgent, junk_reasons, render, source_names
from workplace.viewer import viewer

# A triage list longer than this is a queue problem, not a page problem.
TRIAGE_LIMIT = 300


async def page(request: web.Request) -> web.StreamResponse:
    """The triage page; `?fragment=list` is only its list, which the page re-reads when the
    event stream says a lead arrived or left (see workplace.js)."""
    me = await viewer(request)
    leads, managers = await triage_leads(request.app[SERVICES].storage, me)
    context = {
        "leads": leads,
        **row_context(request, me, managers),
    }
    if request.query.get("fragment") == "list":
        response = render(request, "_triage_list.html", me, context, section="/")
        response.headers["Cache-Control"] = "no-store"
        return response
    return render(request, "triage.html", me, context, section="/")


async def triage_leads(storage: Storage, me: Manager) -> tuple[list[Lead], list[Manager]]:
    """New leads the viewer may see (the same listing rule as the API), in triage order, and
    the team (two queries)."""
    scope = listing_scope(me)
    where = LeadFilter(status=LeadStatus.NEW, visible_to=scope.login if scope else None)
    async with storage.reader() as uow:
        leads = await uow.leads.list(where, TRIAGE_LIMIT, None)
        managers = await uow.managers.list()
    return sorted(leads, key=triage_order), managers


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
