"""Webhook subscriptions and their deliveries: what use cases record and the sender drains."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from crm_core.sales import Task
from crm_core.webhooks import (
    Attempt,
    ConnectorHealth,
    Delivery,
    DeliveryStatus,
    EventRecorder,
    NewConnector,
    NewSubscription,
    Subscription,
)


class WebhookRepository(EventRecorder, Protocol):
    """Subscriptions, the deliveries queued for them, and their leases and outcomes."""

    async def flush(self) -> int:
        """Write the deliveries of the events recorded in this transaction; returns count."""

    async def add_connector(self, new: NewConnector, actor: str, now: datetime) -> Subscription:
        """Store a CRM connector (a subscription whose secret lives in the environment)."""

    async def update_connector(
        self, subscription_id: int, new: NewConnector, now: datetime
    ) -> Subscription | None:
        """Replace a connector's settings (its kind stays)."""

    async def connector_health(self) -> list[ConnectorHealth]:
        """Every connector's last success and failure and its pending and dead deliveries."""

    async def remote_id(self, subscription_id: int, entity: str, local_id: int) -> str | None:
        """The remote CRM's id of one of our records, as the connector stored it."""

    async def link(
        self, subscription_id: int, entity: str, local_id: int, remote_id: str, now: datetime
    ) -> None:
        """Keep the remote CRM's id of one of our records (the first one stored stays)."""

    async def add_subscription(
        self, new: NewSubscription, actor: str, now: datetime
    ) -> Subscription:
        """Store a subscription."""

    async def update_subscription(
        self, subscription_id: int, new: NewSubscription, now: datetime
    ) -> Subscription | None:
        """Replace a subscription's settings."""

    async def disable(self, subscription_id: int, reason: str, now: datetime) -> None:
        """The service stops delivering to a subscription."""

    async def delete_subscription(self, subscription_id: int) -> bool:
        """Remove a subscription and its deliveries."""

    async def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""

    async def subscription(self, subscription_id: int) -> Subscription | None:
        """One subscription."""

    async def secret(self, subscription_id: int) -> str | None:
        """The signing secret of a subscription."""

    async def claim_due(
        self, subscription_id: int, now: datetime, limit: int, lease_until: datetime
    ) -> list[Delivery]:
        """Due deliveries (each the earliest pending of its entity), leased."""

    async def due_subscriptions(self, now: datetime) -> list[int]:
        """Active subscriptions with a delivery due and not leased."""

    async def mark_delivered(self, delivery_id: int, attempt: Attempt, now: datetime) -> None:
        """The receiver answered 2xx."""

    async def mark_retry(
        self, delivery_id: int, attempt: Attempt, now: datetime, next_attempt_at: datetime
    ) -> None:
        """Try again later."""

    async def mark_dead(self, delivery_id: int, attempt: Attempt, now: datetime) -> None:
        """Give up: a dead letter."""

    async def release(self, delivery_id: int) -> None:
        """Hand back a claimed delivery untried."""

    async def deliveries(
        self,
        subscription_id: int,
        status: DeliveryStatus | None,
        limit: int,
        before_id: int | None = None,
    ) -> list[Delivery]:
        """A subscription's deliveries, newest first."""

    async def delivery(self, subscription_id: int, delivery_id: int) -> Delivery | None:
        """One delivery of a subscription."""

    async def replay(
        self, subscription_id: int, delivery_ids: Sequence[int] | None, now: datetime
    ) -> int:
        """Queue deliveries again (None: every dead letter); returns how many."""

    async def counts(self) -> dict[str, int]:
        """Deliveries per status."""

    async def overdue_tasks(self, now: datetime, since: datetime, limit: int) -> list[Task]:
        """Open tasks that went overdue since `since`, not yet reported (now marked)."""
