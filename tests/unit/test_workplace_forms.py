"""Pure parts of the workplace's task and conversion forms: grouping by day, local due times,
amounts as people type them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from crm_core.sales import RecordKind, Task
from workplace.pages.convert import money
from workplace.pages.lead_notes import local_due
from workplace.pages.tasks import group_tasks

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 29.03 01:30 in Berlin: a 23-hour day


def task(task_id: int, due: datetime) -> tuple[Task, str | None]:
    """An open task on lead 1, with the lead's name."""
    stored = Task(task_id, RecordKind.LEAD, 1, "call", f"t{task_id}", due, 1, None, "x", NOW)
    return stored, "Иван"


def test_today_ends_at_the_viewers_local_midnight_across_a_dst_switch() -> None:
    tasks = [
        task(1, datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),  # half an hour ago
        task(2, datetime(2026, 3, 29, 21, 59, tzinfo=UTC)),  # 23:59 CEST, the same local day
        task(3, datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),  # 30.03 00:00 CEST
        task(4, datetime(2026, 3, 29, 22, 30, tzinfo=UTC)),  # before "midnight + 24 h"
    ]
    groups = group_tasks(reversed(tasks), NOW, "Europe/Berlin")
    assert [i.task.id for i in groups.overdue] == [1]
    assert [i.task.id for i in groups.today] == [2]
    assert [i.task.id for i in groups.upcoming] == [3, 4]
    assert groups.today[0].record == "Заявка №1: Иван" and groups.today[0].href == "/leads/1"
    utc = group_tasks(tasks, NOW, "UTC")
    assert [i.task.id for i in utc.today] == [2, 3, 4] and utc.upcoming == []


def test_a_local_due_time_becomes_aware_utc() -> None:
    assert local_due("2026-12-08T10:00", "Europe/Moscow") == datetime(2026, 12, 8, 7, tzinfo=UTC)
    assert local_due("2026-07-01T09:30:00", "Europe/Berlin") == datetime(
        2026, 7, 1, 7, 30, tzinfo=UTC
    )
    for bad in ("", "завтра", "2026-13-01T10:00", "2026-12-08"):
        assert local_due(bad, "Europe/Moscow") is None


def test_amounts_as_people_type_them() -> None:
    assert money("150 000,50") == Decimal("150000.50")
    assert money("150\u00a0000") == Decimal("150000.00")
    assert money("99.999") == Decimal("100.00")
    for bad in ("сто", "-5", "1e400", "NaN", "1" * 50):
        assert money(bad) is None
