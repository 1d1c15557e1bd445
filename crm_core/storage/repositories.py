"""SQL repositories written once for both dialects over a SqlSession."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from crm_core.model import (
    AuditEntry,
    ConsentRecord,
    InboxItem,
    InboxReceipt,
    InboxStats,
    Lead,
    LeadContactDetails,
    LeadFilter,
    LeadFlag,
    LeadMatch,
    LeadStatus,
    Manager,
    NewInboxItem,
    NewLead,
    NewManager,
    ParkedRequest,
    Role,
)
from crm_core.storage.calls import SqlCallRepository
from crm_core.storage.checkpoints import SqlCheckpointRepository
from crm_core.storage.identity import SqlIdentityRepository
from crm_core.storage.outbox import SqlOutboxRepository
from crm_core.storage.ports import (
    AuditRepository,
    CallRepository,
    CheckpointRepository,
    ConsentRepository,
    IdentityRepository,
    InboxRepository,
    LeadRepository,
    ManagerRepository,
    OutboxRepository,
    ReportRepository,
    SalesRepository,
    TokenRepository,
)
from crm_core.storage.reports import SqlReports
from crm_core.storage.sales import SqlSalesRepository
from crm_core.storage.session import (
    Conditions,
    Row,
    SqlSession,
    as_datetime,
    as_optional_datetime,
    from_json,
    to_json,
)
from crm_core.tokens import ApiToken, TokenOwner

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


# Contact columns a later message of the same person may fill when the lead lacks them.
FILLABLE = (
    "name",
    "first_name",
    "last_name",
    "phone",
    "phone_raw",
    "email",
    "email_raw",
    "company",
    "position",
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


LEAD_INSERT = (
    "INSERT INTO leads (inbox_id, status, channel, source, name, first_name, last_name,"
    " patronymic, phone, phone_raw, phone_extension, email, email_raw, company, position,"
    " messenger_ids, comment, utm, page_url, referrer, fields, meta, flags, queue,"
    " pipeline, received_at, created_at, updated_at)"
    " VALUES ($1, 'new', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
    " $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $26)"
    " ON CONFLICT (inbox_id) DO NOTHING"
)


def _lead_row(lead: NewLead, now: datetime) -> tuple[Any, ...]:
    c = lead.contact
    return (
        lead.inbox_id,
        lead.channel,
        lead.source,
        c.name,
        c.first_name,
        c.last_name,
        c.patronymic,
        c.phone,
        c.phone_raw,
        c.phone_extension,
        c.email,
        c.email_raw,
        c.company,
        c.position,
        to_json(c.messenger_ids),
        lead.comment,
        to_json(lead.utm),
        lead.page_url,
        lead.referrer,
        to_json(lead.fields),
        to_json(lead.meta),
        to_json([f.value for f in lead.flags]),
        lead.queue,
        lead.pipeline,
        lead.received_at,
        now,
    )


def _placeholders(count: int, start: int = 1) -> str:
    return ", ".join(f"${n}" for n in range(start, start + count))


LEAD_SELECT = (
    "SELECT l.*, m.login AS assignee_login FROM leads l"
    " LEFT JOIN managers m ON m.id = l.assignee_id"
)


class SqlLeadRepository:
    """Leads in the `leads` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_many(self, leads: Sequence[NewLead], now: datetime) -> list[tuple[Lead, bool]]:
        """Create each inbox row's lead once; returns (lead, created) in order."""
        if not leads:
            return []
        inbox_ids = list(dict.fromkeys(lead.inbox_id for lead in leads))
        marks = _placeholders(len(inbox_ids))
        existing = {
            r["inbox_id"]
            for r in await self._s.fetch(
                f"SELECT inbox_id FROM leads WHERE inbox_id IN ({marks})", *inbox_ids
            )
        }
        fresh = {lead.inbox_id: lead for lead in leads if lead.inbox_id not in existing}
        if fresh:
            await self._s.executemany(LEAD_INSERT, [_lead_row(x, now) for x in fresh.values()])
        rows = await self._s.fetch(f"{LEAD_SELECT} WHERE l.inbox_id IN ({marks})", *inbox_ids)
        stored = {r["inbox_id"]: _lead(r) for r in rows}
        created: set[int] = set()
        result = []
        for lead in leads:
            is_new = lead.inbox_id in fresh and lead.inbox_id not in created
            created.add(lead.inbox_id)
            result.append((stored[lead.inbox_id], is_new))
        return result

    async def unlink_contact(self, lead_id: int, now: datetime) -> None:
        """Detach a lead from its contact (a wrong link was rejected)."""
        await self._s.execute(
            "UPDATE leads SET contact_id = NULL, is_repeat = $2, updated_at = $3 WHERE id = $1",
            lead_id,
            False,
            now,
        )

    async def fill_contact(
        self, lead_id: int, details: LeadContactDetails, now: datetime
    ) -> list[str]:
        """Fill the lead's empty contact fields from `details`; returns the fields filled."""
        row = await self._s.fetchrow(
            f"SELECT {', '.join(FILLABLE)}, messenger_ids FROM leads WHERE id = $1", lead_id
        )
        if row is None:
            return []
        filled = [c for c in FILLABLE if row[c] is None and getattr(details, c) is not None]
        messengers = from_json(row["messenger_ids"])
        new_ids = {k: v for k, v in details.messenger_ids.items() if k not in messengers}
        if not filled and not new_ids:
            return []
        sets = [f"{column} = ${n + 2}" for n, column in enumerate(filled)]
        values: list[Any] = [getattr(details, c) for c in filled]
        if new_ids:
            sets.append(f"messenger_ids = ${len(values) + 2}")
            values.append(to_json({**messengers, **new_ids}))
        await self._s.execute(
            f"UPDATE leads SET {', '.join(sets)}, updated_at = ${len(values) + 2} WHERE id = $1",
            lead_id,
            *values,
            now,
        )
        return filled + (["messenger_ids"] if new_ids else [])

    async def record_match(
        self, lead_id: int, match: LeadMatch, assignee_id: int | None, now: datetime
    ) -> None:
        """Store the detector's decision; a known contact's manager becomes the assignee."""
        await self._s.execute(
            "UPDATE leads SET dedupe_decision = $2, dedupe_score = $3, dedupe_explanation = $4,"
            " contact_id = $5, company_id = $6, is_repeat = $7,"
            " assignee_id = COALESCE(assignee_id, $8), updated_at = $9, duplicate_of_id = $10"
            " WHERE id = $1",
            lead_id,
            match.decision,
            match.score,
            to_json(match.explanation),
            match.contact_id,
            match.company_id,
            match.is_repeat,
            assignee_id,
            now,
            match.duplicate_of_id,
        )

    async def lock(self, lead_id: int) -> Lead | None:
        """One lead, its row locked until the transaction ends (PostgreSQL; SQLite's write
        transaction is exclusive already)."""
        lock = " FOR UPDATE OF l" if self._s.dialect == "postgres" else ""
        row = await self._s.fetchrow(f"{LEAD_SELECT} WHERE l.id = $1{lock}", lead_id)
        return _lead(row) if row else None

    async def set_status(
        self,
        lead_id: int,
        status: LeadStatus,
        now: datetime,
        *,
        junk_reason: str | None = None,
        taken: bool = False,
    ) -> None:
        """Move a lead to a status; taking it stamps `taken_at` and ends its acceptance clock."""
        await self._s.execute(
            "UPDATE leads SET status = $2, junk_reason = $3, updated_at = $4,"
            " taken_at = CASE WHEN $5 THEN $4 ELSE taken_at END,"
            " accept_by = CASE WHEN $5 OR $2 <> 'new' THEN NULL ELSE accept_by END"
            " WHERE id = $1",
            lead_id,
            status.value,
            junk_reason,
            now,
            taken,
        )

    async def set_assignee(
        self, lead_id: int, manager_id: int | None, accept_by: datetime | None, now: datetime
    ) -> None:
        """Give a lead to a manager (or to nobody) with the deadline to take it."""
        await self._s.execute(
            "UPDATE leads SET assignee_id = $2, accept_by = $3, updated_at = $4 WHERE id = $1",
            lead_id,
            manager_id,
            accept_by,
            now,
        )

    async def mark_converted(
        self,
        lead_id: int,
        contact_id: int,
        company_id: int | None,
        deal_id: int | None,
        now: datetime,
    ) -> None:
        """Record a conversion's result on the lead."""
        await self._s.execute(
            "UPDATE leads SET status = 'converted', contact_id = $2, company_id = $3,"
            " deal_id = $4, converted_at = $5, updated_at = $5, accept_by = NULL,"
            " taken_at = COALESCE(taken_at, $5) WHERE id = $1",
            lead_id,
            contact_id,
            company_id,
            deal_id,
            now,
        )

    async def attached_to(self, lead_id: int) -> list[Lead]:
        """Later requests of the same person that were attached to this open lead."""
        rows = await self._s.fetch(
            f"{LEAD_SELECT} WHERE l.duplicate_of_id = $1 ORDER BY l.id", lead_id
        )
        return [_lead(r) for r in rows]

    async def open_lead_of_contact(self, contact_id: int) -> Lead | None:
        """The contact's newest lead still in qualification (new or in work)."""
        row = await self._s.fetchrow(
            f"{LEAD_SELECT} WHERE l.contact_id = $1 AND l.status IN ('new', 'in_work')"
            " ORDER BY l.id DESC LIMIT 1",
            contact_id,
        )
        return _lead(row) if row else None

    async def assignee_id(self, lead_id: int) -> int | None:
        """The manager a lead is assigned to, if any."""
        row = await self._s.fetchrow("SELECT assignee_id FROM leads WHERE id = $1", lead_id)
        return int(row["assignee_id"]) if row and row["assignee_id"] is not None else None

    async def get(self, lead_id: int) -> Lead | None:
        """One lead by id."""
        row = await self._s.fetchrow(f"{LEAD_SELECT} WHERE l.id = $1", lead_id)
        return _lead(row) if row else None

    async def list(self, where: LeadFilter, limit: int, before_id: int | None) -> list[Lead]:
        """Newest first, ids below `before_id` when paging."""
        q = Conditions()
        q.add("l.status = {}", where.status.value if where.status else None)
        q.add("l.channel = {}", where.channel)
        q.add("m.login = {}", where.assignee)
        q.add("l.created_at >= {}", where.created_from)
        q.add("l.created_at < {}", where.created_to)
        q.add("m.login = {}", where.visible_to)
        q.add("l.dedupe_decision = {}", where.duplicate_check)
        q.add("l.contact_id = {}", where.contact_id)
        q.add("l.id < {}", before_id)
        q.args.append(limit)
        rows = await self._s.fetch(
            f"{LEAD_SELECT}{q.where()} ORDER BY l.id DESC LIMIT ${len(q.args)}", *q.args
        )
        return [_lead(r) for r in rows]


