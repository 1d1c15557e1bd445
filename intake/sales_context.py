"""The configured sales process as the domain sees it, refreshed once managers are stored."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from config import Settings
from crm_core.assignment import Queue
from crm_core.calls import CallSummary
from crm_core.conversation import (
    Conversation,
    IncomingMessage,
    message_notifications,
    ringing_notifications,
)
from crm_core.model import InboxItem, Lead, Manager
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.pipelines import Pipeline
from crm_core.routing import (
    Team,
    assign_answered_call,
    hand_over_lead,
    head_alerts,
    route_lead,
)
from crm_core.sales import AssignmentRecord
from crm_core.schedule import Availability
from crm_core.storage.ports import UnitOfWork
from intake.sales_setup import availability_of, build_pipelines, build_queue, junk_reasons

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SalesContext:
    """Pipelines, junk reasons, queues and the team; queues need the managers' database ids."""

    settings: Settings
    pipelines: dict[str, Pipeline]
    junk_reasons: dict[str, str]
    team: Team = field(default_factory=lambda: Team({}, {}))
    queues: dict[str, Queue] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> SalesContext:
        """Everything that does not depend on the database."""
        return cls(settings, build_pipelines(settings), junk_reasons(settings))

    def refresh(self, managers: Sequence[Manager]) -> None:
        """Rebuild the team and the queues from the stored managers."""
        configured = {m.login: m for m in self.settings.managers}
        availability: dict[int, Availability] = {}
        for manager in managers:
            settings = configured.get(manager.login)
            availability[manager.id] = (
                availability_of(settings)
                if settings is not None
                else Availability.always(manager.timezone)
            )
        notify = self.settings.notifications
        channels = {NotificationChannel.SSE}
        if notify.telegram_enabled or self.settings.manager_bot.enabled:
            channels.add(NotificationChannel.TELEGRAM)
        if notify.email_enabled:
            channels.add(NotificationChannel.EMAIL)
        ringing = {NotificationChannel.SSE}
        if self.settings.manager_bot.enabled:
            ringing.add(NotificationChannel.TELEGRAM)
        self.team = Team(
            {m.id: m for m in managers},
            availability,
            notify.public_url,
            frozenset(channels),
            frozenset(ringing),
        )
        by_login = {m.login: (m.id, m.name) for m in managers}
        self.queues = {
            q.key: build_queue(q, by_login, self.settings) for q in self.settings.queues
        }

    async def route(self, uow: UnitOfWork, lead: Lead, now: datetime) -> AssignmentRecord:
        """Assign a new lead through its queue (the client's own manager first)."""
        return await route_lead(uow, lead, self._queue(lead), self.team, now)

    async def hand_over(self, uow: UnitOfWork, lead: Lead, now: datetime) -> AssignmentRecord:
        """Pass a lead not taken in time to the next manager of its queue."""
        queue = self._queue(lead)
        if queue is None:
            return await route_lead(uow, lead, None, self.team, now)
        return await hand_over_lead(uow, lead, queue, self.team, now)

    async def assign_answered(
        self, uow: UnitOfWork, lead: Lead, manager_id: int, now: datetime
    ) -> AssignmentRecord:
        """Give a call's lead to the manager who answered the call."""
        return await assign_answered_call(uow, lead, manager_id, self._queue(lead), self.team, now)

    def manager_id(self, login: str | None) -> int | None:
        """The database id of a manager by login (None when unknown or not stored yet)."""
        if not login:
            return None
        return next((m.id for m in self.team.managers.values() if m.login == login), None)

    async def notify_ringing(
        self, uow: UnitOfWork, conversation: Conversation, summary: CallSummary, now: datetime
    ) -> None:
        """Show the client's owner who is calling, while the phone rings."""
        wanted = ringing_notifications(self.team, conversation, summary)
        if wanted:
            await uow.outbox.enqueue(wanted, now)

    async def notify_message(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        message: IncomingMessage,
        activity_id: int,
        now: datetime,
    ) -> None:
        """Tell the owner of an open lead or deal that its client wrote again."""
        wanted = message_notifications(self.team, conversation, message, activity_id)
        if wanted:
            await uow.outbox.enqueue(wanted, now)

    async def alert_parked(
        self, uow: UnitOfWork, item: InboxItem, reason: str, now: datetime
    ) -> None:
        """Tell the heads that a stored request could not become a lead and was parked."""
        payload = {
            "channel": item.channel,
            "source": item.source,
            "reason": reason,
            "intake_id": item.id,
        }
        wanted = head_alerts(
            self.team, NotificationKind.INTAKE_PARKED, payload, f"intake:{item.id}:parked"
        )
        if wanted:
            await uow.outbox.enqueue(wanted, now)

    def _queue(self, lead: Lead) -> Queue | None:
        key = lead.data.queue
        if key is None:
            return None
        queue = self.queues.get(key)
        if queue is None:
            log.warning("unknown_queue queue=%s lead_id=%d", key, lead.id)
        return queue
