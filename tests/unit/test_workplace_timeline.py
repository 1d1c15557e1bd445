"""The record timeline: audited changes read as sentences, in order, with who acted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_core.model import AuditEntry
from crm_core.sales import Activity, ActivityKind, RecordKind, Task
from workplace.pages.timeline import Names, audit_text, timeline

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NAMES = Names(
    by_login={"ivanova": "Анна Иванова", "head": "Ольга Петрова"},
    by_id={2: "Анна Иванова"},
    stages={},
    reasons={"spam": "Спам"},
)


def entry(action: str, minutes: int, actor: str = "ivanova", **after: object) -> AuditEntry:
    """An audit entry about lead 7, `minutes` after T0."""
    return AuditEntry(actor, "lead", 7, action, T0 + timedelta(minutes=minutes), after=after)


def test_changes_read_as_sentences_with_names() -> None:
    assert audit_text(entry("take", 1), NAMES) == "Взята в работу"
    assert audit_text(entry("junk", 1, junk_reason="spam"), NAMES) == "Брак: Спам"
    assert audit_text(entry("reassign", 1, assignee="head"), NAMES) == (
        "Передана менеджеру Ольга Петрова"
    )
    assert audit_text(entry("convert", 1, deal_id=12), NAMES) == "Конвертирована в сделку №12"


def test_what_other_items_show_is_not_repeated() -> None:
    # The creation is the lead itself; a move is its stage item on the deal card.
    assert audit_text(entry("created", 0, actor="system"), NAMES) is None
    assert audit_text(entry("move", 0, stage="won"), NAMES) is None


def test_one_list_newest_first_with_who_acted() -> None:
    message = Activity(
        1, RecordKind.LEAD, 7, ActivityKind.MESSAGE, "Нужен счёт", T0, "inbox:3", None
    )
    task = Task(
        5, RecordKind.LEAD, 7, "call", "Перезвонить", T0 + timedelta(hours=1), 2, None,
        "ivanova", T0,
    )  # fmt: skip
    items = timeline(
        [message], [task], [entry("take", 10), entry("created", 0, actor="system")], NAMES
    )
    assert [(i.kind, i.text, i.actor) for i in items] == [
        ("task", "Перезвонить", "Анна Иванова"),
        ("audit", "Взята в работу", "Анна Иванова"),
        ("message", "Нужен счёт", ""),
    ]
    assert items[0].task_id == 5 and items[0].done is False
