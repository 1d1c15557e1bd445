"""Pipeline stage rules, pure: order modes, required fields, next activity, lost and history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from crm_core.errors import DomainError
from crm_core.model import Role
from crm_core.pipelines import (
    DealState,
    LostRequest,
    MoveOutcome,
    MovePlan,
    Pipeline,
    PlannedTask,
    Stage,
    StageKind,
    StageOrder,
    StageRuleViolation,
    StageTask,
    StageVisit,
    advance_history,
    approve_lost,
    plan_move,
    reject_lost,
    time_in_stage,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CHECK_PAYMENT = StageTask("Проверить оплату", timedelta(days=3), task_type="task")
PAID = {"amount": 150_000, "products": ["Лицензия"]}
OPEN_KEYS = ("new", "need", "offer", "invoice")
REASONS = ("Дорого", "Выбрали конкурента")


def stages() -> tuple[Stage, ...]:
    return (
        Stage("new", "Новая"),
        Stage("need", "Выявление потребности"),
        Stage("offer", "КП отправлено"),
        Stage("invoice", "Счёт выставлен", required_fields=("amount",)),
        Stage("won", "Успешно", StageKind.WON, required_fields=("amount", "products")),
        Stage("lost", "Проиграна", StageKind.LOST),
    )


def sales(order: StageOrder = StageOrder.STRICT, **options: Any) -> Pipeline:
    invoice_tasks = options.pop("invoice_tasks", ())
    listed = tuple(
        Stage(s.key, s.name, s.kind, s.required_fields, invoice_tasks) if s.key == "invoice" else s
        for s in stages()
    )
    return Pipeline("main", "Основные продажи", listed, order, **options)


def deal(
    stage: str = "new",
    visited: tuple[str, ...] = (),
    fields: dict[str, object] | None = None,
    activity: bool = True,
    pending: LostRequest | None = None,
) -> DealState:
    return DealState(stage, frozenset(visited), fields or {}, activity, pending)


def move(
    pipeline: Pipeline,
    state: DealState,
    target: str,
    role: Role = Role.MANAGER,
    reason: str | None = None,
) -> MovePlan:
    return plan_move(pipeline, state, target, actor_role=role, reason=reason, now=NOW)


def refused(call: Callable[[], object], rule: str) -> StageRuleViolation:
    with pytest.raises(StageRuleViolation) as caught:
        call()
    assert caught.value.rule == rule, caught.value.message
    return caught.value


def visited_all() -> DealState:
    return deal("invoice", OPEN_KEYS, PAID)


def test_unknown_stage_is_refused() -> None:
    err = refused(lambda: move(sales(), deal(), "shipment"), "unknown_stage")
    assert "shipment" in err.message


def test_same_stage_is_refused() -> None:
    refused(lambda: move(sales(StageOrder.FREE), deal("need"), "need"), "same_stage")


def test_strict_allows_the_next_stage() -> None:
    plan = move(sales(), deal("new"), "need")
    assert (plan.outcome, plan.target.key, plan.tasks) == (MoveOutcome.MOVED, "need", ())


@pytest.mark.parametrize("role", [Role.MANAGER, Role.HEAD])
def test_strict_refuses_a_skip_for_everyone(role: Role) -> None:
    err = refused(lambda: move(sales(), deal("new"), "offer", role), "stage_order")
    assert err.needed == ("need",)
    assert "next stage is 'need'" in err.message


def test_strict_won_only_from_the_last_open_stage() -> None:
    err = refused(lambda: move(sales(), deal("offer", fields=PAID), "won"), "stage_order")
    assert err.needed == ("invoice",)
    assert move(sales(), deal("invoice", fields=PAID), "won").target.kind is StageKind.WON


def test_semi_strict_allows_any_unvisited_stage() -> None:
    assert move(sales(StageOrder.SEMI_STRICT), deal("new"), "offer").target.key == "offer"


def test_semi_strict_won_only_after_every_open_stage() -> None:
    pipeline = sales(StageOrder.SEMI_STRICT)
    skipped = deal("invoice", ("new", "offer"), PAID)
    err = refused(lambda: move(pipeline, skipped, "won"), "stage_order")
    assert err.needed == ("need",)
    assert move(pipeline, visited_all(), "won").outcome is MoveOutcome.MOVED


@pytest.mark.parametrize(
    ("state", "target"),
    [
        (deal("new", fields=PAID), "invoice"),
        (deal("invoice", fields=PAID), "new"),
        (deal("new", fields=PAID), "won"),
    ],
)
def test_free_order_allows_any_move_to_anyone(state: DealState, target: str) -> None:
    assert move(sales(StageOrder.FREE), state, target).outcome is MoveOutcome.MOVED


@pytest.mark.parametrize("order", [StageOrder.STRICT, StageOrder.SEMI_STRICT])
def test_backward_move_needs_a_head(order: StageOrder) -> None:
    state = deal("offer", ("new", "need"))
    err = refused(lambda: move(sales(order), state, "need"), "backward_move_needs_head")
    assert (err.needed, err.status) == (("head",), 403)
    assert move(sales(order), state, "need", Role.HEAD).target.key == "need"


@pytest.mark.parametrize("order", list(StageOrder))
def test_lost_is_reachable_from_any_open_stage(order: StageOrder) -> None:
    plan = move(sales(order), deal("new"), "lost", reason="Дорого")
    assert (plan.target.key, plan.reason) == ("lost", "Дорого")


@pytest.mark.parametrize("amount", [None, "", "   ", [], "absent"])
def test_required_fields_are_named(amount: object) -> None:
    fields = {} if amount == "absent" else {"amount": amount}
    err = refused(
        lambda: move(sales(), deal("offer", fields=fields), "invoice"), "required_fields"
    )
    assert err.needed == ("amount",)
    assert err.message == "stage 'invoice' requires fields: amount"


def test_zero_counts_as_a_filled_field() -> None:
    assert move(sales(), deal("offer", fields={"amount": 0}), "invoice").target.key == "invoice"


def test_won_stage_lists_every_missing_field() -> None:
    state = deal("invoice", OPEN_KEYS, {"amount": 1000})
    err = refused(lambda: move(sales(), state, "won"), "required_fields")
    assert err.needed == ("products",)
    err = refused(lambda: move(sales(StageOrder.FREE), deal("new"), "won"), "required_fields")
    assert err.needed == ("amount", "products")


def test_open_stage_without_a_planned_activity_is_refused() -> None:
    err = refused(
        lambda: move(sales(), deal("new", activity=False), "need"), "next_activity_required"
    )
    assert "planned next activity" in err.message


def test_stage_tasks_count_as_the_planned_activity() -> None:
    pipeline = sales(invoice_tasks=(CHECK_PAYMENT,))
    plan = move(pipeline, deal("offer", fields=PAID, activity=False), "invoice")
    assert plan.tasks == (PlannedTask(CHECK_PAYMENT, NOW + timedelta(days=3)),)


def test_next_activity_rule_can_be_disabled() -> None:
    pipeline = sales(require_next_activity=False)
    assert move(pipeline, deal("new", activity=False), "need").outcome is MoveOutcome.MOVED


@pytest.mark.parametrize(("target", "reason"), [("won", None), ("lost", "Дорого")])
def test_closing_needs_no_next_activity(target: str, reason: str | None) -> None:
    state = deal("invoice", OPEN_KEYS, PAID, activity=False)
    assert move(sales(), state, target, reason=reason).outcome is MoveOutcome.MOVED


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_lost_needs_a_reason(reason: str | None) -> None:
    err = refused(lambda: move(sales(), deal(), "lost", reason=reason), "lost_reason_required")
    assert (err.field, err.needed) == ("reason", ())


def test_any_reason_text_is_kept_when_no_list_is_configured() -> None:
    assert move(sales(), deal(), "lost", reason="  Пропал  ").reason == "Пропал"


@pytest.mark.parametrize("reason", [None, "Пропал", "дорого"])
def test_lost_reason_must_come_from_the_configured_list(reason: str | None) -> None:
    pipeline = sales(lost_reasons=REASONS)
    err = refused(lambda: move(pipeline, deal(), "lost", reason=reason), "lost_reason_required")
    assert err.needed == REASONS
    assert move(pipeline, deal(), "lost", reason="Дорого").reason == "Дорого"


def test_manager_lost_waits_for_approval_and_head_lost_moves() -> None:
    pipeline = sales(lost_requires_approval=True)
    asked = move(pipeline, deal(), "lost", reason="Дорого")
    assert (asked.outcome, asked.target.key, asked.tasks) == (
        MoveOutcome.AWAITING_APPROVAL,
        "lost",
        (),
    )
    assert move(pipeline, deal(), "lost", Role.HEAD, "Дорого").outcome is MoveOutcome.MOVED


def test_lost_request_still_checks_the_reason() -> None:
    pipeline = sales(lost_requires_approval=True)
    refused(lambda: move(pipeline, deal(), "lost"), "lost_reason_required")


def test_head_approves_a_pending_lost_request() -> None:
    state = deal("offer", pending=LostRequest("lost", "Дорого"))
    plan = approve_lost(sales(), state, actor_role=Role.HEAD, now=NOW)
    assert (plan.outcome, plan.target.key, plan.reason) == (MoveOutcome.MOVED, "lost", "Дорого")


def test_head_rejects_a_pending_lost_request_and_returns_the_deal() -> None:
    request = LostRequest("lost", "Дорого")
    assert reject_lost(sales(), deal("offer", pending=request), actor_role=Role.HEAD) == request
    back = move(sales(), deal("offer", ("new", "need")), "need", Role.HEAD)
    assert back.target.key == "need"


@pytest.mark.parametrize(
    "decide",
    [
        lambda p, d, r: approve_lost(p, d, actor_role=r, now=NOW),
        lambda p, d, r: reject_lost(p, d, actor_role=r),
    ],
)
def test_only_a_head_decides_on_lost_and_only_when_asked(decide: Any) -> None:
    pending = deal(pending=LostRequest("lost", "Дорого"))
    err = refused(lambda: decide(sales(), pending, Role.MANAGER), "head_only")
    assert err.status == 403
    refused(lambda: decide(sales(), deal(), Role.HEAD), "no_pending_lost")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.HEAD])
def test_pending_lost_request_blocks_other_moves(role: Role) -> None:
    state = deal(pending=LostRequest("lost", "Дорого"))
    refused(lambda: move(sales(), state, "need", role), "lost_pending")


@pytest.mark.parametrize(
    ("state", "role", "target"),
    [
        (deal("won", OPEN_KEYS, PAID), Role.HEAD, "invoice"),
        (deal("won", OPEN_KEYS, PAID), Role.HEAD, "lost"),
        (deal("lost", ("new", "need")), Role.MANAGER, "need"),
        (deal("lost", OPEN_KEYS, PAID), Role.HEAD, "won"),
    ],
)
def test_closed_deal_cannot_move(state: DealState, role: Role, target: str) -> None:
    err = refused(lambda: move(sales(StageOrder.FREE), state, target, role), "deal_closed")
    assert err.status == 409


def test_head_returns_a_lost_deal_to_a_visited_stage() -> None:
    state = deal("lost", ("new", "need"))
    assert move(sales(), state, "need", Role.HEAD).target.key == "need"
    err = refused(lambda: move(sales(), state, "offer", Role.HEAD), "stage_order")
    assert err.needed == ("new", "need")
    assert move(sales(StageOrder.FREE), state, "offer", Role.HEAD).target.key == "offer"


def test_pipeline_helpers() -> None:
    pipeline = sales()
    assert pipeline.first_stage.key == "new"
    assert tuple(s.key for s in pipeline.open_stages) == OPEN_KEYS
    assert (pipeline.index("won"), pipeline.stage("offer").name) == (4, "КП отправлено")
    refused(lambda: pipeline.index("nope"), "unknown_stage")


def test_plain_config_values_are_accepted() -> None:
    listed = [
        Stage("new", "Новая", "open", ["phone"]),  # type: ignore[arg-type]
        Stage("won", "Успешно", "won"),  # type: ignore[arg-type]
        Stage("lost", "Проиграна", "lost"),  # type: ignore[arg-type]
    ]
    pipeline = Pipeline("p", "P", listed, "free", lost_reasons=["Дорого"])  # type: ignore[arg-type]
    assert pipeline.stage_order is StageOrder.FREE
    assert pipeline.stages[0] == Stage("new", "Новая", StageKind.OPEN, ("phone",))
    assert hash(pipeline)


OPEN, WON, LOST = (
    Stage("a", "A"),
    Stage("w", "W", StageKind.WON),
    Stage("l", "L", StageKind.LOST),
)


@pytest.mark.parametrize(
    ("listed", "reasons", "problem"),
    [
        ((WON, LOST), (), "at least one open stage"),
        ((OPEN, LOST), (), "exactly one won stage"),
        ((OPEN, WON, Stage("w", "W2", StageKind.WON), LOST), (), "duplicate stage keys: w"),
        ((OPEN, Stage("w2", "W2", StageKind.WON), WON, LOST), (), "exactly one won stage"),
        ((OPEN, WON), (), "at least one lost stage"),
        ((OPEN, WON, Stage("a", "A2"), LOST), (), "duplicate stage keys: a"),
        ((OPEN, WON, Stage("b", "B"), LOST), (), "after all open stages"),
        ((OPEN, WON, LOST), ("Дорого", " "), "lost reasons must not be empty"),
    ],
)
def test_invalid_pipelines_are_rejected(
    listed: tuple[Stage, ...], reasons: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Pipeline("p", "P", listed, lost_reasons=reasons)


def test_stage_task_must_not_be_due_in_the_past() -> None:
    with pytest.raises(ValueError, match="negative"):
        StageTask("Позвонить", timedelta(hours=-1))


def test_violation_is_a_domain_error_for_the_http_shell() -> None:
    err = refused(lambda: move(sales(), deal("offer"), "invoice"), "required_fields")
    assert isinstance(err, DomainError)
    assert (err.field, err.status) == ("stage", 422)


def test_history_closes_the_open_visit_and_measures_the_current_one() -> None:
    moscow = timezone(timedelta(hours=3))
    history = advance_history((), "new", NOW)
    history = advance_history(history, "need", datetime(2026, 3, 2, 15, 30, tzinfo=moscow))
    assert history == (
        StageVisit("new", NOW, NOW + timedelta(hours=2, minutes=30)),
        StageVisit("need", NOW + timedelta(hours=2, minutes=30)),
    )
    assert time_in_stage(history, NOW + timedelta(days=1)) == timedelta(hours=21, minutes=30)


def test_time_in_stage_never_goes_negative_on_clock_skew() -> None:
    history = (StageVisit("new", NOW),)
    assert time_in_stage(history, NOW - timedelta(seconds=5)) == timedelta(0)


def test_history_without_an_open_visit_is_rejected() -> None:
    closed = (StageVisit("new", NOW, NOW + timedelta(hours=1)),)
    with pytest.raises(ValueError, match="no open visit"):
        time_in_stage(closed, NOW)
    with pytest.raises(ValueError, match="no open visit"):
        advance_history(closed, "need", NOW)


NAIVE = datetime(2026, 3, 2, 10, 0)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    "call",
    [
        lambda: plan_move(sales(), deal(), "need", actor_role=Role.HEAD, now=NAIVE),
        lambda: time_in_stage((StageVisit("new", NOW),), NAIVE),
        lambda: advance_history((), "new", NAIVE),
        lambda: StageVisit("new", NAIVE),
        lambda: StageVisit("new", NOW, NAIVE),
    ],
)
def test_naive_datetimes_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()
