"""The assignment engine: who gets a new lead, and why (pure; the caller stores the result).

Order of decision: the owner of the matched contact/company/deal; else weighted round-robin
among queue members on duty with capacity left; else the queue's fallback (a manager, or
wait for the first member to come on duty). A lead not taken within the queue's acceptance
timeout is handed over to the next member. Every datetime returned is aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeAlias

from crm_core.schedule import HORIZON, Availability, require_aware


@dataclass(frozen=True, slots=True)
class QueueMember:
    """A manager in a queue: weight (share of leads) and daily capacity (None: no cap)."""

    manager_id: int
    name: str
    weight: int = 1
    daily_capacity: int | None = None
    availability: Availability = field(default_factory=Availability.always)
    active: bool = True

    def __post_init__(self) -> None:
        if self.weight < 1:
            raise ValueError(f"{self.name}: weight must be at least 1, got {self.weight}")
        if self.daily_capacity is not None and self.daily_capacity < 1:
            raise ValueError(
                f"{self.name}: daily capacity must be at least 1 or None,"
                f" got {self.daily_capacity}"
            )


@dataclass(frozen=True, slots=True)
class FallbackManager:
    """When nobody is eligible, the lead goes to this manager (usually the head)."""

    manager_id: int
    name: str
    title: str = "руководитель"


@dataclass(frozen=True, slots=True)
class WaitForDuty:
    """When nobody is eligible, the lead waits for the first member to come on duty."""


Fallback: TypeAlias = FallbackManager | WaitForDuty


@dataclass(frozen=True, slots=True)
class Queue:
    """Managers who share the leads of a form, channel or pipeline."""

    key: str
    name: str
    members: tuple[QueueMember, ...]
    fallback: Fallback = WaitForDuty()
    acceptance_timeout: timedelta | None = None

    def __post_init__(self) -> None:
        ids = [m.manager_id for m in self.members]
        if len(ids) != len(set(ids)):
            raise ValueError(f"queue {self.key!r}: a manager is listed twice")
        if self.acceptance_timeout is not None and self.acceptance_timeout <= timedelta(0):
            raise ValueError(f"queue {self.key!r}: acceptance timeout must be positive")


@dataclass(frozen=True, slots=True)
class ManagerLoad:
    """A manager's leads today (in their local day) and leads this queue gave them so far."""

    assigned_today: int = 0
    served: int = 0


QueueLoad: TypeAlias = Mapping[int, ManagerLoad]
"""Load per manager id; a manager missing from it has no load."""


@dataclass(frozen=True, slots=True)
class OwnerHint:
    """The owner of the matched contact, company or deal; label is e.g. "компании №45"."""

    manager_id: int
    name: str
    label: str
    active: bool = True
    absent: bool = False
    on_duty: bool = True

    @classmethod
    def at(
        cls,
        manager_id: int,
        name: str,
        label: str,
        availability: Availability,
        now: datetime,
        *,
        active: bool = True,
    ) -> OwnerHint:
        """The hint with `absent` and `on_duty` read from the owner's availability at `now`."""
        absent = availability.is_absent(now)
        return cls(manager_id, name, label, active, absent, availability.is_on_duty(now))


class AssignmentKind(StrEnum):
    """Which rule made the decision."""

    OWNER = "owner"
    ROUND_ROBIN = "round_robin"
    FALLBACK = "fallback"
    WAITING = "waiting"
    HAND_OVER = "hand_over"
    ANSWERED_CALL = "answered_call"  # the manager who picked up the phone keeps the client


@dataclass(frozen=True, slots=True)
class Assignment:
    """The decision: who (None while waiting), why, and until when they must take the lead."""

    manager_id: int | None
    kind: AssignmentKind
    reason: str
    wait_until: datetime | None = None
    accept_by: datetime | None = None


def assign(
    queue: Queue,
    load: QueueLoad,
    now: datetime,
    *,
    owner: OwnerHint | None = None,
    exclude: frozenset[int] = frozenset(),
) -> Assignment:
    """Decide who gets a new lead: the owner, else round-robin, else the queue's fallback.

    The owner needs no queue membership and no capacity; an owner off duty still gets the
    lead (the acceptance timeout hands it over), an inactive or absent one does not.
    """
    instant = require_aware(now)
    skipped = ""
    if owner is not None:
        if owner.active and not owner.absent and owner.manager_id not in exclude:
            off = "" if owner.on_duty else " (вне смены)"
            reason = f"владелец {owner.label}: {owner.name}{off}"
            return _to(owner.manager_id, AssignmentKind.OWNER, reason, queue, instant)
        why = "неактивен" if not owner.active else "отсутствует" if owner.absent else "исключён"
        skipped = f"владелец {owner.label} {owner.name} {why}; "
    return _distribute(queue, load, instant, exclude, skipped, AssignmentKind.ROUND_ROBIN)


