"""Deals, stage history, tasks, activities, assignment decisions and queue load in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm_core.pipelines import StageVisit
from crm_core.sales import (
    Activity,
    ActivityKind,
    AssignmentRecord,
    Deal,
    DealStatus,
    NewActivity,
    NewDeal,
    NewTask,
    RecordKind,
    Task,
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

CENTS = Decimal("0.01")
# The column of leads and deals that links them to a contact or a company.
LINK_COLUMNS = {RecordKind.CONTACT: "contact_id", RecordKind.COMPANY: "company_id"}


class SqlSalesRepository:
    """The sales-process tables over one session (a ports.SalesRepository)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    # ------------------------------------------------------------------ deals

    async def add_deal(self, deal: NewDeal, actor: str, now: datetime) -> Deal:
        """Create a deal in its first stage and open its stage history."""
        row = await self._s.fetchrow(
            "INSERT INTO deals (title, pipeline, stage, status, amount, currency, products,"
            " comment, fields, contact_id, company_id, lead_id, owner_id, stage_entered_at,"
            " created_at, updated_at)"
            " VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13)"
            " RETURNING id",
            deal.title,
            deal.pipeline,
            deal.stage,
            _money(deal.amount),
            deal.currency,
            to_json(deal.products),
            deal.comment,
            to_json(deal.fields),
            deal.contact_id,
            deal.company_id,
            deal.lead_id,
            deal.owner_id,
            now,
        )
        assert row is not None
        deal_id = int(row["id"])
        await self._s.execute(
            "INSERT INTO deal_stages (deal_id, stage, entered_at, actor) VALUES ($1, $2, $3, $4)",
            deal_id,
            deal.stage,
            now,
            actor,
        )
        stored = await self.get_deal(deal_id)
        assert stored is not None
        return stored

    async def get_deal(self, deal_id: int, *, for_update: bool = False) -> Deal | None:
        """One deal; `for_update` locks its row until the transaction ends (PostgreSQL)."""
        lock = " FOR UPDATE" if for_update and self._s.dialect == "postgres" else ""
        row = await self._s.fetchrow(f"SELECT * FROM deals WHERE id = $1{lock}", deal_id)
        return _deal(row) if row else None

    async def deal_for_lead(self, lead_id: int) -> Deal | None:
        """The deal a lead was converted into."""
        row = await self._s.fetchrow("SELECT * FROM deals WHERE lead_id = $1", lead_id)
        return _deal(row) if row else None

    async def list_deals(
        self,
        *,
        owner_id: int | None,
        pipeline: str | None,
        status: str | None,
        limit: int,
        before_id: int | None,
    ) -> list[Deal]:
        """Newest first, optionally one owner's, one pipeline's or one status's."""
        q = Conditions()
        q.add("owner_id = {}", owner_id)
        q.add("pipeline = {}", pipeline)
        q.add("status = {}", status)
        q.add("id < {}", before_id)
        q.args.append(limit)
        rows = await self._s.fetch(
            f"SELECT * FROM deals{q.where()} ORDER BY id DESC LIMIT ${len(q.args)}", *q.args
        )
        return [_deal(r) for r in rows]

    async def open_deal_owner(self, contact_id: int | None, company_id: int | None) -> int | None:
        """The owner of the newest open deal of a contact (or else of a company)."""
        deal = await self.open_deal(contact_id, company_id)
        return deal.owner_id if deal is not None else None

    async def open_deal(self, contact_id: int | None, company_id: int | None) -> Deal | None:
        """The newest open deal of a contact (or else of a company)."""
        for column, value in (("contact_id", contact_id), ("company_id", company_id)):
            if value is None:
                continue
            row = await self._s.fetchrow(
                f"SELECT * FROM deals WHERE {column} = $1 AND status = 'open'"
                " ORDER BY id DESC LIMIT 1",
                value,
            )
            if row:
                return _deal(row)
        return None

    async def move_deal(
        self,
        deal_id: int,
        stage: str,
        status: DealStatus,
        actor: str,
        now: datetime,
        lost_reason: str | None = None,
        closed_at: datetime | None = None,
    ) -> None:
        """Enter a stage: close the current history entry, open a new one. A closed deal is
        closed at `now` unless `closed_at` keeps when it was (a lost deal moved between
        lost stages)."""
        closed = (closed_at or now) if status is not DealStatus.OPEN else None
        await self._s.execute(
            "UPDATE deals SET stage = $2, status = $3, stage_entered_at = $4, updated_at = $4,"
            " closed_at = $5, lost_reason = $6, pending_lost = NULL WHERE id = $1",
            deal_id,
            stage,
            status.value,
            now,
            closed,
            lost_reason,
        )
        await self._s.execute(
            "UPDATE deal_stages SET left_at = $2 WHERE deal_id = $1 AND left_at IS NULL",
            deal_id,
            now,
        )
        await self._s.execute(
            "INSERT INTO deal_stages (deal_id, stage, entered_at, actor) VALUES ($1, $2, $3, $4)",
            deal_id,
            stage,
            now,
            actor,
        )

    async def set_pending_lost(
        self, deal_id: int, request: dict[str, str] | None, now: datetime
    ) -> None:
        """Store (or clear) a manager's request to close the deal as lost."""
        await self._s.execute(
            "UPDATE deals SET pending_lost = $2, updated_at = $3 WHERE id = $1",
            deal_id,
            to_json(request) if request is not None else None,
            now,
        )

    async def update_deal_fields(
        self,
        deal_id: int,
        *,
        amount: Decimal | None,
        products: list[Any],
        comment: str | None,
        fields: dict[str, Any],
        now: datetime,
    ) -> None:
        """Replace a deal's amount, products, comment and custom fields."""
        await self._s.execute(
            "UPDATE deals SET amount = $2, products = $3, comment = $4, fields = $5,"
            " updated_at = $6 WHERE id = $1",
            deal_id,
            _money(amount),
            to_json(products),
            comment,
            to_json(fields),
            now,
        )

    async def stage_history(self, deal_id: int) -> list[StageVisit]:
        """Every stage the deal entered, oldest first."""
        rows = await self._s.fetch(
            "SELECT stage, entered_at, left_at FROM deal_stages WHERE deal_id = $1 ORDER BY id",
            deal_id,
        )
        return [
            StageVisit(
                r["stage"], as_datetime(r["entered_at"]), as_optional_datetime(r["left_at"])
            )
            for r in rows
        ]

    async def stage_counts(self, pipeline: str) -> dict[str, int]:
        """How many deals (open or closed) stand in each stage of a pipeline now."""
        rows = await self._s.fetch_tuples(
            "SELECT stage, COUNT(*) FROM deals WHERE pipeline = $1 GROUP BY stage", pipeline
        )
        return {str(stage): int(n) for stage, n in rows}

    async def deals_in_stage(self, pipeline: str, stage: str) -> list[Deal]:
        """Every deal standing in a stage now, oldest first, locked until the transaction
        ends (PostgreSQL)."""
        lock = " FOR UPDATE" if self._s.dialect == "postgres" else ""
        rows = await self._s.fetch(
            f"SELECT * FROM deals WHERE pipeline = $1 AND stage = $2 ORDER BY id{lock}",
            pipeline,
            stage,
        )
        return [_deal(r) for r in rows]

    # ------------------------------------------------------------------ tasks

    async def add_tasks(self, tasks: Sequence[NewTask], now: datetime) -> list[int]:
        """Plan tasks; returns their ids."""
        ids = []
        for t in tasks:
            row = await self._s.fetchrow(
                "INSERT INTO tasks (entity, entity_id, task_type, title, due_at, assignee_id,"
                " created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                t.entity.value,
                t.entity_id,
                t.task_type,
                t.title,
                t.due_at,
                t.assignee_id,
                t.created_by,
                now,
            )
            assert row is not None
            ids.append(int(row["id"]))
        return ids

    async def linked_holder_ids(self, entity: RecordKind, entity_id: int) -> frozenset[int]:
        """Managers holding a lead (assignee) or a deal (owner) linked to a contact or company."""
        column = LINK_COLUMNS[entity]
        rows = await self._s.fetch(
            f"SELECT assignee_id AS manager_id FROM leads WHERE {column} = $1"
            " AND assignee_id IS NOT NULL"
            f" UNION SELECT owner_id FROM deals WHERE {column} = $1 AND owner_id IS NOT NULL",
            entity_id,
        )
        return frozenset(int(r["manager_id"]) for r in rows)

    async def get_task(self, task_id: int) -> Task | None:
        """One task."""
        row = await self._s.fetchrow("SELECT * FROM tasks WHERE id = $1", task_id)
        return _task(row) if row else None

    async def set_task_done(self, task_id: int, done_at: datetime | None) -> None:
        """Mark a task done (or not done again, with None)."""
        await self._s.execute("UPDATE tasks SET done_at = $2 WHERE id = $1", task_id, done_at)

    async def tasks_of(self, entity: RecordKind, entity_id: int) -> list[Task]:
        """A record's tasks, by due time."""
        rows = await self._s.fetch(
            "SELECT * FROM tasks WHERE entity = $1 AND entity_id = $2 ORDER BY due_at, id",
            entity.value,
            entity_id,
        )
        return [_task(r) for r in rows]

    async def open_tasks(
        self, assignee_id: int | None, limit: int
    ) -> list[tuple[Task, str | None]]:
        """Tasks not done yet, by due time, each with its lead's name or deal's title: one
        manager's, or everyone's with None."""
        # One manager's walks the partial index tasks_open (assignee_id, due_at) in due order.
        args: list[Any] = [limit]
        mine = ""
        if assignee_id is not None:
            args.append(assignee_id)
            mine = " AND t.assignee_id = $2"
        rows = await self._s.fetch(
            "SELECT t.*, CASE t.entity WHEN 'deal' THEN d.title ELSE COALESCE(l.name,"
            " NULLIF(TRIM(COALESCE(l.last_name, '') || ' ' || COALESCE(l.first_name, '')), ''))"
            " END AS record_title FROM tasks t"
            " LEFT JOIN leads l ON t.entity = 'lead' AND l.id = t.entity_id"
            " LEFT JOIN deals d ON t.entity = 'deal' AND d.id = t.entity_id"
            f" WHERE t.done_at IS NULL{mine} ORDER BY t.due_at, t.id LIMIT $1",
            *args,
        )
        return [(_task(r), r["record_title"]) for r in rows]

    async def open_task_count(self, entity: RecordKind, entity_id: int) -> int:
        """How many planned tasks a record has that are not done."""
        row = await self._s.fetchrow(
            "SELECT COUNT(*) AS n FROM tasks WHERE entity = $1 AND entity_id = $2"
            " AND done_at IS NULL",
            entity.value,
            entity_id,
        )
        return int(row["n"]) if row else 0

    async def open_tasks_of_many(
        self, entity: RecordKind, entity_ids: Sequence[int]
    ) -> list[Task]:
        """The tasks not done of many records, by due time (one query)."""
        if not entity_ids:
            return []
        marks = ", ".join(f"${n}" for n in range(2, len(entity_ids) + 2))
        rows = await self._s.fetch(
            f"SELECT * FROM tasks WHERE entity = $1 AND entity_id IN ({marks})"
            " AND done_at IS NULL ORDER BY due_at, id",
            entity.value,
            *entity_ids,
        )
        return [_task(r) for r in rows]

    async def deal_clients(self, deal_ids: Sequence[int]) -> dict[int, str]:
        """Each deal's client by name: its contact's, else its company's (one query)."""
        if not deal_ids:
            return {}
        marks = ", ".join(f"${n}" for n in range(1, len(deal_ids) + 1))
        rows = await self._s.fetch(
            "SELECT d.id, c.name, c.last_name, c.first_name, co.name AS company"
            " FROM deals d LEFT JOIN contacts c ON c.id = d.contact_id"
            f" LEFT JOIN companies co ON co.id = d.company_id WHERE d.id IN ({marks})",
            *deal_ids,
        )
        names = {}
        for r in rows:
            person = r["name"] or " ".join(p for p in (r["last_name"], r["first_name"]) if p)
            name = person or r["company"]
            if name:
                names[int(r["id"])] = name
        return names

    # ------------------------------------------------------------------ activities

    async def add_activity(self, activity: NewActivity, now: datetime) -> int:
        """Log an activity; returns its id."""
        row = await self._s.fetchrow(
            "INSERT INTO activities (entity, entity_id, kind, text, at, actor, manager_id,"
            " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            activity.entity.value,
            activity.entity_id,
            activity.kind.value,
            activity.text,
            activity.at,
            activity.actor,
            activity.manager_id,
            now,
        )
        assert row is not None
        return int(row["id"])

    async def move_work(
        self, entity: RecordKind, from_id: int, to_id: int
    ) -> dict[str, list[int]]:
        """Move a record's activities and tasks to another record of the same kind; returns
        the ids moved ({"activities": [...], "tasks": [...]})."""
        moved: dict[str, list[int]] = {}
        for table in ("activities", "tasks"):
            rows = await self._s.fetch(
                f"SELECT id FROM {table} WHERE entity = $1 AND entity_id = $2 ORDER BY id",
                entity.value,
                from_id,
            )
            moved[table] = [int(r["id"]) for r in rows]
            await self._s.execute(
                f"UPDATE {table} SET entity_id = $3 WHERE entity = $1 AND entity_id = $2",
                entity.value,
                from_id,
                to_id,
            )
        return moved

    async def set_work_record(
        self, moved: dict[str, list[int]], entity: RecordKind, entity_id: int
    ) -> None:
        """Point activities and tasks (as move_work returned them) at a record."""
        for table in ("activities", "tasks"):
            ids = moved.get(table, [])
            if not ids:
                continue
            marks = ", ".join(f"${n + 3}" for n in range(len(ids)))
            await self._s.execute(
                f"UPDATE {table} SET entity = $1, entity_id = $2 WHERE id IN ({marks})",
                entity.value,
                entity_id,
                *ids,
            )

    async def delete_activity(self, activity_id: int) -> None:
        """Remove one activity (a join's own entry, when the join is undone)."""
        await self._s.execute("DELETE FROM activities WHERE id = $1", activity_id)

    async def activities_of(self, entity: RecordKind, entity_id: int) -> list[Activity]:
        """A record's activities, newest first."""
        rows = await self._s.fetch(
            "SELECT * FROM activities WHERE entity = $1 AND entity_id = $2 ORDER BY at DESC, id",
            entity.value,
            entity_id,
        )
        return [
            Activity(
                id=int(r["id"]),
                entity=RecordKind(r["entity"]),
                entity_id=int(r["entity_id"]),
                kind=ActivityKind(r["kind"]),
                text=r["text"],
                at=as_datetime(r["at"]),
                actor=r["actor"],
                manager_id=r["manager_id"],
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ assignment

    async def add_assignment(self, record: AssignmentRecord) -> int:
        """Store an assignment decision."""
        row = await self._s.fetchrow(
            "INSERT INTO lead_assignments (lead_id, manager_id, queue, kind, reason, decided_at,"
            " accept_by, wait_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            record.lead_id,
            record.manager_id,
            record.queue,
            record.kind,
            record.reason,
            record.decided_at,
            record.accept_by,
            record.wait_until,
        )
        assert row is not None
        return int(row["id"])

    async def assignments_of(self, lead_id: int) -> list[AssignmentRecord]:
        """Every assignment decision about a lead, oldest first."""
        rows = await self._s.fetch(
            "SELECT * FROM lead_assignments WHERE lead_id = $1 ORDER BY id", lead_id
        )
        return [
            AssignmentRecord(
                lead_id=int(r["lead_id"]),
                manager_id=r["manager_id"],
                queue=r["queue"],
                kind=r["kind"],
                reason=r["reason"],
                decided_at=as_datetime(r["decided_at"]),
                accept_by=as_optional_datetime(r["accept_by"]),
                wait_until=as_optional_datetime(r["wait_until"]),
                id=int(r["id"]),
            )
            for r in rows
        ]

    async def queue_load(self, queue: str) -> dict[int, tuple[int, date, int]]:
        """Per manager of a queue: (served, day, leads given on that day)."""
        rows = await self._s.fetch(
            "SELECT manager_id, served, day, day_count FROM queue_load WHERE queue = $1", queue
        )
        return {
            int(r["manager_id"]): (int(r["served"]), date.fromisoformat(r["day"]), r["day_count"])
            for r in rows
        }

    async def count_assignment(self, queue: str, manager_id: int, day: date) -> None:
        """One more lead given to a manager by a queue (on the manager's local `day`)."""
        await self._s.execute(
            "INSERT INTO queue_load (queue, manager_id, served, day, day_count)"
            " VALUES ($1, $2, 1, $3, 1) ON CONFLICT (queue, manager_id) DO UPDATE SET"
            " served = queue_load.served + 1,"
            " day_count = CASE WHEN queue_load.day = excluded.day"
            " THEN queue_load.day_count + 1 ELSE 1 END,"
            " day = excluded.day",
            queue,
            manager_id,
            day.isoformat(),
        )

    async def overdue_acceptance(self, now: datetime, limit: int) -> list[int]:
        """New leads whose assignee has not taken them by their acceptance deadline."""
        lock = " FOR UPDATE SKIP LOCKED" if self._s.dialect == "postgres" else ""
        rows = await self._s.fetch(
            "SELECT id FROM leads WHERE accept_by IS NOT NULL AND accept_by <= $1"
            f" AND status = 'new' ORDER BY accept_by LIMIT $2{lock}",
            now,
            limit,
        )
        return [int(r["id"]) for r in rows]


def _money(value: Decimal | None) -> Any:
    return None if value is None else str(value)


def _decimal(value: Any) -> Decimal | None:
    # SQLite's NUMERIC affinity stores 120000.00 as the integer 120000: restore the cents.
    return None if value is None else Decimal(str(value)).quantize(CENTS)


def _deal(r: Row) -> Deal:
    return Deal(
        id=int(r["id"]),
        title=r["title"],
        pipeline=r["pipeline"],
        stage=r["stage"],
        status=DealStatus(r["status"]),
        amount=_decimal(r["amount"]),
        currency=r["currency"],
        products=from_json(r["products"]) or [],
        comment=r["comment"],
        fields=from_json(r["fields"]) or {},
        contact_id=r["contact_id"],
        company_id=r["company_id"],
        lead_id=r["lead_id"],
        owner_id=r["owner_id"],
        lost_reason=r["lost_reason"],
        pending_lost=from_json(r["pending_lost"]),
        stage_entered_at=as_datetime(r["stage_entered_at"]),
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
        closed_at=as_optional_datetime(r["closed_at"]),
    )


def _task(r: Row) -> Task:
    return Task(
        id=int(r["id"]),
        entity=RecordKind(r["entity"]),
        entity_id=int(r["entity_id"]),
        task_type=r["task_type"],
        title=r["title"],
        due_at=as_datetime(r["due_at"]),
        assignee_id=r["assignee_id"],
        done_at=as_optional_datetime(r["done_at"]),
        created_by=r["created_by"],
        created_at=as_datetime(r["created_at"]),
    )
