"""The notification outbox table, implementing crm_core.storage.ports.OutboxRepository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crm_core.notifications import (
    NewNotification,
    NotificationChannel,
    NotificationKind,
    OutboxMessage,
)
from crm_core.storage.session import Row, SqlSession, as_datetime, from_json, to_json

MAX_ERROR_CHARS = 500
STATUSES = ("pending", "sent", "failed")
# Rows per INSERT: 6 parameters each stays far below both drivers' parameter limits.
ENQUEUE_CHUNK = 500
OUTBOX_COLUMNS = (
    "id, manager_id, channel, kind, address, payload, attempts, created_at, next_attempt_at,"
    " last_error"
)


class SqlOutboxRepository:
    """Notifications waiting to be delivered, leased by one dispatcher at a time.

    Besides OutboxPort it offers (as OutboxRepository) `stats`, `get`, `live_since`, `last_id`
    and `for_manager` for readiness checks, tests and replaying in-app events to a client.
    """

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def enqueue(self, items: Sequence[NewNotification], now: datetime) -> list[int]:
        """Store notifications (ignoring dedupe keys already stored); returns new ids.

        The ids come in the order of `items`, skipped ones left out.
        """
        ids: list[int] = []
        for start in range(0, len(items), ENQUEUE_CHUNK):
            chunk = items[start : start + ENQUEUE_CHUNK]
            values = ", ".join(
                f"(${n + 2}, ${n + 3}, ${n + 4}, ${n + 5}, ${n + 6}, ${n + 7},"
                f" ${n + 8}, 0, $1, $1, ${n + 9})"
                for n in range(0, 8 * len(chunk), 8)
            )
            args: list[Any] = [now]
            for item in chunk:
                # The in-app stream reads its rows from this table (live_since): they are
                # delivered once committed, and never wait for the dispatcher.
                live = item.channel is NotificationChannel.SSE
                args += (
                    item.manager_id,
                    item.channel.value,
                    item.kind.value,
                    item.address,
                    to_json(item.payload),
                    item.dedupe_key,
                    "sent" if live else "pending",
                    now if live else None,
                )
            rows = await self._s.fetch(
                "INSERT INTO notification_outbox (manager_id, channel, kind, address, payload,"
                " dedupe_key, status, attempts, next_attempt_at, created_at, sent_at)"
                f" VALUES {values} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                *args,
            )
            # Neither database promises RETURNING order; ids grow in insertion order.
            ids += sorted(int(r["id"]) for r in rows)
        return ids

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[OutboxMessage]:
        """Pending messages due by `now`, leased until `lease_until`."""
        if limit <= 0:
            return []
        # SQLite's write transaction already excludes every other writer; on PostgreSQL
        # SKIP LOCKED lets concurrent dispatchers take disjoint rows without waiting.
        lock = " FOR UPDATE SKIP LOCKED" if self._s.dialect == "postgres" else ""
        rows = await self._s.fetch(
            "UPDATE notification_outbox SET leased_until = $3 WHERE id IN ("
            "SELECT id FROM notification_outbox WHERE status = 'pending'"
            " AND next_attempt_at <= $1 AND (leased_until IS NULL OR leased_until <= $1)"
            f" ORDER BY id LIMIT $2{lock}) RETURNING {OUTBOX_COLUMNS}",
            now,
            limit,
            lease_until,
        )
        return sorted((_message(r) for r in rows), key=lambda m: m.id)

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        """The message was delivered."""
        # Sent and failed are final: the outcome reported first by a worker wins, so one whose
        # lease ran out cannot rewrite what the next worker recorded.
        await self._s.execute(
            "UPDATE notification_outbox SET status = 'sent', sent_at = $2, leased_until = NULL"
            " WHERE id = $1 AND status = 'pending'",
            message_id,
            now,
        )

    async def mark_retry(
        self, message_id: int, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        """Try again later."""
        # Only pending rows, so a late outcome never brings a sent or failed message back.
        await self._s.execute(
            "UPDATE notification_outbox SET attempts = $2, next_attempt_at = $3,"
            " last_error = $4, leased_until = NULL WHERE id = $1 AND status = 'pending'",
            message_id,
            attempts,
            next_attempt_at,
            error[:MAX_ERROR_CHARS],
        )

    async def mark_failed(self, message_id: int, now: datetime, error: str) -> None:
        """Stop trying."""
        # `now` goes unused: the table has no failed_at column (nothing reads one yet).
        await self._s.execute(
            "UPDATE notification_outbox SET status = 'failed', last_error = $2,"
            " leased_until = NULL WHERE id = $1 AND status = 'pending'",
            message_id,
            error[:MAX_ERROR_CHARS],
        )

    async def stats(self) -> dict[str, int]:
        """Number of messages per status ('pending', 'sent', 'failed'), zeros included."""
        rows = await self._s.fetch(
            "SELECT status, COUNT(*) AS n FROM notification_outbox GROUP BY status"
        )
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({r["status"]: int(r["n"]) for r in rows})
        return counts

    async def get(self, message_id: int) -> OutboxMessage | None:
        """One message by id, whatever its status."""
        row = await self._s.fetchrow(
            f"SELECT {OUTBOX_COLUMNS} FROM notification_outbox WHERE id = $1", message_id
        )
        return _message(row) if row else None

    async def live_since(self, after_id: int, limit: int) -> list[OutboxMessage]:
        """In-app (SSE) messages of every manager with ids above `after_id`, oldest first."""
        rows = await self._s.fetch(
            f"SELECT {OUTBOX_COLUMNS} FROM notification_outbox"
            " WHERE id > $1 AND channel = $2 ORDER BY id LIMIT $3",
            after_id,
            NotificationChannel.SSE.value,
            limit,
        )
        return [_message(r) for r in rows]

    async def last_id(self) -> int:
        """The newest message id (0 when there is none)."""
        row = await self._s.fetchrow("SELECT COALESCE(MAX(id), 0) AS top FROM notification_outbox")
        return int(row["top"]) if row else 0

    async def for_manager(self, manager_id: int, after_id: int, limit: int) -> list[OutboxMessage]:
        """A manager's in-app (SSE) messages with ids above `after_id`, oldest first.

        Any status: a reconnecting client replays what it missed since its Last-Event-ID,
        including events the dispatcher already counted as delivered.
        """
        rows = await self._s.fetch(
            f"SELECT {OUTBOX_COLUMNS} FROM notification_outbox"
            " WHERE id > $2 AND manager_id = $1 AND channel = $3 ORDER BY id LIMIT $4",
            manager_id,
            after_id,
            NotificationChannel.SSE.value,
            limit,
        )
        return [_message(r) for r in rows]


def _message(r: Row) -> OutboxMessage:
    return OutboxMessage(
        id=int(r["id"]),
        manager_id=int(r["manager_id"]),
        channel=NotificationChannel(r["channel"]),
        kind=NotificationKind(r["kind"]),
        address=r["address"],
        payload=from_json(r["payload"]),
        attempts=int(r["attempts"]),
        created_at=as_datetime(r["created_at"]),
        next_attempt_at=as_datetime(r["next_attempt_at"]),
        last_error=r["last_error"],
    )
