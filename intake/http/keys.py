"""Typed keys for application and request state."""

from __future__ import annotations

from aiohttp import web

from crm_core.model import Manager
from intake.bootstrap import Services
from intake.telegram_polling import TelegramPoller

SERVICES = web.AppKey("services", Services)
TELEGRAM_POLLERS = web.AppKey("telegram_pollers", dict[str, TelegramPoller])
CURRENT_MANAGER = web.RequestKey("manager", Manager)


def current_manager(request: web.Request) -> Manager:
    """The manager authenticated for this request (set by `require_manager`)."""
    return request[CURRENT_MANAGER]