def _lead(r: Row) -> Lead:
    contact = LeadContactDetails(
        name=r["name"],
        first_name=r["first_name"],
        last_name=r["last_name"],
        patronymic=r["patronymic"],
        phone=r["phone"],
        phone_raw=r["phone_raw"],
        phone_extension=r["phone_extension"],
        email=r["email"],
        email_raw=r["email_raw"],
        company=r["company"],
        position=r["position"],
        messenger_ids=from_json(r["messenger_ids"]) or {},
    )
    data = NewLead(
        inbox_id=r["inbox_id"],
        channel=r["channel"],
        source=r["source"],
        contact=contact,
        comment=r["comment"],
        utm=from_json(r["utm"]) or {},
        page_url=r["page_url"],
        referrer=r["referrer"],
        fields=from_json(r["fields"]) or {},
        meta=from_json(r["meta"]) or {},
        flags=tuple(LeadFlag(f) for f in from_json(r["flags"]) or []),
        queue=r["queue"],
        pipeline=r["pipeline"],
        received_at=as_datetime(r["received_at"]),
    )
    match = None
    if r["dedupe_decision"] is not None:
        match = LeadMatch(
            decision=r["dedupe_decision"],
            score=float(r["dedupe_score"] or 0.0),
            contact_id=r["contact_id"],
            company_id=r["company_id"],
            is_repeat=bool(r["is_repeat"]),
            explanation=from_json(r["dedupe_explanation"]) or {},
            duplicate_of_id=r["duplicate_of_id"],
        )
    return Lead(
        id=r["id"],
        status=LeadStatus(r["status"]),
        assignee=r["assignee_login"],
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
        data=data,
        match=match,
        assignee_id=r["assignee_id"],
        junk_reason=r["junk_reason"],
        taken_at=as_optional_datetime(r["taken_at"]),
        accept_by=as_optional_datetime(r["accept_by"]),
        converted_at=as_optional_datetime(r["converted_at"]),
        deal_id=r["deal_id"],
        contact_id=r["contact_id"],
        company_id=r["company_id"],
    )


