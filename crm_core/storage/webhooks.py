"""Webhook subscriptions and deliveries, implementing crm_core.storage.ports.WebhookRepository."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crm_core.sales import RecordKind, Task
from crm_core.storage.session import (
    Row,
    SqlSession,
    as_datetime,
    as_optional_datetime,
    to_json,
)
from crm_core.webhooks import (
    Attempt,
    ConnectorHealth,
    Delivery,
    DeliveryStatus,
    EventType,
    NewConnector,
    NewSubscription,
    Subscription,
    WebhookEvent,
)

MAX_ERROR_CHARS = 500
SUBSCRIPTION_COLUMNS = (
    "id, url, events, queue, pipeline, active, disabled_reason, created_by, created_at,"
    " updated_at, connector, connector_config"
)
DELIVERY_COLUMNS = (
    "id, subscription_id, message_id, event_id, event_type, entity_key, body, status, attempts,"
    " created_at, next_attempt_at, queued_at, last_attempt_at, delivered_at, response_status,"
    " response_body, latency_ms, last_error"
)
# Rows per INSERT: 10 parameters each stays far below both drivers' parameter limits.
INSERT_CHUNK = 200


class SqlWebhookRepository:
    """Subscriptions, and deliveries leased by one sender at a time.

    Events recorded during a transaction are written by `flush`, which the storage calls
    right before it commits.
    """

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self._recorded: list[WebhookEvent] = []

    def record(self, event: WebhookEvent) -> None:
        """Queue the event; `flush` writes its deliveries in this transaction."""
        self._recorded.append(event)

    async def flush(self) -> int:
        """One delivery per recorded event and matching active subscription; returns count."""
        events, self._recorded = self._recorded, []
        if not events:
            return 0
        subscriptions = [s for s in await self.subscriptions() if s.active]
        rows: list[tuple[Any, ...]] = []
        for event in events:
            wanting = [s for s in subscriptions if s.wants(event)]
            if not wanting:
                continue
            event_id = f"evt_{uuid.uuid4().hex}"
            body = event_body(event_id, event)
            for subscription in wanting:
                rows.append(
                    (
                        subscription.id,
                        f"msg_{uuid.uuid4().hex}",
                        event_id,
                        event.type.value,
                        event.entity_key,
                        body,
                        event.occurred_at,
                    )
                )
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            values = ", ".join(
                f"(${n + 1}, ${n + 2}, ${n + 3}, ${n + 4}, ${n + 5}, ${n + 6}, 'pending', 0,"
                f" ${n + 7}, ${n + 7}, ${n + 7})"
                for n in range(0, 7 * len(chunk), 7)
            )
            await self._s.execute(
                "INSERT INTO webhook_deliveries (subscription_id, message_id, event_id,"
                " event_type, entity_key, body, status, attempts, created_at, next_attempt_at,"
                f" queued_at) VALUES {values}",
                *[value for row in chunk for value in row],
            )
        return len(rows)

    async def add_subscription(
        self, new: NewSubscription, actor: str, now: datetime
    ) -> Subscription:
        """Store a subscription."""
        row = await self._s.fetchrow(
            "INSERT INTO webhook_subscriptions (url, events, secret, queue, pipeline, active,"
            " created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
            f" RETURNING {SUBSCRIPTION_COLUMNS}",
            new.url,
            to_json([e.value for e in new.events]),
            new.secret,
            new.queue,
            new.pipeline,
            new.active,
            actor,
            now,
        )
        assert row is not None
        return _subscription(row)

    async def update_subscription(
        self, subscription_id: int, new: NewSubscription, now: datetime
    ) -> Subscription | None:
        """Replace a subscription's settings (a head enabling it clears why it was disabled)."""
        row = await self._s.fetchrow(
            "UPDATE webhook_subscriptions SET url = $2, events = $3, secret = $4, queue = $5,"
            " pipeline = $6, active = $7, updated_at = $8,"
            " disabled_reason = CASE WHEN $7 THEN NULL ELSE disabled_reason END"
            f" WHERE id = $1 RETURNING {SUBSCRIPTION_COLUMNS}",
            subscription_id,
            new.url,
            to_json([e.value for e in new.events]),
            new.secret,
            new.queue,
            new.pipeline,
            new.active,
            now,
        )
        return _subscription(row) if row else None

    async def disable(self, subscription_id: int, reason: str, now: datetime) -> None:
        """The service stops delivering to a subscription (its receiver answered 410 Gone)."""
        await self._s.execute(
            "UPDATE webhook_subscriptions SET active = FALSE, disabled_reason = $2,"
            " updated_at = $3 WHERE id = $1",
            subscription_id,
            reason,
            now,
        )

    async def delete_subscription(self, subscription_id: int) -> bool:
        """Remove a subscription and its deliveries; False when there was none."""
        rows = await self._s.fetch(
            "DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id", subscription_id
        )
        return bool(rows)

    async def add_connector(self, new: NewConnector, actor: str, now: datetime) -> Subscription:
        """Store a CRM connector (a subscription whose secret lives in the environment)."""
        row = await self._s.fetchrow(
            "INSERT INTO webhook_subscriptions (url, events, secret, active, created_by,"
            " created_at, updated_at, connector, connector_config)"
            " VALUES ($1, $2, '', $3, $4, $5, $5, $6, $7)"
            f" RETURNING {SUBSCRIPTION_COLUMNS}",
            new.url,
            to_json([e.value for e in new.events]),
            new.active,
            actor,
            now,
            new.kind,
            to_json(_connector_config(new)),
        )
        assert row is not None
        return _subscription(row)

    async def update_connector(
        self, subscription_id: int, new: NewConnector, now: datetime
    ) -> Subscription | None:
        """Replace a connector's settings (its kind stays)."""
        row = await self._s.fetchrow(
            "UPDATE webhook_subscriptions SET url = $2, events = $3, active = $4,"
            " connector_config = $5, updated_at = $6,"
            " disabled_reason = CASE WHEN $4 THEN NULL ELSE disabled_reason END"
            " WHERE id = $1 AND connector = $7"
            f" RETURNING {SUBSCRIPTION_COLUMNS}",
            subscription_id,
            new.url,
            to_json([e.value for e in new.events]),
            new.active,
            to_json(_connector_config(new)),
            now,
            new.kind,
        )
        return _subscription(row) if row else None

    async def remote_id(self, subscription_id: int, entity: str, local_id: int) -> str | None:
        """The remote CRM's id of one of our records, as the connector stored it."""
        row = await self._s.fetchrow(
            "SELECT remote_id FROM connector_links"
            " WHERE subscription_id = $1 AND entity = $2 AND local_id = $3",
            subscription_id,
            entity,
            local_id,
        )
        return str(row["remote_id"]) if row else None

    async def link(
        self, subscription_id: int, entity: str, local_id: int, remote_id: str, now: datetime
    ) -> None:
        """Keep the remote CRM's id of one of our records (the first one stored stays)."""
        await self._s.execute(
            "INSERT INTO connector_links (subscription_id, entity, local_id, remote_id,"
            " created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            subscription_id,
            entity,
            local_id,
            remote_id,
            now,
        )

    async def connector_health(self) -> list[ConnectorHealth]:
        """Every connector's last success and failure and its pending and dead deliveries."""
        rows = await self._s.fetch(
            "SELECT s.id, s.connector, s.active, MAX(d.delivered_at) AS last_success_at,"
            " MAX(CASE WHEN d.last_error IS NOT NULL THEN d.last_attempt_at END)"
            " AS last_failure_at,"
            " SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END) AS pending,"
            " SUM(CASE WHEN d.status = 'dead' THEN 1 ELSE 0 END) AS dead,"
            " SUM(CASE WHEN d.status <> 'delivered' AND d.last_error IS NOT NULL"
            " THEN d.attempts ELSE 0 END) AS failed_attempts"
            " FROM webhook_subscriptions s"
            " LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id"
            " WHERE s.connector IS NOT NULL GROUP BY s.id, s.connector, s.active ORDER BY s.id"
        )
        found: list[ConnectorHealth] = []
        for r in rows:
            failed_at = as_optional_datetime(r["last_failure_at"])
            error = None
            if failed_at is not None:
                last = await self._s.fetchrow(
                    "SELECT last_error FROM webhook_deliveries WHERE subscription_id = $1"
                    " AND last_error IS NOT NULL ORDER BY last_attempt_at DESC, id DESC LIMIT 1",
                    r["id"],
                )
                error = last["last_error"] if last else None
            found.append(
                ConnectorHealth(
                    id=int(r["id"]),
                    kind=r["connector"],
                    active=bool(r["active"]),
                    last_success_at=as_optional_datetime(r["last_success_at"]),
                    last_failure_at=failed_at,
                    last_error=error,
                    pending=int(r["pending"] or 0),
                    dead=int(r["dead"] or 0),
                    failed_attempts=int(r["failed_attempts"] or 0),
                )
            )
        return found

    async def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        rows = await self._s.fetch(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY id"
        )
        return [_subscription(r) for r in rows]

    async def subscription(self, subscription_id: int) -> Subscription | None:
        """One subscription."""
        row = await self._s.fetchrow(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1",
            subscription_id,
        )
        return _subscription(row) if row else None

    async def secret(self, subscription_id: int) -> str | None:
        """The signing secret of a subscription."""
        row = await self._s.fetchrow(
            "SELECT secret FROM webhook_subscriptions WHERE id = $1", subscription_id
        )
        return str(row["secret"]) if row else None

    async def claim_due(
        self, subscription_id: int, now: datetime, limit: int, lease_until: datetime
    ) -> list[Delivery]:
        """Due deliveries of an active subscription, each the earliest pending one of its
        entity, leased until `lease_until` (one try each)."""
        if limit <= 0:
            return []
        lock = " FOR UPDATE OF d SKIP LOCKED" if self._s.dialect == "postgres" else ""
        rows = await self._s.fetch(
            "UPDATE webhook_deliveries SET leased_until = $4, attempts = attempts + 1"
            " WHERE id IN (SELECT d.id FROM webhook_deliveries d"
            " JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active"
            " WHERE d.subscription_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2"
            " AND (d.leased_until IS NULL OR d.leased_until <= $2)"
            " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e"
            " WHERE e.subscription_id = d.subscription_id AND e.entity_key = d.entity_key"
            " AND e.status = 'pending' AND e.id < d.id)"
            f" ORDER BY d.id LIMIT $3{lock}) RETURNING {DELIVERY_COLUMNS}",
            subscription_id,
            now,
            limit,
            lease_until,
        )
        return sorted((_delivery(r) for r in rows), key=lambda d: d.id)

    async def due_subscriptions(self, now: datetime) -> list[int]:
        """Active subscriptions with a delivery due and not leased."""
        rows = await self._s.fetch(
            "SELECT s.id FROM webhook_subscriptions s WHERE s.active AND EXISTS ("
            "SELECT 1 FROM webhook_deliveries d WHERE d.subscription_id = s.id"
            " AND d.status = 'pending' AND d.next_attempt_at <= $1"
            " AND (d.leased_until IS NULL OR d.leased_until <= $1)) ORDER BY s.id",
            now,
        )
        return [int(r["id"]) for r in rows]

    async def mark_delivered(self, delivery_id: int, attempt: Attempt, now: datetime) -> None:
        """The receiver answered 2xx."""
        await self._s.execute(
            "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $2,"
            " leased_until = NULL, last_attempt_at = $2, response_status = $3,"
            " response_body = $4, latency_ms = $5, last_error = NULL"
            " WHERE id = $1 AND status = 'pending'",
            delivery_id,
            now,
            attempt.response_status,
            attempt.response_body,
            attempt.latency_ms,
        )

    async def mark_retry(
        self, delivery_id: int, attempt: Attempt, now: datetime, next_attempt_at: datetime
    ) -> None:
        """The try failed; try again at `next_attempt_at`."""
        await self._set_failed(delivery_id, attempt, now, "pending", next_attempt_at)

    async def mark_dead(self, delivery_id: int, attempt: Attempt, now: datetime) -> None:
        """The last try failed: the delivery goes to the dead letters."""
        await self._set_failed(delivery_id, attempt, now, "dead", now)

    async def _set_failed(
        self,
        delivery_id: int,
        attempt: Attempt,
        now: datetime,
        status: str,
        next_attempt_at: datetime,
    ) -> None:
        await self._s.execute(
            "UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3,"
            " leased_until = NULL, last_attempt_at = $4, response_status = $5,"
            " response_body = $6, latency_ms = $7, last_error = $8"
            " WHERE id = $1 AND status = 'pending'",
            delivery_id,
            status,
            next_attempt_at,
            now,
            attempt.response_status,
            attempt.response_body,
            attempt.latency_ms,
            None if attempt.error is None else attempt.error[:MAX_ERROR_CHARS],
        )

    async def release(self, delivery_id: int) -> None:
        """Hand back a claimed delivery untried (the sender is stopping)."""
        await self._s.execute(
            "UPDATE webhook_deliveries SET leased_until = NULL, attempts = attempts - 1"
            " WHERE id = $1 AND status = 'pending' AND attempts > 0",
            delivery_id,
        )

    async def deliveries(
        self,
        subscription_id: int,
        status: DeliveryStatus | None,
        limit: int,
        before_id: int | None = None,
    ) -> list[Delivery]:
        """A subscription's deliveries, newest first (of one status, when given)."""
        args: list[Any] = [subscription_id, limit]
        where = "subscription_id = $1"
        if status is not None:
            args.append(status.value)
            where += f" AND status = ${len(args)}"
        if before_id is not None:
            args.append(before_id)
            where += f" AND id < ${len(args)}"
        rows = await self._s.fetch(
            f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE {where}"
            " ORDER BY id DESC LIMIT $2",
            *args,
        )
        return [_delivery(r) for r in rows]

    async def delivery(self, subscription_id: int, delivery_id: int) -> Delivery | None:
        """One delivery of a subscription."""
        row = await self._s.fetchrow(
            f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries"
            " WHERE id = $1 AND subscription_id = $2",
            delivery_id,
            subscription_id,
        )
        return _delivery(row) if row else None

    async def replay(
        self, subscription_id: int, delivery_ids: Sequence[int] | None, now: datetime
    ) -> int:
        """Queue deliveries again now, with the same webhook-id (receivers dedupe on it): the
        given ones, or (None) every dead letter of the subscription. Returns how many."""
        args: list[Any] = [subscription_id, now]
        where = "subscription_id = $1 AND status = 'dead'"
        if delivery_ids is not None:
            if not delivery_ids:
                return 0
            placeholders = ", ".join(f"${n + 3}" for n in range(len(delivery_ids)))
            where = f"subscription_id = $1 AND status <> 'pending' AND id IN ({placeholders})"
            args += list(delivery_ids)
        rows = await self._s.fetch(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, queued_at = $2,"
            f" next_attempt_at = $2, leased_until = NULL WHERE {where} RETURNING id",
            *args,
        )
        return len(rows)

    async def counts(self) -> dict[str, int]:
        """Deliveries per status, zeros included."""
        rows = await self._s.fetch(
            "SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status"
        )
        counts = dict.fromkeys((s.value for s in DeliveryStatus), 0)
        counts.update({r["status"]: int(r["n"]) for r in rows})
        return counts

    async def overdue_tasks(self, now: datetime, since: datetime, limit: int) -> list[Task]:
        """Open tasks whose due time passed between `since` and `now`, not yet reported, and
        marked reported (at their due time) in this transaction."""
        rows = await self._s.fetch(
            "SELECT t.id, t.entity, t.entity_id, t.task_type, t.title, t.due_at,"
            " t.assignee_id, t.done_at, t.created_by, t.created_at FROM tasks t"
            " WHERE t.done_at IS NULL AND t.due_at <= $1 AND t.due_at > $2"
            " AND NOT EXISTS (SELECT 1 FROM webhook_overdue_tasks o"
            " WHERE o.task_id = t.id AND o.due_at = t.due_at) ORDER BY t.due_at, t.id LIMIT $3",
            now,
            since,
            limit,
        )
        tasks = [
            Task(
                id=int(r["id"]),
                entity=RecordKind(r["entity"]),
                entity_id=int(r["entity_id"]),
                task_type=r["task_type"],
                title=r["title"],
                due_at=as_datetime(r["due_at"]),
                assignee_id=r["assignee_id"],
                done_at=None,
                created_by=r["created_by"],
                created_at=as_datetime(r["created_at"]),
            )
            for r in rows
        ]
        if tasks:
            await self._s.executemany(
                "INSERT INTO webhook_overdue_tasks (task_id, due_at) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                [(t.id, t.due_at) for t in tasks],
            )
        return tasks


