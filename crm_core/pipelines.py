"""Deal pipelines, pure: stage lists, stage-order modes and the rules a stage move must pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from crm_core.errors import DomainError
from crm_core.model import Role


class StageKind(StrEnum):
    """Whether a stage keeps the deal open or closes it."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class StageOrder(StrEnum):
    """How freely deals may move between the open stages of a pipeline."""

    STRICT = "strict"
    SEMI_STRICT = "semi_strict"
    FREE = "free"


class MoveOutcome(StrEnum):
    """What a permitted move leads to."""

    MOVED = "moved"
    AWAITING_APPROVAL = "awaiting_approval"


# A refused move is the caller's to fix (422) unless it needs another role (403) or
# conflicts with the deal's current state (409).
_STATUS = {
    "head_only": 403,
    "backward_move_needs_head": 403,
    "deal_closed": 409,
    "lost_pending": 409,
    "no_pending_lost": 409,
}


class StageRuleViolation(DomainError):
    """A stage move refused by a rule; `rule` is a stable code, `needed` what would satisfy it."""

    def __init__(self, rule: str, message: str, needed: tuple[str, ...] = ()) -> None:
        field_at_fault = "reason" if rule == "lost_reason_required" else "stage"
        super().__init__(field_at_fault, message, _STATUS.get(rule, 422))
        self.rule = rule
        self.needed = needed


@dataclass(frozen=True, slots=True)
class StageTask:
    """A task created when a deal enters a stage, due `due_in` after the move."""

    title: str
    due_in: timedelta
    task_type: str = "call"

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("stage task needs a title")
        if self.due_in < timedelta(0):
            raise ValueError(f"stage task {self.title!r} has a negative due_in")


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a pipeline with the rules for entering it."""

    key: str
    name: str
    kind: StageKind = StageKind.OPEN
    required_fields: tuple[str, ...] = ()
    tasks_on_enter: tuple[StageTask, ...] = ()
    color: str | None = None
    # The deal follows the money: an issued invoice moves it here (`on_invoice`), a fully
    # paid one (`on_payment`), when the deal stands before this stage.
    on_invoice: bool = False
    on_payment: bool = False

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("stage needs a key")
        # Config hands over plain strings and lists; normalise so equality and hashing hold.
        object.__setattr__(self, "kind", StageKind(self.kind))
        object.__setattr__(self, "required_fields", tuple(self.required_fields))
        object.__setattr__(self, "tasks_on_enter", tuple(self.tasks_on_enter))


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A sales direction: ordered open stages followed by one won and some lost stages."""

    key: str
    name: str
    stages: tuple[Stage, ...]
    stage_order: StageOrder = StageOrder.STRICT
    require_next_activity: bool = True
    lost_requires_approval: bool = False
    lost_reasons: tuple[str, ...] = ()
    # Closing documents: a deal is won only once its paid invoices are fully shipped or
    # acted; an issued (not yet paid) invoice may be shipped.
    won_requires_shipment: bool = False
    ship_before_payment: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "stage_order", StageOrder(self.stage_order))
        object.__setattr__(self, "lost_reasons", tuple(self.lost_reasons))
        where = f"pipeline {self.key!r}"
        keys = [s.key for s in self.stages]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"{where}: duplicate stage keys: {', '.join(duplicates)}")
        kinds = [s.kind for s in self.stages]
        if StageKind.OPEN not in kinds:
            raise ValueError(f"{where}: needs at least one open stage")
        if kinds.count(StageKind.WON) != 1:
            raise ValueError(f"{where}: needs exactly one won stage")
        if StageKind.LOST not in kinds:
            raise ValueError(f"{where}: needs at least one lost stage")
        open_count = kinds.count(StageKind.OPEN)
        if any(k is not StageKind.OPEN for k in kinds[:open_count]):
            raise ValueError(f"{where}: won and lost stages must come after all open stages")
        if any(not r.strip() for r in self.lost_reasons):
            raise ValueError(f"{where}: lost reasons must not be empty")
        for flag in ("on_invoice", "on_payment"):
            flagged = [s for s in self.stages if getattr(s, flag)]
            if len(flagged) > 1:
                raise ValueError(f"{where}: only one stage may be marked {flag}")
            if flagged and flagged[0].kind is not StageKind.OPEN:
                raise ValueError(f"{where}: {flag} marks an open stage, not {flagged[0].key!r}")

    def flagged_stage(self, flag: str) -> Stage | None:
        """The stage marked `on_invoice` or `on_payment`, if one is."""
        return next((s for s in self.stages if getattr(s, flag)), None)

    @property
    def first_stage(self) -> Stage:
        """The stage a new deal starts in."""
        return self.stages[0]

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """The open stages, in order."""
        return tuple(s for s in self.stages if s.kind is StageKind.OPEN)

    def stage(self, key: str) -> Stage:
        """The stage with this key; an unknown key is a rule violation."""
        return self.stages[self.index(key)]

    def index(self, key: str) -> int:
        """The position of a stage in the pipeline."""
        for i, stage in enumerate(self.stages):
            if stage.key == key:
                return i
        raise StageRuleViolation(
            "unknown_stage", f"pipeline {self.key!r} has no stage {key!r}", (key,)
        )