def hand_over(
    queue: Queue,
    load: QueueLoad,
    now: datetime,
    *,
    previous: int,
    tried: frozenset[int] = frozenset(),
    owner: OwnerHint | None = None,
) -> Assignment:
    """Pass a lead not taken in time to the next member (never one already tried).

    `previous` is who did not take it (it counts as tried); `owner` is the hint given to
    `assign`, only used to name an owner outside the queue. With everyone tried, the queue
    falls back: to its fallback manager (who keeps the lead, without a new deadline, once
    they too were tried), or to waiting for an untried member.
    """
    instant = require_aware(now)
    names = {m.manager_id: m.name for m in queue.members}
    if isinstance(queue.fallback, FallbackManager):
        names.setdefault(queue.fallback.manager_id, queue.fallback.name)
    if owner is not None:
        names.setdefault(owner.manager_id, owner.name)
    within = f" за {_duration(queue.acceptance_timeout)}" if queue.acceptance_timeout else ""
    who = names.get(previous, f"№{previous}")
    prefix = f"передача: менеджер {who} не взял заявку{within}, "
    return _distribute(queue, load, instant, tried | {previous}, prefix, AssignmentKind.HAND_OVER)


def is_acceptance_overdue(accept_by: datetime | None, now: datetime) -> bool:
    """Whether the assignee's time to take the lead is up (never, without a deadline)."""
    return accept_by is not None and require_aware(now) >= require_aware(accept_by, "accept_by")


def _distribute(
    queue: Queue,
    load: QueueLoad,
    now: datetime,
    exclude: frozenset[int],
    prefix: str,
    kind: AssignmentKind,
) -> Assignment:
    loads = {m.manager_id: load.get(m.manager_id, ManagerLoad()) for m in queue.members}
    candidates = [m for m in queue.members if m.active and m.manager_id not in exclude]
    on_duty = [m for m in candidates if m.availability.is_on_duty(now)]
    eligible = [m for m in on_duty if _has_capacity(m, loads[m.manager_id])]
    if eligible:
        chosen = min(eligible, key=lambda m: _fairness_key(m, loads[m.manager_id]))
        cap, used = chosen.daily_capacity, loads[chosen.manager_id].assigned_today + 1
        capacity = f"загрузка {used}/{cap}" if cap is not None else "без лимита"
        reason = f"{prefix}по очереди: {chosen.name} на смене, {capacity}"
        return _to(chosen.manager_id, kind, reason, queue, now)
    if not any(m.active for m in queue.members):
        why = "в очереди нет активных менеджеров"
    elif not candidates:
        why = "заявку предлагали всем"
    else:
        why = "все на смене загружены до лимита" if on_duty else "никого нет на смене"
    fallback = queue.fallback
    if isinstance(fallback, FallbackManager):
        who = f"{fallback.title} {fallback.name}"
        if fallback.manager_id in exclude:
            # Nobody is left to hand it to: a deadline would only loop back to them.
            reason = f"{prefix}резерв: {why}, остаётся у: {who}"
            return Assignment(fallback.manager_id, AssignmentKind.FALLBACK, reason)
        reason = f"{prefix}резерв: {why}, {who}"
        return _to(fallback.manager_id, AssignmentKind.FALLBACK, reason, queue, now)
    comes = [(t, m) for m in candidates if (t := _eligible_from(m, loads[m.manager_id], now))]
    if not comes:
        # No automatic retry: the lead stays in the queue for anyone to take by hand.
        horizon = _duration(HORIZON)
        later = f", никто не выйдет на смену в ближайшие {horizon}" if candidates else ""
        return Assignment(None, AssignmentKind.WAITING, f"{prefix}ожидание: {why}{later}")
    at, first = min(comes, key=lambda c: (c[0], c[1].manager_id))
    hours = first.availability.hours
    when = f"{at.astimezone(hours.zone):%Y-%m-%d %H:%M} {hours.timezone}"
    reason = f"{prefix}ожидание: {why}, {first.name} на смене с {when}"
    return Assignment(None, AssignmentKind.WAITING, reason, wait_until=at)


def _to(
    manager_id: int, kind: AssignmentKind, reason: str, queue: Queue, now: datetime
) -> Assignment:
    timeout = queue.acceptance_timeout
    accept_by = now + timeout if timeout is not None else None  # `now` is UTC already
    return Assignment(manager_id, kind, reason, accept_by=accept_by)


def _has_capacity(member: QueueMember, load: ManagerLoad) -> bool:
    return member.daily_capacity is None or load.assigned_today < member.daily_capacity


def _fairness_key(member: QueueMember, load: ManagerLoad) -> tuple[float, int, int]:
    # The D'Hondt sequence: whoever is furthest below their weighted share goes next, so no
    # member ever falls a whole lead behind it (weights 3:2:1 give 1, 2, 1, 3, 2, 1, ...).
    # A float quotient is exact enough: equal small-integer ratios round to the same double
    # and different ones to different doubles, so ties and order match Fraction's.
    share = (load.served + 1) / member.weight
    return share, load.assigned_today, member.manager_id


def _eligible_from(member: QueueMember, load: ManagerLoad, now: datetime) -> datetime | None:
    """When the member can next take a lead: on duty, with capacity (a new day resets it)."""
    start = now
    if not _has_capacity(member, load):
        start = member.availability.next_local_midnight(now)
    remaining = HORIZON - (start - now)
    if remaining < timedelta(0):
        return None
    return member.availability.next_on_duty(start, remaining)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("дн.", 86400), ("ч", 3600), ("мин", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} с"
