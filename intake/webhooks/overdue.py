"""task.overdue: tasks whose due time passed while open are reported once per due time."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_core.storage import Storage
from crm_core.webhooks import EventType, task_overdue_event

# A task overdue for longer than this when first seen (the service was down, or the
# subscription is new) is old news, not an event.
LOOKBACK = timedelta(days=1)
BATCH = 500


async def report_overdue_tasks(storage: Storage, now: datetime) -> int:
    """Record task.overdue for tasks gone overdue since the last look; returns how many."""
    async with storage.reader() as uow:
        wanted = any(
            s.active and EventType.TASK_OVERDUE in s.events
            for s in await uow.webhooks.subscriptions()
        )
    if not wanted:
        return 0
    async with storage.transaction() as uow:
        tasks = await uow.webhooks.overdue_tasks(now, now - LOOKBACK, BATCH)
        for task in tasks:
            uow.webhooks.record(task_overdue_event(task, now))
    return len(tasks)
