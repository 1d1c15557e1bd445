"""Whose records a report covers, and how the Отчёты page writes times."""

from __future__ import annotations

from crm_core.model import Manager, Role
from crm_core.reporting import report_owner_id
from workplace.pages.reports import duration


def manager(id_: int, role: Role = Role.MANAGER) -> Manager:
    """A team member with just what the scope rule reads."""
    return Manager(id_, f"m{id_}", f"M {id_}", role, None, None, "Europe/Moscow", True)


def test_a_manager_gets_her_own_whatever_she_picks() -> None:
    me = manager(1)
    assert report_owner_id(me) == 1
    assert report_owner_id(me, manager(2)) == 1


def test_a_head_gets_everyone_or_the_picked_manager() -> None:
    head = manager(9, Role.HEAD)
    assert report_owner_id(head) is None
    assert report_owner_id(head, manager(2)) == 2


def test_durations_read_as_minutes_hours_and_days() -> None:
    assert duration(None) == "—"
    assert duration(20) == "меньше минуты"
    assert duration(12 * 60) == "12\u00a0мин"
    assert duration(3 * 3600 + 5 * 60) == "3\u00a0ч 5\u00a0мин"
    assert duration(2 * 86400 + 4 * 3600) == "2\u00a0дн 4\u00a0ч"
