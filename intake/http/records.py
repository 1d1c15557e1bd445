"""Tasks and activities of a record as JSON, with the record's health colour."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_core.sales import Activity, RecordKind, Task, health
from crm_core.storage.ports import UnitOfWork


async def work_json(
    uow: UnitOfWork, entity: RecordKind, entity_id: int, timezone: str, now: datetime
) -> dict[str, Any]:
    """`health`, `tasks` and `activities` of a lead, contact, company or deal."""
    tasks = await uow.sales.tasks_of(entity, entity_id)
    activities = await uow.sales.activities_of(entity, entity_id)
    return {
        "health": health([t.due_at for t in tasks if t.done_at is None], now, timezone).value,
        "tasks": [task_json(t, now, timezone) for t in tasks],
        "activities": [activity_json(a) for a in activities],
    }


def task_json(task: Task, now: datetime, timezone: str) -> dict[str, Any]:
    """The public JSON shape of a task."""
    return {
        "id": task.id,
        "entity": task.entity.value,
        "entity_id": task.entity_id,
        "type": task.task_type,
        "title": task.title,
        "due_at": task.due_at.isoformat(),
        "assignee_id": task.assignee_id,
        "done": task.done_at is not None,
        "done_at": task.done_at.isoformat() if task.done_at else None,
        "health": None if task.done_at else health([task.due_at], now, timezone).value,
    }


def activity_json(activity: Activity) -> dict[str, Any]:
    """The public JSON shape of an activity."""
    return {
        "id": activity.id,
        "kind": activity.kind.value,
        "text": activity.text,
        "at": activity.at.isoformat(),
        "actor": activity.actor,
    }
