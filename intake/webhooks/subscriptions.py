"""A head's webhook subscriptions: checked once here for the API and the settings page alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from config import Settings
from crm_core.storage import Storage
from crm_core.webhooks import (
    Delivery,
    DeliveryStatus,
    EventType,
    NewSubscription,
    Subscription,
)
from intake.clock import utcnow
from intake.webhooks.signing import new_secret
from intake.webhooks.targets import TargetRefused, check_url

SECRET_MIN = 16
SECRET_MAX = 200
EVENT_TYPES = tuple(e.value for e in EventType)


class SubscriptionInvalid(Exception):
    """A value of a subscription is not allowed; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Created:
    """A new subscription and its secret, shown this once."""

    subscription: Subscription
    secret: str


def parse_subscription(
    body: Mapping[str, Any], settings: Settings, *, secret_required: bool = False
) -> NewSubscription:
    """The subscription a body asks for (secret "" when not given), or SubscriptionInvalid."""
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise SubscriptionInvalid("url", "required, an http(s) URL")
    try:
        url = check_url(url, allow_private=settings.webhooks.allow_private_targets)
    except TargetRefused as err:
        raise SubscriptionInvalid("url", str(err)) from err
    events = _events(body.get("events"))
    secret = body.get("secret")
    if secret is None or secret == "":
        if secret_required:
            raise SubscriptionInvalid("secret", "required")
        secret = ""
    elif not isinstance(secret, str) or not SECRET_MIN <= len(secret.strip()) <= SECRET_MAX:
        raise SubscriptionInvalid(
            "secret", f"must be a string of {SECRET_MIN} to {SECRET_MAX} characters"
        )
    queue = _key(body.get("queue"), "queue", {q.key for q in settings.queues})
    pipeline = _key(body.get("pipeline"), "pipeline", {p.key for p in settings.pipelines})
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise SubscriptionInvalid("active", "must be true or false")
    return NewSubscription(url, events, secret.strip(), queue, pipeline, active)


def _events(raw: object) -> tuple[EventType, ...]:
    if not isinstance(raw, list) or not raw:
        raise SubscriptionInvalid("events", "required, a non-empty list of event types")
    found: list[EventType] = []
    for index, value in enumerate(raw):
        if not isinstance(value, str) or value.strip() not in EVENT_TYPES:
            raise SubscriptionInvalid(
                f"events[{index}]", "must be one of: " + ", ".join(EVENT_TYPES)
            )
        event = EventType(value.strip())
        if event not in found:
            found.append(event)
    return tuple(found)


def _key(raw: object, field: str, known: set[str]) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw.strip() not in known:
        raise SubscriptionInvalid(field, f"must be one of: {', '.join(sorted(known)) or 'none'}")
    return raw.strip()


async def create_subscription(storage: Storage, new: NewSubscription, actor: str) -> Created:
    """Store a subscription, generating its secret when none was given."""
    secret = new.secret or new_secret()
    async with storage.transaction() as uow:
        stored = await uow.webhooks.add_subscription(
            NewSubscription(new.url, new.events, secret, new.queue, new.pipeline, new.active),
            actor,
            utcnow(),
        )
    return Created(stored, secret)


async def update_subscription(
    storage: Storage, subscription_id: int, new: NewSubscription
) -> Subscription | None:
    """Replace a subscription's settings (its secret stays unless a new one is given)."""
    async with storage.transaction() as uow:
        current = await uow.webhooks.subscription(subscription_id)
        secret = new.secret or await uow.webhooks.secret(subscription_id)
        if current is None or current.connector is not None or secret is None:
            return None
        changed = NewSubscription(new.url, new.events, secret, new.queue, new.pipeline, new.active)
        return await uow.webhooks.update_subscription(subscription_id, changed, utcnow())


async def set_active(storage: Storage, subscription_id: int, active: bool) -> Subscription | None:
    """Enable or disable a subscription, its other settings as they are."""
    async with storage.transaction() as uow:
        current = await uow.webhooks.subscription(subscription_id)
        secret = await uow.webhooks.secret(subscription_id)
        if current is None or current.connector is not None or secret is None:
            return None
        same = NewSubscription(
            current.url, current.events, secret, current.queue, current.pipeline, active
        )
        return await uow.webhooks.update_subscription(subscription_id, same, utcnow())


async def delete_subscription(storage: Storage, subscription_id: int) -> bool:
    """Remove a subscription with its delivery log (not a CRM connector)."""
    async with storage.transaction() as uow:
        current = await uow.webhooks.subscription(subscription_id)
        if current is None or current.connector is not None:
            return False
        return await uow.webhooks.delete_subscription(subscription_id)


async def list_subscriptions(storage: Storage) -> list[Subscription]:
    """Every subscription (CRM connectors are listed with the connectors)."""
    async with storage.reader() as uow:
        return [s for s in await uow.webhooks.subscriptions() if s.connector is None]


async def get_subscription(storage: Storage, subscription_id: int) -> Subscription | None:
    """One subscription (None for a CRM connector)."""
    async with storage.reader() as uow:
        found = await uow.webhooks.subscription(subscription_id)
    return found if found is not None and found.connector is None else None


async def deliveries(
    storage: Storage,
    subscription_id: int,
    status: DeliveryStatus | None,
    limit: int,
    before_id: int | None = None,
) -> list[Delivery]:
    """A subscription's delivery log, newest first."""
    async with storage.reader() as uow:
        return await uow.webhooks.deliveries(subscription_id, status, limit, before_id)


async def replay(
    storage: Storage, subscription_id: int, delivery_ids: Sequence[int] | None
) -> int:
    """Send deliveries again (None: every dead letter); returns how many were queued."""
    async with storage.transaction() as uow:
        return await uow.webhooks.replay(subscription_id, delivery_ids, utcnow())


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    """A subscription as the API shows it (never its secret)."""
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": [e.value for e in subscription.events],
        "queue": subscription.queue,
        "pipeline": subscription.pipeline,
        "active": subscription.active,
        "disabled_reason": subscription.disabled_reason,
        "created_by": subscription.created_by,
        "created_at": subscription.created_at.isoformat(),
        "updated_at": subscription.updated_at.isoformat(),
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    """A delivery as the log shows it."""

    def stamp(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": delivery.id,
        "webhook_id": delivery.message_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at.isoformat(),
        "next_attempt_at": stamp(delivery.next_attempt_at)
        if delivery.status is DeliveryStatus.PENDING
        else None,
        "last_attempt_at": stamp(delivery.last_attempt_at),
        "delivered_at": stamp(delivery.delivered_at),
        "response_status": delivery.response_status,
        "response_body": delivery.response_body,
        "latency_ms": delivery.latency_ms,
        "last_error": delivery.last_error,
    }
