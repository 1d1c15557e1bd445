"""Deals, stage history, tasks, activities, assignment decisions and queue load."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from crm_core.pipelines import StageVisit
from crm_core.sales import (
    Activity,
    AssignmentRecord,
    Deal,
    DealStatus,
    NewActivity,
    NewDeal,
    NewTask,
    RecordKind,
    Task,
)


class SalesRepository(Protocol):
    """The sales process after a lead: deals and their stages, tasks, activities, assignment."""

    async def add_deal(self, deal: NewDeal, actor: str, now: datetime) -> Deal:
        """Create a deal in its first stage and open its stage history."""

    async def get_deal(self, deal_id: int, *, for_update: bool = False) -> Deal | None:
        """One deal; `for_update` locks it until the transaction ends (PostgreSQL)."""

    async def deal_for_lead(self, lead_id: int) -> Deal | None:
        """The deal a lead was converted into."""

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

    async def open_deal_owner(self, contact_id: int | None, company_id: int | None) -> int | None:
        """The owner of the newest open deal of a contact (or else of a company)."""

    async def open_deal(self, contact_id: int | None, company_id: int | None) -> Deal | None:
        """The newest open deal of a contact (or else of a company)."""

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

    async def set_pending_lost(
        self, deal_id: int, request: dict[str, str] | None, now: datetime
    ) -> None:
        """Store (or clear) a manager's request to close the deal as lost."""

    async def stage_history(self, deal_id: int) -> list[StageVisit]:
        """Every stage the deal entered, oldest first."""

    async def stage_counts(self, pipeline: str) -> dict[str, int]:
        """How many deals (open or closed) stand in each stage of a pipeline now."""

    async def deals_in_stage(self, pipeline: str, stage: str) -> list[Deal]:
        """Every deal standing in a stage now, oldest first, locked until the transaction
        ends (PostgreSQL)."""

    async def add_tasks(self, tasks: Sequence[NewTask], now: datetime) -> list[int]:
        """Plan tasks; returns their ids."""

    async def linked_holder_ids(self, entity: RecordKind, entity_id: int) -> frozenset[int]:
        """Managers holding a lead (assignee) or a deal (owner) linked to a contact or company."""

    async def get_task(self, task_id: int) -> Task | None:
        """One task."""

    async def set_task_done(self, task_id: int, done_at: datetime | None) -> None:
        """Mark a task done (or not done again, with None)."""

    async def tasks_of(self, entity: RecordKind, entity_id: int) -> list[Task]:
        """A record's tasks, by due time."""

    async def open_tasks(
        self, assignee_id: int | None, limit: int
    ) -> list[tuple[Task, str | None]]:
        """Tasks not done yet, by due time, each with its lead's name or deal's title: one
        manager's, or everyone's with None."""

    async def open_task_count(self, entity: RecordKind, entity_id: int) -> int:
        """How many planned tasks a record has that are not done."""

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

    async def open_tasks_of_many(
        self, entity: RecordKind, entity_ids: Sequence[int]
    ) -> list[Task]:
        """The tasks not done of many records, by due time (one query)."""

    async def deal_clients(self, deal_ids: Sequence[int]) -> dict[int, str]:
        """Each deal's client by name: its contact's, else its company's (one query)."""

    async def add_activity(self, activity: NewActivity, now: datetime) -> int:
        """Log an activity; returns its id."""

    async def move_work(
        self, entity: RecordKind, from_id: int, to_id: int
    ) -> dict[str, list[int]]:
        """Move a record's activities and tasks to another record of the same kind; returns
        the ids moved ({"activities": [...], "tasks": [...]})."""

    async def set_work_record(
        self, moved: dict[str, list[int]], entity: RecordKind, entity_id: int
    ) -> None:
        """Point activities and tasks (as move_work returned them) at a record."""

    async def delete_activity(self, activity_id: int) -> None:
        """Remove one activity (a join's own entry, when the join is undone)."""

    async def activities_of(self, entity: RecordKind, entity_id: int) -> list[Activity]:
        """A record's activities, newest first."""

    async def add_assignment(self, record: AssignmentRecord) -> int:
        """Store an assignment decision."""

    async def assignments_of(self, lead_id: int) -> list[AssignmentRecord]:
        """Every assignment decision about a lead, oldest first."""

    async def queue_load(self, queue: str) -> dict[int, tuple[int, date, int]]:
        """Per manager of a queue: (served, day, leads given on that day)."""

    async def count_assignment(self, queue: str, manager_id: int, day: date) -> None:
        """One more lead given to a manager by a queue (on the manager's local `day`)."""

    async def overdue_acceptance(self, now: datetime, limit: int) -> list[int]:
        """New leads whose assignee has not taken them by their acceptance deadline."""
