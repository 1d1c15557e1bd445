"""Leads in the `leads` table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crm_core.model import (
    Lead,
    LeadContactDetails,
    LeadFilter,
    LeadFlag,
    LeadJoin,
    LeadMatch,
    LeadStatus,
    NewLead,
)
from crm_core.storage.session import (
    Conditions,
    Row,
    SqlSession,
    as_datetime,
    as_optional_datetime,
    from_json,
    to_json,
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
# Flags are a JSON array on both databases; its text form names "urgent" when set.
URGENT_FIRST = "CASE WHEN CAST(l.flags AS TEXT) LIKE '%\"urgent\"%' THEN 0 ELSE 1 END"


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

    async def attach(
        self, lead_ids: Sequence[int], open_lead_id: int | None, now: datetime
    ) -> None:
        """Attach leads to a person's open lead (None: detach them)."""
        if not lead_ids:
            return
        marks = _placeholders(len(lead_ids), 3)
        await self._s.execute(
            f"UPDATE leads SET duplicate_of_id = $1, updated_at = $2 WHERE id IN ({marks})",
            open_lead_id,
            now,
            *lead_ids,
        )

    async def set_contact(self, lead_id: int, details: LeadContactDetails, now: datetime) -> None:
        """Write the lead's fillable contact fields and messenger ids as given."""
        sets = ", ".join(f"{column} = ${n + 2}" for n, column in enumerate(FILLABLE))
        await self._s.execute(
            f"UPDATE leads SET {sets}, messenger_ids = ${len(FILLABLE) + 2},"
            f" updated_at = ${len(FILLABLE) + 3} WHERE id = $1",
            lead_id,
            *(getattr(details, c) for c in FILLABLE),
            to_json(details.messenger_ids),
            now,
        )

    async def add_join(
        self,
        survivor_id: int,
        joined_id: int,
        by_lead_id: int | None,
        reason: str,
        before: dict[str, Any],
        moved: dict[str, list[int]],
        actor: str,
        now: datetime,
    ) -> int:
        """Journal a join of one open lead into another; returns its id."""
        row = await self._s.fetchrow(
            "INSERT INTO lead_joins (survivor_id, joined_id, by_lead_id, actor, reason, before,"
            " moved, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            survivor_id,
            joined_id,
            by_lead_id,
            actor,
            reason,
            to_json(before),
            to_json(moved),
            now,
        )
        assert row is not None
        return int(row["id"])

    async def get_join(self, join_id: int) -> LeadJoin | None:
        """One lead-join journal entry."""
        row = await self._s.fetchrow("SELECT * FROM lead_joins WHERE id = $1", join_id)
        return _join(row) if row else None

    async def joins_of(self, lead_id: int) -> list[LeadJoin]:
        """The journal entries a lead took part in (as survivor or joined), oldest first."""
        rows = await self._s.fetch(
            "SELECT * FROM lead_joins WHERE survivor_id = $1 OR joined_id = $1 ORDER BY id",
            lead_id,
        )
        return [_join(r) for r in rows]

    async def mark_join_undone(self, join_id: int, actor: str, now: datetime) -> None:
        """Close a lead-join journal entry."""
        await self._s.execute(
            "UPDATE lead_joins SET undone_at = $2, undone_by = $3 WHERE id = $1",
            join_id,
            now,
            actor,
        )

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

    async def triage(self, visible_to: str | None, limit: int) -> tuple[tuple[Lead, ...], int]:
        """New leads in triage order (urgent first, then the nearest deadline to take, then
        the oldest), the first `limit`, and how many there are in all."""
        q = Conditions()
        q.add("l.status = {}", LeadStatus.NEW.value)
        q.add("m.login = {}", visible_to)
        deadline_first = "CASE WHEN l.accept_by IS NULL THEN 1 ELSE 0 END, l.accept_by"
        return await self._counted_page(q, f"{URGENT_FIRST}, {deadline_first}, l.id", limit)

    async def open_listing(
        self, visible_to: str | None, limit: int
    ) -> tuple[tuple[Lead, ...], int]:
        """Leads new or in work, urgent first, then newest: the first `limit` and the total;
        `visible_to` limits them to one manager's."""
        q = Conditions()
        q.parts.append("l.status IN ('new', 'in_work')")
        q.add("m.login = {}", visible_to)
        return await self._counted_page(q, f"{URGENT_FIRST}, l.id DESC", limit)

    async def _counted_page(
        self, q: Conditions, order: str, limit: int
    ) -> tuple[tuple[Lead, ...], int]:
        """The first `limit` leads matching `q` in `order`, and how many match in all."""
        count = await self._s.fetchrow(
            "SELECT COUNT(*) AS n FROM leads l LEFT JOIN managers m ON m.id = l.assignee_id"
            f"{q.where()}",
            *q.args,
        )
        rows = await self._s.fetch(
            f"{LEAD_SELECT}{q.where()} ORDER BY {order} LIMIT ${len(q.args) + 1}",
            *q.args,
            limit,
        )
        return tuple(_lead(r) for r in rows), int(count["n"]) if count else 0


def _join(r: Row) -> LeadJoin:
    return LeadJoin(
        id=int(r["id"]),
        survivor_id=int(r["survivor_id"]),
        joined_id=int(r["joined_id"]),
        by_lead_id=r["by_lead_id"],
        actor=r["actor"],
        reason=r["reason"],
        before=from_json(r["before"]),
        moved=from_json(r["moved"]),
        joined_at=as_datetime(r["joined_at"]),
        undone_at=as_optional_datetime(r["undone_at"]),
    )


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
