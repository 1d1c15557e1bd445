"""Who would get a lead from a form, a channel or a queue right now, and why.

A dry run of routing: the queue is picked by `sales_setup.lead_route` and the manager by
`crm_core.routing.preview_queue`, the code a real lead goes through, and nothing is written.
The answer is for a new client (the owner of a known client would take their own lead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from channels.avito.const import CHANNEL as AVITO
from channels.email.const import CHANNEL as EMAIL
from channels.telegram.const import CHANNEL as TELEGRAM
from channels.telephony.model import CHANNEL as CALL
from channels.vk.const import CHANNEL as VK
from channels.webform.const import CHANNEL as WEBFORM
from crm_core.assignment import Queue
from crm_core.errors import NotFound, RuleError
from crm_core.routing import MemberState, QueuePreview, preview_queue
from intake.bootstrap import Services, load_team
from intake.clock import utcnow
from intake.sales_setup import LeadRoute, RoutedBy, lead_route

# Every channel a lead comes from, with the name a head reads.
CHANNEL_NAMES = {
    WEBFORM: "Форма на сайте",
    TELEGRAM: "Telegram",
    VK: "ВКонтакте",
    EMAIL: "E-mail",
    CALL: "Звонок",
    AVITO: "Авито",
}


@dataclass(frozen=True, slots=True)
class RoutePreview:
    """The queue a lead would enter and why, and who in it would get the lead."""

    queue: Queue | None
    routed_by: RoutedBy | None  # None: the queue was asked for by its key
    route_reason: str
    preview: QueuePreview
    logins: dict[int, str]
    names: dict[int, str]
    at: datetime

    def who(self, manager_id: int) -> tuple[str, str]:
        """A manager's login and name."""
        return (
            self.logins.get(manager_id, str(manager_id)),
            self.names.get(manager_id, str(manager_id)),
        )


async def preview_of_queue(services: Services, key: str, *, reload: bool = True) -> RoutePreview:
    """The next lead of this queue (NotFound naming `key` when there is none)."""
    if reload:  # what another process changed a moment ago counts too
        await load_team(services)
    queue = services.sales.queues.get(key)
    if queue is None:
        raise NotFound("key", f"no queue {key!r}")
    return await _preview(services, queue, None, f"очередь «{queue.name}»")


async def preview_of_form(services: Services, form: str, *, reload: bool = True) -> RoutePreview:
    """The next lead from a website form (NotFound naming `form` when there is none)."""
    if reload:  # what another process changed a moment ago counts too
        await load_team(services)
    configured = services.sales.settings.form(form)
    if configured is None:
        raise NotFound("form", f"no form {form!r}")
    route = lead_route(services.sales.settings, WEBFORM, form)
    return await _routed(services, route, f"форма «{configured.name}»")


async def preview_of_channel(
    services: Services, channel: str, source: str = "", *, reload: bool = True
) -> RoutePreview:
    """The next lead from a channel (or one source of it: a Telegram bot, a VK community);
    422 naming `channel` for an unknown channel."""
    if channel not in CHANNEL_NAMES:
        raise RuleError(
            "invalid_field",
            "channel",
            f"unknown channel {channel!r}: one of {', '.join(CHANNEL_NAMES)}",
            422,
        )
    if reload:  # what another process changed a moment ago counts too
        await load_team(services)
    route = lead_route(services.sales.settings, channel, source)
    what = f"канал «{CHANNEL_NAMES[channel]}»"
    if route.routed_by is RoutedBy.SOURCE:
        what = f"источник «{source}» канала «{CHANNEL_NAMES[channel]}»"
    elif route.form is not None:
        form = services.sales.settings.form(route.form)
        what = f"форма «{form.name if form else route.form}»"
    return await _routed(services, route, what)


async def _routed(services: Services, route: LeadRoute, what: str) -> RoutePreview:
    queue = services.sales.queues.get(route.queue) if route.queue is not None else None
    if queue is None:
        reason = "очередей нет: заявка ждёт в общем списке"
        return await _preview(services, None, route.routed_by, reason)
    reason = {
        RoutedBy.SOURCE: f"{what} направляет заявки в очередь «{queue.name}»",
        RoutedBy.FORM: f"{what} направляет заявки в очередь «{queue.name}»",
        RoutedBy.CHANNEL: f"{what}: канал закреплён за очередью «{queue.name}»",
        RoutedBy.FIRST_QUEUE: f"{what}: своей очереди нет, заявка идёт в первую очередь"
        f" «{queue.name}»",
    }.get(route.routed_by, f"очередь «{queue.name}»")
    return await _preview(services, queue, route.routed_by, reason)


async def _preview(
    services: Services, queue: Queue | None, routed_by: RoutedBy | None, reason: str
) -> RoutePreview:
    now = utcnow()
    team = services.sales.team
    async with services.storage.reader() as uow:
        preview = await preview_queue(uow, queue, team, now)
    logins = {m.id: m.login for m in team.managers.values()}
    names = {m.id: m.name for m in team.managers.values()}
    return RoutePreview(queue, routed_by, reason, preview, logins, names, now)


def member_state(member: MemberState) -> str:
    """A member's state in Russian: the first thing that keeps them from a lead."""
    if not member.active:
        return "неактивен"
    if member.absent:
        return "отсутствует"
    if not member.on_duty:
        return "вне смены"
    if member.at_capacity:
        return "лимит на сегодня исчерпан"
    return "на смене"
