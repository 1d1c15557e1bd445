"""The durable inbox: requests stored before they are answered, drained by the worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import uuid4

from crm_core.model import InboxItem, InboxReceipt, InboxStats, NewInboxItem, ParkedRequest
from crm_core.storage.session import (
    Row,
    SqlSession,
    as_datetime,
    as_optional_datetime,
    from_json,
    to_json,
)

INBOX_COLUMNS = (
    "id, channel, source, external_id, received_at, payload, headers, event, status, attempts,"
    " lead_id"
)


class SqlInboxRepository:
    """Inbox rows in the `inbox` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_batch(self, items: Sequence[NewInboxItem]) -> list[InboxReceipt]:
        """Store items idempotently on (channel, external_id); one receipt per item, in order."""
        tokens = [uuid4().hex for _ in items]
        await self._s.executemany(
            "INSERT INTO inbox (channel, source, external_id, ingest_token, received_at,"
            " available_at, payload, headers, event, status, attempts, body_hash)"
            " VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, 'pending', 0, $9)"
            " ON CONFLICT (channel, external_id) DO NOTHING",
            [
                (
                    i.channel,
                    i.source,
                    i.external_id,
                    token,
                    i.received_at,
                    to_json(i.payload),
                    to_json(i.headers),
                    to_json(i.event),
                    i.body_hash,
                )
                for i, token in zip(items, tokens, strict=True)
            ],
        )
        by_channel: dict[str, list[str]] = {}
        for item in items:
            by_channel.setdefault(item.channel, []).append(item.external_id)
        stored: dict[tuple[str, str], Row] = {}
        for channel, external_ids in by_channel.items():
            # `channel = $1 AND external_id IN (...)` is an index search on both databases;
            # SQLite scans the whole table for a row-value IN (VALUES ...).
            unique_ids = list(dict.fromkeys(external_ids))
            if self._s.dialect == "postgres":
                # One array parameter: a single prepared statement whose generic plan searches
                # the (channel, external_id) index; a generic plan for a long `IN ($2, ...)`
                # list filtered every row of the channel instead (3 s at 100k rows).
                rows = await self._s.fetch(
                    "SELECT id, channel, external_id, ingest_token, body_hash FROM inbox"
                    " WHERE channel = $1 AND external_id = ANY($2::text[])",
                    channel,
                    unique_ids,
                )
            else:
                marks = ", ".join(f"${n + 2}" for n in range(len(unique_ids)))
                rows = await self._s.fetch(
                    "SELECT id, channel, external_id, ingest_token, body_hash FROM inbox"
                    f" WHERE channel = $1 AND external_id IN ({marks})",
                    channel,
                    *unique_ids,
                )
            stored.update({(r["channel"], r["external_id"]): r for r in rows})
        receipts = []
        for item, token in zip(items, tokens, strict=True):
            row = stored[(item.channel, item.external_id)]
            created = row["ingest_token"] == token
            known = row["body_hash"]
            conflict = (
                not created and None not in (known, item.body_hash) and known != item.body_hash
            )
            receipts.append(InboxReceipt(intake_id=row["id"], created=created, conflict=conflict))
        return receipts

    async def claim_pending(self, limit: int, now: datetime) -> list[InboxItem]:
        """Lock up to `limit` due pending rows for this transaction (skipping rows others hold)."""
        lock = " FOR UPDATE SKIP LOCKED" if self._s.dialect == "postgres" else ""
        return await self._due(limit, now, lock)

    async def peek_pending(self, limit: int, now: datetime) -> list[InboxItem]:
        """Due pending rows without locking them (to prepare work before a transaction)."""
        return await self._due(limit, now, "")

    async def _due(self, limit: int, now: datetime, lock: str) -> list[InboxItem]:
        rows = await self._s.fetch(
            f"SELECT {INBOX_COLUMNS} FROM inbox WHERE status = 'pending' AND available_at <= $1"
            f" ORDER BY id LIMIT $2{lock}",
            now,
            limit,
        )
        return [_inbox_item(r) for r in rows]

    async def mark_processed(
        self, outcomes: Sequence[tuple[int, int | None]], now: datetime
    ) -> None:
        """Record that rows (item id, lead id or None) were handled."""
        if not outcomes:
            return
        await self._s.executemany(
            "UPDATE inbox SET status = 'processed', lead_id = $2, processed_at = $3,"
            " attempts = attempts + 1, last_error = NULL WHERE id = $1",
            [(item_id, lead_id, now) for item_id, lead_id in outcomes],
        )

    async def record_failure(
        self, item_id: int, error: str, now: datetime, retry_at: datetime, max_attempts: int
    ) -> None:
        """Count a failed attempt; park the row as failed after `max_attempts`."""
        await self._s.execute(
            "UPDATE inbox SET attempts = attempts + 1, last_error = $2, available_at = $3,"
            " status = CASE WHEN attempts + 1 >= $4 THEN 'failed' ELSE 'pending' END,"
            " processed_at = CASE WHEN attempts + 1 >= $4 THEN $5 ELSE processed_at END"
            " WHERE id = $1",
            item_id,
            error[:2000],
            retry_at,
            max_attempts,
            now,
        )

    async def get(self, item_id: int) -> InboxItem | None:
        """One row by intake id."""
        row = await self._s.fetchrow(f"SELECT {INBOX_COLUMNS} FROM inbox WHERE id = $1", item_id)
        return _inbox_item(row) if row else None

    async def lead_of(self, channel: str, external_ids: Sequence[str]) -> int | None:
        """The lead the newest of these processed requests went into (e-mail threads)."""
        ids = list(dict.fromkeys(external_ids))
        if not ids:
            return None
        marks = ", ".join(f"${n + 2}" for n in range(len(ids)))
        row = await self._s.fetchrow(
            f"SELECT lead_id FROM inbox WHERE channel = $1 AND external_id IN ({marks})"
            " AND lead_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            channel,
            *ids,
        )
        return int(row["lead_id"]) if row else None

    async def parked(self, limit: int) -> list[ParkedRequest]:
        """Rows parked as failed, newest first (dismissed ones included)."""
        rows = await self._s.fetch(
            "SELECT id, channel, source, received_at, attempts, last_error, processed_at,"
            " dismissed_at FROM inbox WHERE status = 'failed' ORDER BY id DESC LIMIT $1",
            limit,
        )
        return [
            ParkedRequest(
                id=r["id"],
                channel=r["channel"],
                source=r["source"],
                received_at=as_datetime(r["received_at"]),
                attempts=r["attempts"],
                last_error=r["last_error"],
                parked_at=as_optional_datetime(r["processed_at"]),
                dismissed_at=as_optional_datetime(r["dismissed_at"]),
            )
            for r in rows
        ]

    async def requeue(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Put parked rows (all when `ids` is None) back to pending; returns how many."""
        reset = (
            "UPDATE inbox SET status = 'pending', attempts = 0, available_at = $1,"
            " processed_at = NULL, dismissed_at = NULL WHERE status = 'failed'"
        )
        if ids is None:
            return len(await self._s.fetch(reset + " RETURNING id", now))
        chosen = f" AND id IN ({_marks(len(ids), 2)}) RETURNING id"
        return len(await self._s.fetch(reset + chosen, now, *ids))

    async def dismiss(self, ids: Sequence[int], now: datetime) -> int:
        """Set parked rows aside so they stop holding readiness; returns how many."""
        rows = await self._s.fetch(
            "UPDATE inbox SET dismissed_at = $1 WHERE status = 'failed' AND dismissed_at IS NULL"
            f" AND id IN ({_marks(len(ids), 2)}) RETURNING id",
            now,
            *ids,
        )
        return len(rows)

    async def stats(self) -> InboxStats:
        """Pending and failed counts and the oldest pending row's time."""
        pending = await self._s.fetchrow(
            "SELECT COUNT(*) AS n FROM inbox WHERE status = 'pending'"
        )
        failed = await self._s.fetchrow(
            "SELECT COUNT(*) AS n FROM inbox WHERE status = 'failed' AND dismissed_at IS NULL"
        )
        oldest = await self._s.fetchrow(
            "SELECT received_at FROM inbox WHERE status = 'pending' ORDER BY id LIMIT 1"
        )
        return InboxStats(
            pending=int(pending["n"]) if pending else 0,
            failed=int(failed["n"]) if failed else 0,
            oldest_pending_at=as_datetime(oldest["received_at"]) if oldest else None,
        )


def _marks(count: int, first: int) -> str:
    return ", ".join(f"${n}" for n in range(first, first + count))


def _inbox_item(r: Row) -> InboxItem:
    return InboxItem(
        id=r["id"],
        channel=r["channel"],
        source=r["source"],
        external_id=r["external_id"],
        received_at=as_datetime(r["received_at"]),
        payload=from_json(r["payload"]),
        headers=from_json(r["headers"]),
        event=from_json(r["event"]),
        status=r["status"],
        attempts=r["attempts"],
        lead_id=r["lead_id"],
    )