MANAGER_COLUMNS = "id, login, name, role, email, telegram_chat_id, timezone, active"


class SqlManagerRepository:
    """Managers in the `managers` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def upsert(self, manager: NewManager, now: datetime) -> Manager:
        """Create or update by login."""
        row = await self._s.fetchrow(
            "INSERT INTO managers (login, name, role, email, telegram_chat_id, timezone, active,"
            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
            " ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role,"
            " email = excluded.email, telegram_chat_id = excluded.telegram_chat_id,"
            " timezone = excluded.timezone, active = excluded.active,"
            f" updated_at = excluded.updated_at RETURNING {MANAGER_COLUMNS}",
            manager.login,
            manager.name,
            manager.role.value,
            manager.email,
            manager.telegram_chat_id,
            manager.timezone,
            manager.active,
            now,
        )
        assert row is not None
        return _manager(row)

    async def get_by_login(self, login: str) -> Manager | None:
        """One manager by login."""
        row = await self._s.fetchrow(
            f"SELECT {MANAGER_COLUMNS} FROM managers WHERE login = $1", login
        )
        return _manager(row) if row else None

    async def list(self) -> list[Manager]:
        """Every manager, ordered by login."""
        rows = await self._s.fetch(f"SELECT {MANAGER_COLUMNS} FROM managers ORDER BY login")
        return [_manager(r) for r in rows]


def _manager(r: Row) -> Manager:
    return Manager(
        id=r["id"],
        login=r["login"],
        name=r["name"],
        role=Role(r["role"]),
        email=r["email"],
        telegram_chat_id=r["telegram_chat_id"],
        timezone=r["timezone"],
        active=bool(r["active"]),
    )


class SqlTokenRepository:
    """API token hashes in the `api_tokens` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add(
        self, token_hash: str, manager_id: int, now: datetime, expires_at: datetime | None = None
    ) -> int:
        """Store a new token hash for a manager; returns the token's id."""
        row = await self._s.fetchrow(
            "INSERT INTO api_tokens (token_hash, manager_id, created_at, expires_at)"
            " VALUES ($1, $2, $3, $4) RETURNING id",
            token_hash,
            manager_id,
            now,
            expires_at,
        )
        assert row is not None
        return int(row["id"])

    async def manager_for(self, token_hash: str) -> Manager | None:
        """The active manager owning an unrevoked token (expiry is `find`'s caller's)."""
        found = await self.find(token_hash)
        if found is None or found.token.revoked_at is not None or not found.manager.active:
            return None
        return found.manager

    async def find(self, token_hash: str) -> TokenOwner | None:
        """The token with this hash and its manager, whatever its state."""
        row = await self._s.fetchrow(
            f"SELECT {_API_KEY_COLUMNS}, m.name, m.role, m.email, m.telegram_chat_id, m.timezone,"
            " m.active FROM api_tokens t JOIN managers m ON m.id = t.manager_id"
            " WHERE t.token_hash = $1",
            token_hash,
        )
        if row is None:
            return None
        manager = Manager(
            id=row["manager_id"],
            login=row["login"],
            name=row["name"],
            role=Role(row["role"]),
            email=row["email"],
            telegram_chat_id=row["telegram_chat_id"],
            timezone=row["timezone"],
            active=bool(row["active"]),
        )
        return TokenOwner(_token(row), manager)

    async def get(self, token_id: int) -> ApiToken | None:
        """One token by id."""
        row = await self._s.fetchrow(
            f"SELECT {_API_KEY_COLUMNS} FROM api_tokens t JOIN managers m ON m.id = t.manager_id"
            " WHERE t.id = $1",
            token_id,
        )
        return _token(row) if row else None

    async def list(self) -> list[ApiToken]:
        """Every token, newest first."""
        rows = await self._s.fetch(
            f"SELECT {_API_KEY_COLUMNS} FROM api_tokens t JOIN managers m ON m.id = t.manager_id"
            " ORDER BY t.id DESC"
        )
        return [_token(r) for r in rows]

    async def touch(self, token_id: int, now: datetime) -> None:
        """Record the token's last use."""
        await self._s.execute(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", token_id, now
        )

    async def revoke(self, token_id: int, now: datetime) -> ApiToken | None:
        """Revoke the token (a revoked one keeps its first revocation time); None if unknown."""
        await self._s.execute(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            token_id,
            now,
        )
        return await self.get(token_id)


