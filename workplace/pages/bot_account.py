"""«Рабочий бот в Telegram» on /account: whether the manager's Telegram is linked to the
managers' bot, a one-time deep link to link it, and unlinking (the CLI's
`leadintake user telegram-link|telegram-unlink`, for oneself)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from crm_core.bot_links import linked_since
from crm_core.errors import NotFound
from crm_core.model import Manager
from intake.bootstrap import Services, load_team
from intake.http.keys import SERVICES
from workplace.auth.session import template_context
from workplace.bot.account import (
    BotNotConfigured,
    BotUnavailable,
    telegram_link,
    telegram_unlink,
)
from workplace.pages.shared import local_time
from workplace.viewer import viewer

LINK_FAILED = "Не удалось получить ссылку: бот не отвечает. Попробуйте позже."


@dataclass(frozen=True, slots=True)
class BotPanel:
    """What the panel shows: since when the bot is linked (local time), or a fresh link."""

    linked_since: str | None
    link: str | None = None
    error: str | None = None


async def bot_panel(services: Services, manager: Manager) -> BotPanel | None:
    """The panel for the manager; None when the managers' bot is not configured."""
    if not services.settings.manager_bot.enabled:
        return None
    async with services.storage.reader() as uow:
        since = await linked_since(uow, manager.id)
    return BotPanel(local_time(since, manager.timezone) if since else None)


async def link(request: web.Request) -> web.StreamResponse:
    """«Получить ссылку»: the account page with a new one-time deep link to the bot."""
    me = await viewer(request)
    services = request.app[SERVICES]
    panel = await bot_panel(services, me)
    if panel is None:
        raise web.HTTPSeeOther("/account")
    try:
        url = await telegram_link(services.storage, services.settings.manager_bot, me.login)
        panel = BotPanel(panel.linked_since, link=url)
    except (BotNotConfigured, BotUnavailable, NotFound):
        panel = BotPanel(panel.linked_since, error=LINK_FAILED)
    response = aiohttp_jinja2.render_template(
        "account.html", request, account_context(request, me, panel)
    )
    response.headers["Cache-Control"] = "no-store"  # the link opens the account once
    return response


async def unlink(request: web.Request) -> web.StreamResponse:
    """«Отключить»: unbind the manager's Telegram account, back to the account page."""
    me = await viewer(request)
    services = request.app[SERVICES]
    if await telegram_unlink(services.storage, me.login):
        await load_team(services)  # notifications stop going to that chat
    raise web.HTTPSeeOther("/account")


def account_context(request: web.Request, me: Manager, panel: BotPanel | None) -> dict[str, Any]:
    """The account page's template context."""
    return {"manager": me, "bot": panel, **template_context(request)}
