"""The contact card and the company card: every field, their leads and deals, the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from crm_core.access import may_see
from crm_core.holders import company_holders, contact_holders, deal_holders, lead_holders
from crm_core.ingest import SYSTEM_ACTOR
from crm_core.model import Lead, LeadFilter, Manager
from crm_core.replies_model import OutgoingMessage
from crm_core.sales import Deal, RecordKind
from crm_core.storage.ports import UnitOfWork
from intake.http.keys import SERVICES
from intake.replies.wiring import unavailable_accounts
from workplace.pages.merge import card_notice
from workplace.pages.replies import load_replies
from workplace.pages.shared import not_found, path_id, render
from workplace.pages.timeline import TimelineFile, TimelineItem, activity_item
from workplace.viewer import viewer

# The card lists a client's newest leads; older ones stay in the API's listing.
LEAD_LIMIT = 50
SECTION = "/clients"
# What the system itself recorded (a job change) is signed as the timeline signs it elsewhere.
SYSTEM_NAME = "система"


async def contact_page(request: web.Request) -> web.StreamResponse:
    """One contact (404 for a contact the viewer may not see, as in the API)."""
    me = await viewer(request)
    contact_id = path_id(request, "contact_id")
    context = await contact_context(request, me, contact_id) if contact_id else None
    if context is None:
        return not_found(request, me)
    return render(request, "contact_card.html", me, context, section=SECTION)


async def contact_context(
    request: web.Request, me: Manager, contact_id: int
) -> dict[str, Any] | None:
    """Everything the contact card shows; None for a contact the viewer may not see."""
    settings = request.app[SERVICES].settings
    async with request.app[SERVICES].storage.reader() as uow:
        contact = await uow.identity.get_contact(contact_id)
        if contact is None or not may_see(me, await contact_holders(uow, contact)):
            return None
        company = (
            await uow.identity.get_company(contact.company_id) if contact.company_id else None
        )
        leads = await uow.leads.list(LeadFilter(contact_id=contact.id), LEAD_LIMIT, None)
        replies = await load_replies(
            uow, me, RecordKind.CONTACT, contact.id, unavailable_accounts(settings)
        )
        context = await _records(
            uow, me, leads, RecordKind.CONTACT, contact.id, replies["outgoing"], replies["files"]
        )
        context["merging"] = await card_notice(uow, me, contact, dict(request.query))
        context["past_companies"] = await uow.identity.past_companies(contact.id)
    newest = leads[0].data.contact if leads else None
    context.update(contact=contact, company=company, newest=newest, stages=_stage_names(request))
    context["reply"] = replies["reply"]
    return context


async def company_page(request: web.Request) -> web.StreamResponse:
    """One company with the contacts the viewer may see, their leads and deals (404 for a
    company the viewer may not see, as in the API)."""
    me = await viewer(request)
    company_id = path_id(request, "company_id")
    async with request.app[SERVICES].storage.reader() as uow:
        company = await uow.identity.get_company(company_id) if company_id else None
        if company is None or not may_see(me, await company_holders(uow, company)):
            return not_found(request, me)
        contacts = [
            c
            for c in await uow.identity.company_contacts(company.id, LEAD_LIMIT)
            if may_see(me, await contact_holders(uow, c))
        ]
        leads: list[Lead] = []
        for c in contacts:
            leads += await uow.leads.list(LeadFilter(contact_id=c.id), LEAD_LIMIT, None)
        leads = sorted(leads, key=lambda lead: lead.id, reverse=True)[:LEAD_LIMIT]
        context = await _records(uow, me, leads, RecordKind.COMPANY, company.id)
    context.update(company=company, contacts=contacts, stages=_stage_names(request))
    return render(request, "contact_card_company.html", me, context, section=SECTION)


async def _records(
    uow: UnitOfWork,
    me: Manager,
    leads: list[Lead],
    entity: RecordKind,
    entity_id: int,
    outgoing: Mapping[int, OutgoingMessage] | None = None,
    files: Mapping[int, tuple[TimelineFile, ...]] | None = None,
) -> dict[str, Any]:
    """The leads and deals the viewer may see, owner names and the record's timeline."""
    deals: list[Deal] = []
    for deal_id in dict.fromkeys(lead.deal_id for lead in leads if lead.deal_id):
        deal = await uow.sales.get_deal(deal_id)
        if deal is not None and may_see(me, deal_holders(deal)):
            deals.append(deal)
    managers = await uow.managers.list()
    names = {m.id: m.name for m in managers}
    tasks = await uow.sales.tasks_of(entity, entity_id)
    activities = await uow.sales.activities_of(entity, entity_id)
    timeline = [
        activity_item(
            a,
            SYSTEM_NAME if a.actor == SYSTEM_ACTOR else a.actor,
            (outgoing or {}).get(a.id),
            (files or {}).get(a.id, ()),
        )
        for a in activities
    ] + [
        TimelineItem(
            t.due_at, "task", t.title, names.get(t.assignee_id or 0, ""), t.done_at is not None
        )
        for t in tasks
    ]
    timeline.sort(key=lambda item: item.at, reverse=True)
    return {
        "leads": [lead for lead in leads if may_see(me, lead_holders(lead))],
        "hidden_leads": sum(1 for lead in leads if not may_see(me, lead_holders(lead))),
        "deals": deals,
        "owners": names,
        "timeline": timeline,
    }


def _stage_names(request: web.Request) -> dict[tuple[str, str], str]:
    """(pipeline, stage key) → the stage's name, for the deals list."""
    pipelines = request.app[SERVICES].sales.pipelines
    return {(p.key, s.key): s.name for p in pipelines.values() for s in p.stages}