@dataclass(frozen=True, slots=True)
class LostRequest:
    """A manager's request to close a deal as lost, waiting for a head."""

    stage: str
    reason: str


@dataclass(frozen=True, slots=True)
class DealState:
    """What the stage rules need to know about a deal."""

    stage: str
    visited: frozenset[str] = frozenset()
    fields: Mapping[str, object] = field(default_factory=dict)
    has_planned_activity: bool = False
    pending_lost: LostRequest | None = None
    # Invoices neither fully paid nor withdrawn (rejected, cancelled): the deal cannot be won.
    unpaid_invoices: int = 0
    # Paid invoices with a line no done shipment or act closes.
    unshipped_invoices: int = 0


class PlannedTask(NamedTuple):
    """A stage task with its due time fixed at the move."""

    task: StageTask
    due_at: datetime


@dataclass(frozen=True, slots=True)
class MovePlan:
    """A permitted move: where the deal goes, the tasks to create and the lost reason."""

    outcome: MoveOutcome
    target: Stage
    tasks: tuple[PlannedTask, ...] = ()
    reason: str | None = None


def plan_move(
    pipeline: Pipeline,
    deal: DealState,
    target_key: str,
    *,
    actor_role: Role,
    reason: str | None = None,
    now: datetime,
) -> MovePlan:
    """Check every rule for moving `deal` to `target_key`; raise StageRuleViolation or plan it."""
    _require_aware(now, "now")
    is_head = Role(actor_role) is Role.HEAD
    current = pipeline.stage(deal.stage)
    target = pipeline.stage(target_key)
    if target.key == current.key:
        raise StageRuleViolation("same_stage", f"deal is already in stage {current.key!r}")
    if deal.pending_lost is not None:
        raise StageRuleViolation(
            "lost_pending", "a lost request awaits a head's approval; approve or reject it first"
        )
    visited = deal.visited | {current.key}
    if current.kind is StageKind.OPEN:
        _check_order(pipeline, current, target, visited, is_head)
    else:
        _check_reopen(pipeline, current, target, visited, is_head)
    if target.kind is StageKind.WON and deal.unpaid_invoices:
        raise StageRuleViolation(
            "invoices_unpaid",
            f"a deal with invoices is won only when they are fully paid;"
            f" {deal.unpaid_invoices} not paid (cancel or reject those that will not be)",
        )
    if target.kind is StageKind.WON and pipeline.won_requires_shipment and deal.unshipped_invoices:
        raise StageRuleViolation(
            "not_shipped",
            f"pipeline {pipeline.key!r} wins a deal only when its paid invoices are shipped or"
            f" acted in full; {deal.unshipped_invoices} not (mark their shipments and acts done)",
        )
    missing = tuple(f for f in target.required_fields if _is_missing(deal.fields.get(f)))
    if missing:
        raise StageRuleViolation(
            "required_fields",
            f"stage {target.key!r} requires fields: {', '.join(missing)}",
            missing,
        )
    reason = reason.strip() if reason is not None else None
    if target.kind is StageKind.LOST:
        reason = _check_lost_reason(pipeline, reason)
        if pipeline.lost_requires_approval and not is_head:
            return MovePlan(MoveOutcome.AWAITING_APPROVAL, target, (), reason)
    if (
        target.kind is StageKind.OPEN
        and pipeline.require_next_activity
        and not deal.has_planned_activity
        and not target.tasks_on_enter
    ):
        raise StageRuleViolation(
            "next_activity_required",
            f"an open deal needs a planned next activity before entering stage {target.key!r}",
        )
    return MovePlan(MoveOutcome.MOVED, target, _plan_tasks(target, now), reason or None)


def approve_lost(
    pipeline: Pipeline, deal: DealState, *, actor_role: Role, now: datetime
) -> MovePlan:
    """A head approves the pending lost request: the deal moves to the requested lost stage."""
    _require_aware(now, "now")
    request = _pending(deal, actor_role, "approve")
    target = pipeline.stage(request.stage)
    return MovePlan(MoveOutcome.MOVED, target, _plan_tasks(target, now), request.reason)


def reject_lost(pipeline: Pipeline, deal: DealState, *, actor_role: Role) -> LostRequest:
    """A head rejects the pending lost request; the deal stays where it is. Returns the request."""
    request = _pending(deal, actor_role, "reject")
    pipeline.stage(request.stage)
    return request


