"""Take, junk, reassign, confirm or reject a match from Входящие or the card; undo a join of
leads from the card.

Each action runs the same crm_core command as the API's route; a refused command comes back
as a Russian message in place of the row or card, never as an error page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from crm_core.access import may_see, may_undo_merge
from crm_core.chains import undo_lead_join
from crm_core.errors import DomainError, NotFound
from crm_core.holders import lead_holders
from crm_core.lifecycle import junk_lead, reassign_lead, take_lead
from crm_core.matching import confirm_match as confirm
from crm_core.matching import reject_match as reject
from crm_core.model import Lead, LeadStatus, Manager
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.lead_card import load_card
from workplace.pages.shared import error_text, junk_reasons, path_id, render
from workplace.pages.triage import row_context
from workplace.viewer import viewer

# (uow, viewer, now) → a Russian sentence saying what was done.
Command = Callable[[UnitOfWork, Manager, datetime], Awaitable[str]]


async def take(request: web.Request) -> web.StreamResponse:
    """Взять в работу (a second click finds the lead already the viewer's: nothing twice)."""

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> str:
        before = await uow.leads.get(lead_id)
        await take_lead(uow, lead_id, me, now)
        if before is not None and before.status is LeadStatus.IN_WORK:
            return "Заявка уже у вас в работе."
        return "Заявка взята в работу."

    lead_id = _lead_id(request)
    return await _act(request, lead_id, command)


async def junk(request: web.Request) -> web.StreamResponse:
    """Брак with one of the configured reasons."""
    form = await request.post()
    reason = str(form.get("reason") or "") or None
    reasons = junk_reasons(request)

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> str:
        await junk_lead(uow, lead_id, me, reason, reasons, now)
        return f"Заявка закрыта как брак: {reasons.get(reason or '', reason)}."

    lead_id = _lead_id(request)
    return await _act(request, lead_id, command)


async def reassign(request: web.Request) -> web.StreamResponse:
    """Передать the lead to another manager (a head, or the lead's own manager)."""
    form = await request.post()
    login = str(form.get("manager") or "")

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> str:
        target = await uow.managers.get_by_login(login)
        if target is None:
            raise DomainError("manager", f"no manager {login!r}")
        await reassign_lead(uow, lead_id, me, target, now)
        return f"Заявка передана: {target.name}."

    lead_id = _lead_id(request)
    return await _act(request, lead_id, command)


async def confirm_match(request: web.Request) -> web.StreamResponse:
    """Это он: the lead is this contact (the API's match confirm)."""
    return await _decide(request, confirm, "Заявка привязана к клиенту.")


async def reject_match(request: web.Request) -> web.StreamResponse:
    """Это другой человек: never propose this contact for the lead again."""
    return await _decide(request, reject, "Отмечено: это другой человек.")


async def _decide(
    request: web.Request,
    decision: Callable[[UnitOfWork, int, int, Manager, str, datetime], Awaitable[object]],
    done: str,
) -> web.StreamResponse:
    form = await request.post()
    raw = str(form.get("contact_id") or "")
    region = request.app[SERVICES].settings.intake.default_region

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> str:
        if not raw.isdecimal():
            raise DomainError("contact_id", "contact_id must be a number")
        await decision(uow, lead_id, int(raw), me, region, now)
        return done

    lead_id = _lead_id(request)
    return await _act(request, lead_id, command)


async def undo_join(request: web.Request) -> web.StreamResponse:
    """Разъединить: a lead joined into this one (or this one, joined into another) is open on
    its own again. A head's action, as undoing a merge is."""
    join_id = path_id(request, "join_id") or 0

    async def command(uow: UnitOfWork, me: Manager, now: datetime) -> str:
        if not may_undo_merge(me):
            raise DomainError("join_id", "only a head of sales can undo joins of leads", 403)
        entry = await uow.leads.get_join(join_id)
        if entry is None or lead_id not in (entry.survivor_id, entry.joined_id):
            raise NotFound("join_id", f"no lead join {join_id} of lead {lead_id}")
        restored = await undo_lead_join(uow, join_id, me.login, now)
        return f"Объединение отменено: заявка №{restored.id} снова отдельная."

    lead_id = _lead_id(request)
    return await _act(request, lead_id, command)


def _lead_id(request: web.Request) -> int:
    return path_id(request, "lead_id") or 0  # no lead has id 0: the command answers NotFound


async def _act(request: web.Request, lead_id: int, command: Command) -> web.StreamResponse:
    """Run the command in one transaction, then answer the row or the card it came from."""
    me = await viewer(request)
    form = await request.post()
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            if lead_id == 0:
                raise NotFound("lead_id", "no such lead")
            message, ok = await command(uow, me, utcnow()), True
    except DomainError as err:
        message, ok = error_text(err), False
    card = form.get("view") == "card"
    if "HX-Request" not in request.headers:  # a plain form post (no JavaScript): back to the page
        raise web.HTTPSeeOther(f"/leads/{lead_id}" if card else "/")
    if card:
        return await _card(request, me, lead_id, message, ok)
    return await _row(request, me, lead_id, message, ok)


async def _row(
    request: web.Request, me: Manager, lead_id: int, message: str, ok: bool
) -> web.StreamResponse:
    """The triage row again (still new and the viewer's to act on) or a closing notice."""
    async with request.app[SERVICES].storage.reader() as uow:
        lead = await uow.leads.get(lead_id)
        managers = await uow.managers.list()
    visible = lead is not None and may_see(me, lead_holders(lead))
    context = {
        "lead": lead if visible else None,
        "lead_id": lead_id,
        "message": message,
        "ok": ok,
        "still_here": visible and _still_in_triage(lead, me),
        **row_context(request, me, managers),
    }
    return render(request, "_lead_row.html", me, context)


def _still_in_triage(lead: Lead | None, me: Manager) -> bool:
    if lead is None or lead.status is not LeadStatus.NEW:
        return False
    return me.is_head or lead.assignee_id == me.id


async def _card(
    request: web.Request, me: Manager, lead_id: int, message: str, ok: bool
) -> web.StreamResponse:
    """The card's body again, with the outcome on top."""
    card = await load_card(request, me, lead_id) or {"lead": None}
    return render(request, "_lead_card_body.html", me, {**card, "message": message, "ok": ok})
