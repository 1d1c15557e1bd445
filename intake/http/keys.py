"""Typed keys for application and request state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from crm_core.model import Manager
from intake.bootstrap import Services
from intake.channel_polling import ChannelPoller

SERVICES = web.AppKey("services", Services)
# Pollers of the channels that fetch their events, by "telegram:<bot>" / "vk:<group id>".
CHANNEL_POLLERS = web.AppKey("channel_pollers", Mapping[str, ChannelPoller])
# False under `serve --no-worker`: a `leadintake worker` process drains the inbox.
WORKER_IN_PROCESS = web.AppKey("worker_in_process", bool)
CURRENT_MANAGER = web.RequestKey("manager", Manager)


@dataclass(frozen=True, slots=True)
class StreamSignIn:
    """Who opened an event stream without a token, and how to ask whether they still may
    (a session ended meanwhile closes the stream)."""

    manager: Manager
    still_valid: Callable[[], Awaitable[bool]]


# Who a request without a bearer token signs in as, asked in turn by the event stream
# (the workplace installs its session cookie here, so intake need not import it).
Authenticator = Callable[[web.Request], Awaitable[StreamSignIn | None]]
EVENT_AUTHENTICATORS = web.AppKey("event_authenticators", list[Authenticator])


def current_manager(request: web.Request) -> Manager:
    """The manager authenticated for this request (set by `require_manager`)."""
    return request[CURRENT_MANAGER]