@dataclass(frozen=True, slots=True)
class StageVisit:
    """A stretch of time a deal spent in one stage; `left_at` is None while it is still there."""

    stage: str
    entered_at: datetime
    left_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.entered_at, "entered_at")
        if self.left_at is not None:
            _require_aware(self.left_at, "left_at")
            if self.left_at < self.entered_at:
                raise ValueError(f"visit of {self.stage!r} ends before it starts")


def advance_history(
    history: Sequence[StageVisit], new_stage: str, now: datetime
) -> tuple[StageVisit, ...]:
    """Close the open visit at `now` and open one for `new_stage` (empty history: first visit)."""
    _require_aware(now, "now")
    if not history:
        return (StageVisit(new_stage, now),)
    last = history[-1]
    if last.left_at is not None:
        raise ValueError("history has no open visit to close")
    closed = StageVisit(last.stage, last.entered_at, now)
    return (*history[:-1], closed, StageVisit(new_stage, now))


def time_in_stage(history: Sequence[StageVisit], now: datetime) -> timedelta:
    """How long the deal has been in its current stage (the open visit)."""
    _require_aware(now, "now")
    if not history or history[-1].left_at is not None:
        raise ValueError("history has no open visit")
    # Visits may be stamped by another host's clock; a little skew must not show negative time.
    return max(now - history[-1].entered_at, timedelta(0))


def _check_order(
    pipeline: Pipeline, current: Stage, target: Stage, visited: frozenset[str], is_head: bool
) -> None:
    order = pipeline.stage_order
    if order is StageOrder.FREE or target.kind is StageKind.LOST:
        return
    open_keys = [s.key for s in pipeline.open_stages]
    # Strict compares positions, won being the step after the last open stage; semi-strict
    # allows any order, so going back there means returning to a stage already visited.
    if order is StageOrder.STRICT:
        path = [*open_keys, target.key] if target.kind is StageKind.WON else open_keys
        step = path.index(target.key) - path.index(current.key)
        if step > 1:
            following = path[path.index(current.key) + 1]
            raise StageRuleViolation(
                "stage_order",
                f"strict order: the next stage is {following!r}, not {target.key!r}",
                (following,),
            )
        backward = step < 0
    elif target.kind is StageKind.WON:
        unvisited = tuple(k for k in open_keys if k not in visited)
        if unvisited:
            raise StageRuleViolation(
                "stage_order",
                f"semi-strict order: visit stages {', '.join(unvisited)} before {target.key!r}",
                unvisited,
            )
        return
    else:
        backward = target.key in visited
    if backward and not is_head:
        raise StageRuleViolation(
            "backward_move_needs_head",
            f"only a head can return a deal to stage {target.key!r}",
            (Role.HEAD.value,),
        )


def _check_reopen(
    pipeline: Pipeline, current: Stage, target: Stage, visited: frozenset[str], is_head: bool
) -> None:
    if not (current.kind is StageKind.LOST and target.kind is StageKind.OPEN and is_head):
        raise StageRuleViolation(
            "deal_closed",
            f"deal is closed in stage {current.key!r}; only a head can return a lost deal "
            "to an open stage",
        )
    if pipeline.stage_order is not StageOrder.FREE and target.key not in visited:
        raise StageRuleViolation(
            "stage_order",
            f"a lost deal can only return to a stage it has visited, not {target.key!r}",
            tuple(s.key for s in pipeline.open_stages if s.key in visited),
        )


def _check_lost_reason(pipeline: Pipeline, reason: str | None) -> str:
    allowed = pipeline.lost_reasons
    if not reason or (allowed and reason not in allowed):
        wanted = f"one of the reasons: {', '.join(allowed)}" if allowed else "a reason"
        raise StageRuleViolation("lost_reason_required", f"a lost deal needs {wanted}", allowed)
    return reason


def _pending(deal: DealState, actor_role: Role, verb: str) -> LostRequest:
    if Role(actor_role) is not Role.HEAD:
        raise StageRuleViolation(
            "head_only", f"only a head can {verb} a lost request", (Role.HEAD.value,)
        )
    if deal.pending_lost is None:
        raise StageRuleViolation("no_pending_lost", f"no lost request to {verb}")
    return deal.pending_lost


def _plan_tasks(stage: Stage, now: datetime) -> tuple[PlannedTask, ...]:
    return tuple(PlannedTask(t, now + t.due_in) for t in stage.tasks_on_enter)


def plan_relocation(target: Stage, reason: str | None, now: datetime) -> MovePlan:
    """A head empties a stage into `target` (the order rules aside: the stage is going away);
    the deal enters it as on any move, with its tasks on entry; a lost deal keeps `reason`."""
    _require_aware(now, "now")
    return MovePlan(MoveOutcome.MOVED, target, _plan_tasks(target, now), reason)


def _is_missing(value: object) -> bool:
    # 0 and False are real values (a zero discount is still filled in).
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset | dict):
        return not value
    return False


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