def event_body(event_id: str, event: WebhookEvent) -> str:
    """The JSON a subscriber receives: {"id", "type", "timestamp", "data"}."""
    return json.dumps(
        {
            "id": event_id,
            "type": event.type.value,
            "timestamp": event.occurred_at.isoformat(),
            "data": dict(event.data),
        },
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


def _connector_config(new: NewConnector) -> dict[str, Any]:
    return {"secret_env": new.secret_env, "mapping": dict(new.mapping)}


def _subscription(r: Row) -> Subscription:
    return Subscription(
        id=int(r["id"]),
        url=r["url"],
        events=tuple(EventType(e) for e in json.loads(r["events"])),
        queue=r["queue"],
        pipeline=r["pipeline"],
        active=bool(r["active"]),
        disabled_reason=r["disabled_reason"],
        created_by=r["created_by"],
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
        connector=r["connector"],
        connector_config=json.loads(r["connector_config"]) if r["connector_config"] else None,
    )


def _delivery(r: Row) -> Delivery:
    return Delivery(
        id=int(r["id"]),
        subscription_id=int(r["subscription_id"]),
        message_id=r["message_id"],
        event_id=r["event_id"],
        event_type=r["event_type"],
        entity_key=r["entity_key"],
        body=r["body"],
        status=DeliveryStatus(r["status"]),
        attempts=int(r["attempts"]),
        created_at=as_datetime(r["created_at"]),
        next_attempt_at=as_datetime(r["next_attempt_at"]),
        queued_at=as_datetime(r["queued_at"]),
        last_attempt_at=as_optional_datetime(r["last_attempt_at"]),
        delivered_at=as_optional_datetime(r["delivered_at"]),
        response_status=r["response_status"],
        response_body=r["response_body"],
        latency_ms=r["latency_ms"],
        last_error=r["last_error"],
    )