_API_KEY_COLUMNS = (
    "t.id, t.manager_id, m.login, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
)


def _token(r: Row) -> ApiToken:
    return ApiToken(
        id=r["id"],
        manager_id=r["manager_id"],
        login=r["login"],
        created_at=as_datetime(r["created_at"]),
        expires_at=as_optional_datetime(r["expires_at"]),
        last_used_at=as_optional_datetime(r["last_used_at"]),
        revoked_at=as_optional_datetime(r["revoked_at"]),
    )


class SqlConsentRepository:
    """Consent records in the `consents` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_many(self, consents: Sequence[ConsentRecord]) -> None:
        """Store consent records."""
        if not consents:
            return
        await self._s.executemany(
            "INSERT INTO consents (lead_id, given, text_version, raw_value, source, recorded_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [
                (c.lead_id, c.given, c.text_version, c.raw_value, c.source, c.recorded_at)
                for c in consents
            ],
        )

    async def for_lead(self, lead_id: int) -> list[ConsentRecord]:
        """Consents recorded with a lead."""
        rows = await self._s.fetch(
            "SELECT lead_id, given, text_version, raw_value, source, recorded_at FROM consents"
            " WHERE lead_id = $1 ORDER BY id",
            lead_id,
        )
        return [
            ConsentRecord(
                lead_id=r["lead_id"],
                given=bool(r["given"]),
                text_version=r["text_version"],
                raw_value=r["raw_value"],
                source=r["source"],
                recorded_at=as_datetime(r["recorded_at"]),
            )
            for r in rows
        ]


class SqlAuditRepository:
    """The append-only `audit_log` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries."""
        if not entries:
            return
        await self._s.executemany(
            "INSERT INTO audit_log (at, actor, entity, entity_id, action, before, after)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                (
                    e.at,
                    e.actor,
                    e.entity,
                    e.entity_id,
                    e.action,
                    None if e.before is None else to_json(e.before),
                    None if e.after is None else to_json(e.after),
                )
                for e in entries
            ],
        )

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        """Entries about one record, oldest first."""
        rows = await self._s.fetch(
            "SELECT at, actor, entity, entity_id, action, before, after FROM audit_log"
            " WHERE entity = $1 AND entity_id = $2 ORDER BY id",
            entity,
            entity_id,
        )
        return [
            AuditEntry(
                actor=r["actor"],
                entity=r["entity"],
                entity_id=r["entity_id"],
                action=r["action"],
                at=as_datetime(r["at"]),
                before=from_json(r["before"]),
                after=from_json(r["after"]),
            )
            for r in rows
        ]


class SqlUnitOfWork:
    """All repositories over one session (and so one transaction)."""

    def __init__(self, session: SqlSession) -> None:
        self.inbox: InboxRepository = SqlInboxRepository(session)
        self.leads: LeadRepository = SqlLeadRepository(session)
        self.managers: ManagerRepository = SqlManagerRepository(session)
        self.tokens: TokenRepository = SqlTokenRepository(session)
        self.consents: ConsentRepository = SqlConsentRepository(session)
        self.audit: AuditRepository = SqlAuditRepository(session)
        self.identity: IdentityRepository = SqlIdentityRepository(session)
        self.outbox: OutboxRepository = SqlOutboxRepository(session)
        self.sales: SalesRepository = SqlSalesRepository(session)
        self.reports: ReportRepository = SqlReports(session)
        self.calls: CallRepository = SqlCallRepository(session)
        self.checkpoints: CheckpointRepository = SqlCheckpointRepository(session)
