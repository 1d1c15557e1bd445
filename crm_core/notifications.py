"""Manager notifications: what is queued in the outbox and the port that drains it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class NotificationChannel(StrEnum):
    """How a notification reaches its manager."""

    TELEGRAM = "telegram"
    EMAIL = "email"
    SSE = "sse"


class NotificationKind(StrEnum):
    """What a notification is about (the text is rendered from kind + payload)."""

    LEAD_ASSIGNED = "lead_assigned"
    LEAD_HANDED_OVER = "lead_handed_over"
    REPEAT_REQUEST = "repeat_request"
    LOST_APPROVAL_REQUESTED = "lost_approval_requested"
    TASK_DUE = "task_due"
    NEW_MESSAGE = "new_message"
    CLIENT_CALLED = "client_called"
    INCOMING_CALL = "incoming_call"
    CHANNEL_FAILING = "channel_failing"
    CHANNEL_RECOVERED = "channel_recovered"
    INTAKE_PARKED = "intake_parked"
    CONNECTOR_FAILING = "connector_failing"
    CONNECTOR_RECOVERED = "connector_recovered"
    # In-app only: a new lead was taken, junked, reassigned, converted or handed over, so the
    # Входящие lists that showed it refresh (payload: lead_id, status, assignee_id only).
    LEAD_UPDATED = "lead_updated"
    # Managers' bot only: a lead's card in a manager's chat is out of date (taken by someone,
    # junked, reassigned, converted, handed over), so its text says so and its buttons go
    # (payload: lead_id, message_id, card, status, assignee, actor, reason).
    LEAD_CARD_CLOSED = "lead_card_closed"


@dataclass(frozen=True, slots=True)
class NewNotification:
    """A notification to enqueue; `dedupe_key` makes enqueueing it twice a no-op."""

    manager_id: int
    channel: NotificationChannel
    kind: NotificationKind
    address: str  # Telegram chat id, e-mail address, or the manager id for SSE
    payload: dict[str, Any]
    dedupe_key: str


class Reachable(Protocol):
    """A staff member as notifications see them: id and the ways to reach them."""

    @property
    def id(self) -> int:
        """Database id (the in-app stream's address)."""

    @property
    def telegram_chat_id(self) -> str | None:
        """Telegram chat with the notification bot, if linked."""

    @property
    def email(self) -> str | None:
        """E-mail address, if known."""


def notifications_for(
    manager: Reachable,
    kind: NotificationKind,
    payload: dict[str, Any],
    dedupe_prefix: str,
    enabled: Collection[NotificationChannel],
) -> list[NewNotification]:
    """One notification per way the manager can be reached among the enabled channels (the
    in-app stream always counts); dedupe keys are `<prefix>:<channel>`."""
    targets = [(NotificationChannel.SSE, str(manager.id))]
    if manager.telegram_chat_id:
        targets.append((NotificationChannel.TELEGRAM, manager.telegram_chat_id))
    if manager.email:
        targets.append((NotificationChannel.EMAIL, manager.email))
    return [
        NewNotification(
            manager_id=manager.id,
            channel=channel,
            kind=kind,
            address=address,
            payload=payload,
            dedupe_key=f"{dedupe_prefix}:{channel.value}",
        )
        for channel, address in targets
        if channel in enabled
    ]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A queued notification as the dispatcher sees it."""

    id: int
    manager_id: int
    channel: NotificationChannel
    kind: NotificationKind
    address: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None = field(default=None)


class OutboxPort(Protocol):
    """Durable notification outbox (implemented in crm_core.storage)."""

    async def enqueue(self, items: Sequence[NewNotification], now: datetime) -> list[int]:
        """Store notifications (ignoring dedupe keys already stored); returns new ids."""
        ...

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[OutboxMessage]:
        """Pending messages due by `now`, leased until `lease_until` so no other worker sends."""
        ...

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        """The message was delivered; it is never sent again."""
        ...

    async def mark_retry(
        self, message_id: int, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        """Delivery failed for a reason that may pass; try again at `next_attempt_at`."""
        ...

    async def mark_failed(self, message_id: int, now: datetime, error: str) -> None:
        """Delivery failed for good (e.g. the chat does not exist); stop trying."""
        ...
