"""Records of the sales process: deals and their stage history, tasks, activities, assignments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class DealStatus(StrEnum):
    """Whether a deal is still being worked on."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class RecordKind(StrEnum):
    """What a task or an activity is attached to."""

    LEAD = "lead"
    CONTACT = "contact"
    COMPANY = "company"
    DEAL = "deal"


class ActivityKind(StrEnum):
    """A logged interaction."""

    CALL = "call"
    EMAIL = "email"
    MESSAGE = "message"
    NOTE = "note"


# Channels whose messages are not plain chat messages on the timeline; any other channel's
# message (Telegram, VK, Avito, a channel added later) is logged as a message.
KIND_BY_CHANNEL = {
    "email": ActivityKind.EMAIL,
    "call": ActivityKind.CALL,
}


class Health(StrEnum):
    """A record's task health: nothing overdue, something due today, something overdue."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True, slots=True)
class NewDeal:
    """A deal about to be created (from a conversion)."""

    title: str
    pipeline: str
    stage: str
    amount: Decimal | None
    currency: str
    products: list[Any]
    comment: str | None
    fields: dict[str, Any]
    contact_id: int | None
    company_id: int | None
    lead_id: int | None
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class Deal:
    """A stored deal."""

    id: int
    title: str
    pipeline: str
    stage: str
    status: DealStatus
    amount: Decimal | None
    currency: str
    products: list[Any]
    comment: str | None
    fields: dict[str, Any]
    contact_id: int | None
    company_id: int | None
    lead_id: int | None
    owner_id: int | None
    lost_reason: str | None
    pending_lost: dict[str, str] | None
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewTask:
    """A planned task."""

    entity: RecordKind
    entity_id: int
    task_type: str
    title: str
    due_at: datetime
    assignee_id: int | None
    created_by: str


@dataclass(frozen=True, slots=True)
class Task:
    """A stored task; `done_at` is set once it is done."""

    id: int
    entity: RecordKind
    entity_id: int
    task_type: str
    title: str
    due_at: datetime
    assignee_id: int | None
    done_at: datetime | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewActivity:
    """A logged call, e-mail, message or note."""

    entity: RecordKind
    entity_id: int
    kind: ActivityKind
    text: str | None
    at: datetime
    actor: str
    manager_id: int | None


@dataclass(frozen=True, slots=True)
class Activity:
    """A stored activity."""

    id: int
    entity: RecordKind
    entity_id: int
    kind: ActivityKind
    text: str | None
    at: datetime
    actor: str
    manager_id: int | None


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    """One assignment decision with its reason."""

    lead_id: int
    manager_id: int | None
    queue: str | None
    kind: str
    reason: str
    decided_at: datetime
    accept_by: datetime | None = None
    wait_until: datetime | None = None
    id: int | None = field(default=None)


def health(open_due: list[datetime], now: datetime, timezone: str) -> Health:
    """Red when a task is overdue, yellow when one is due later today (manager's day)."""
    zone = ZoneInfo(timezone)
    if any(due < now for due in open_due):
        return Health.RED
    today = now.astimezone(zone).date()
    if any(due.astimezone(zone).date() == today for due in open_due):
        return Health.YELLOW
    return Health.GREEN


def deal_health(open_due: list[datetime], now: datetime, timezone: str) -> Health:
    """A deal's colour on the board: red also when nothing is planned (an open deal needs a
    next step), otherwise as `health`."""
    return health(open_due, now, timezone) if open_due else Health.RED


def in_stage_for(deal: Deal, now: datetime) -> timedelta:
    """How long the deal has been in its current stage (until it closed, if closed)."""
    end = deal.closed_at or now
    return max(end - deal.stage_entered_at, timedelta(0))
