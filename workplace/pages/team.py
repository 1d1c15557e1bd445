"""Команда: the head's panel of every active manager's load, speed and duty (heads only)."""

from __future__ import annotations

from aiohttp import web

from crm_core.access import listing_scope
from crm_core.model import Manager
from crm_core.team_panel import team_panel
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.pages.deals_board import money
from workplace.pages.shared import render
from workplace.viewer import viewer

SECTION = "/team"
HEADS_ONLY = "Раздел «Команда» доступен только руководителю отдела продаж."


async def page(request: web.Request) -> web.StreamResponse:
    """The team panel; a manager who sees only their own records gets a 403 page."""
    me = await viewer(request)
    if not sees_the_team(me):
        return heads_only(request, me, HEADS_ONLY)
    services = request.app[SERVICES]
    async with services.storage.reader() as uow:
        panel = await team_panel(uow, services.sales.team, utcnow())
    context = {"panel": panel, "take_time": take_time, "money": money}
    return render(request, "team.html", me, context, section=SECTION)


def sees_the_team(me: Manager) -> bool:
    """Whether the viewer's listings span everyone's records (the access rule for listings and
    reports), and so the team's."""
    return listing_scope(me) is None


def heads_only(request: web.Request, me: Manager, message: str) -> web.Response:
    """The 403 page for a section that is the head's."""
    return render(request, "team_forbidden.html", me, {"message": message}, status=403)


def take_time(seconds: float | None) -> str:
    """`45 с`, `12 мин`, `1 ч 5 мин`, `2 дн 3 ч`; a dash without taken leads."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{total} с"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"
    days, hours = divmod(hours, 24)
    return f"{days} дн {hours} ч" if hours else f"{days} дн"
