"""What the inbound use cases consult besides the unit of work: the region, the duplicate
detector, the routes of sources, the call rules and the sales process's hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from crm_core.calls import CallSummary
from crm_core.conversation import Conversation, IncomingMessage
from crm_core.inbound.call_rules import CallRules
from crm_core.model import Lead
from crm_core.storage.ports import UnitOfWork
from dedupe.detector import Detector


@dataclass(frozen=True, slots=True)
class Route:
    """Which lead flow and deal pipeline a source feeds."""

    queue: str | None
    pipeline: str | None


# (channel, source) → the route of the records that source feeds.
RouteResolver = Callable[[str, str], Route]
# Assigns a freshly matched lead to a manager (and queues their notifications).
LeadRouter = Callable[[UnitOfWork, Lead, datetime], Awaitable[object]]
# (uow, lead, manager id, now): assign a new call's lead to who answered the call.
AnsweredAssigner = Callable[[UnitOfWork, Lead, int, datetime], Awaitable[object]]
# Tells a conversation's owner about a message logged on it (activity id given).
MessageNotifier = Callable[
    [UnitOfWork, Conversation, IncomingMessage, int, datetime], Awaitable[object]
]
# Tells the owner of a client's open lead or deal that the client is calling right now.
RingNotifier = Callable[[UnitOfWork, Conversation, CallSummary, datetime], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class SalesHooks:
    """What the sales process does with inbound records; a missing hook is skipped."""

    route: LeadRouter | None = None
    assign_answered: AnsweredAssigner | None = None
    notify_message: MessageNotifier | None = None
    notify_ringing: RingNotifier | None = None


@dataclass(frozen=True, slots=True)
class InboundSetup:
    """The inbound use cases' configuration and collaborators."""

    resolve_route: RouteResolver
    region: str
    detector: Detector = field(default_factory=Detector)
    hooks: SalesHooks = field(default_factory=SalesHooks)
    call_rules: CallRules = field(default_factory=CallRules)
