"""The assignment engine, pure: owner first, weighted по очереди: fallback, hand-over."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_core.assignment import (
    Assignment,
    AssignmentKind,
    FallbackManager,
    ManagerLoad,
    OwnerHint,
    Queue,
    QueueLoad,
    QueueMember,
    WaitForDuty,
    assign,
    hand_over,
    is_acceptance_overdue,
)
from crm_core.schedule import Absence, Availability, WorkingHours

MSK = ZoneInfo("Europe/Moscow")
MONDAY_10 = datetime(2024, 3, 11, 10, 0, tzinfo=MSK)  # 07:00 UTC
SUNDAY_10 = datetime(2024, 3, 17, 10, 0, tzinfo=MSK)
TIMEOUT = timedelta(minutes=15)
HEAD = FallbackManager(99, "Иванова")


def office(timezone: str = "Europe/Moscow", *absences: Absence) -> Availability:
    return Availability(WorkingHours.parse({"mon-fri": "09:00-18:00"}, timezone), absences)


def member(
    manager_id: int,
    name: str,
    *,
    weight: int = 1,
    daily_capacity: int | None = None,
    availability: Availability | None = None,
    active: bool = True,
) -> QueueMember:
    return QueueMember(manager_id, name, weight, daily_capacity, availability or office(), active)


def queue(
    *members: QueueMember,
    fallback: FallbackManager | WaitForDuty = HEAD,
    timeout: timedelta | None = TIMEOUT,
) -> Queue:
    return Queue("form:site", "Site form", members, fallback, timeout)


PETROVA = member(1, "Петрова", daily_capacity=20)
SMIRNOVA = member(2, "Смирнова", daily_capacity=20)
KUZNETSOV = member(3, "Кузнецов")
TEAM = queue(PETROVA, SMIRNOVA, KUZNETSOV)


def owner(**kw: bool) -> OwnerHint:
    return OwnerHint(45, "Сидорова", "компании №45", **kw)


def test_active_owner_gets_the_lead_with_a_deadline() -> None:
    result = assign(TEAM, {}, MONDAY_10, owner=owner())
    assert result == Assignment(
        45,
        AssignmentKind.OWNER,
        "владелец компании №45: Сидорова",
        accept_by=datetime(2024, 3, 11, 7, 15, tzinfo=UTC),
    )


def test_owner_off_duty_still_gets_the_lead_and_the_reason_says_so() -> None:
    result = assign(TEAM, {}, SUNDAY_10, owner=owner(on_duty=False))
    assert result.manager_id == 45
    assert result.kind is AssignmentKind.OWNER
    assert result.reason == "владелец компании №45: Сидорова (вне смены)"


@pytest.mark.parametrize(
    ("hint", "why"),
    [
        (owner(active=False), "неактивен"),
        (owner(absent=True), "отсутствует"),
        (owner(active=False, absent=True), "неактивен"),
    ],
)
def test_inactive_or_absent_owner_is_skipped_for_round_robin(hint: OwnerHint, why: str) -> None:
    result = assign(TEAM, {}, MONDAY_10, owner=hint)
    assert result.kind is AssignmentKind.ROUND_ROBIN
    assert result.manager_id == 1
    assert result.reason == (
        f"владелец компании №45 Сидорова {why}; по очереди: Петрова на смене, загрузка 1/20"
    )


def test_excluded_owner_is_skipped() -> None:
    result = assign(TEAM, {}, MONDAY_10, owner=owner(), exclude=frozenset({45}))
    assert result.kind is AssignmentKind.ROUND_ROBIN
    assert result.reason.startswith("владелец компании №45 Сидорова исключён; ")


def test_owner_hint_reads_the_owners_availability() -> None:
    leave = Absence(datetime(2024, 3, 11, tzinfo=MSK), datetime(2024, 3, 12, tzinfo=MSK))
    absent = OwnerHint.at(45, "Сидорова", "deal 7", office("Europe/Moscow", leave), MONDAY_10)
    assert (absent.absent, absent.on_duty) == (True, False)
    evening = OwnerHint.at(45, "Сидорова", "deal 7", office(), MONDAY_10 + timedelta(hours=9))
    assert (evening.absent, evening.on_duty, evening.active) == (False, False, True)


def test_round_robin_reason_shows_the_capacity_after_this_lead() -> None:
    load = {1: ManagerLoad(assigned_today=2, served=0), 2: ManagerLoad(1, 5), 3: ManagerLoad(0, 5)}
    result = assign(TEAM, load, MONDAY_10)
    assert result == Assignment(
        1,
        AssignmentKind.ROUND_ROBIN,
        "по очереди: Петрова на смене, загрузка 3/20",
        accept_by=datetime(2024, 3, 11, 7, 15, tzinfo=UTC),
    )
    uncapped = assign(TEAM, {1: ManagerLoad(0, 9), 2: ManagerLoad(0, 9)}, MONDAY_10)
    assert uncapped.reason == "по очереди: Кузнецов на смене, без лимита"


def simulate(q: Queue, leads: int, now: datetime = MONDAY_10) -> list[int]:
    """Assign `leads` leads one by one, counting them as the caller's storage would."""
    load: dict[int, ManagerLoad] = {}
    picks: list[int] = []
    for _ in range(leads):
        result = assign(q, load, now)
        assert result.manager_id is not None
        before = load.get(result.manager_id, ManagerLoad())
        load[result.manager_id] = ManagerLoad(before.assigned_today + 1, before.served + 1)
        picks.append(result.manager_id)
    return picks


def test_round_robin_is_proportional_to_weights_at_every_step() -> None:
    weights = {1: 3, 2: 2, 3: 1}
    q = queue(*(member(i, f"m{i}", weight=w) for i, w in weights.items()))
    picks = simulate(q, 600)
    assert Counter(picks) == {1: 300, 2: 200, 3: 100}
    counts: Counter[int] = Counter()
    for n, pick in enumerate(picks, start=1):
        counts[pick] += 1
        for manager_id, weight in weights.items():
            assert abs(counts[manager_id] - n * weight / 6) <= 1


def test_round_robin_is_deterministic_and_interleaves() -> None:
    q = queue(member(1, "a", weight=3), member(2, "b", weight=2), member(3, "c"))
    assert simulate(q, 6) == [1, 2, 1, 3, 2, 1]
    assert simulate(q, 6) == simulate(q, 6)


def test_equal_shares_go_to_fewer_leads_today_then_lower_id() -> None:
    load = {1: ManagerLoad(4, 2), 2: ManagerLoad(1, 2), 3: ManagerLoad(1, 2)}
    assert assign(TEAM, load, MONDAY_10).manager_id == 2
    assert assign(TEAM, {}, MONDAY_10).manager_id == 1


def test_member_at_capacity_is_skipped() -> None:
    load = {1: ManagerLoad(assigned_today=20, served=0), 2: ManagerLoad(3, 10)}
    result = assign(queue(PETROVA, SMIRNOVA), load, MONDAY_10)
    assert result.manager_id == 2
    assert result.reason == "по очереди: Смирнова на смене, загрузка 4/20"


def test_inactive_absent_and_off_duty_members_are_skipped() -> None:
    vacation = Absence(datetime(2024, 3, 4, tzinfo=MSK), datetime(2024, 3, 18, tzinfo=MSK))
    q = queue(
        member(1, "inactive", active=False),
        member(2, "absent", availability=office("Europe/Moscow", vacation)),
        member(3, "asleep", availability=office("America/New_York")),
        member(4, "Смирнова"),
    )
    assert assign(q, {}, MONDAY_10).manager_id == 4


def test_excluded_members_are_skipped() -> None:
    assert assign(TEAM, {}, MONDAY_10, exclude=frozenset({1, 2})).manager_id == 3


def test_nobody_on_duty_goes_to_the_head() -> None:
    result = assign(TEAM, {}, SUNDAY_10)
    assert result == Assignment(
        99,
        AssignmentKind.FALLBACK,
        "резерв: никого нет на смене, руководитель Иванова",
        accept_by=datetime(2024, 3, 17, 7, 15, tzinfo=UTC),
    )


def test_everyone_at_capacity_goes_to_the_head() -> None:
    load = {1: ManagerLoad(20, 0), 2: ManagerLoad(20, 0)}
    result = assign(queue(PETROVA, SMIRNOVA), load, MONDAY_10)
    assert result.reason == "резерв: все на смене загружены до лимита, руководитель Иванова"


def test_no_active_members_goes_to_the_head() -> None:
    q = queue(member(1, "a", active=False))
    assert assign(q, {}, MONDAY_10).reason == (
        "резерв: в очереди нет активных менеджеров, руководитель Иванова"
    )


def test_nobody_on_duty_waits_for_the_first_member_to_come_on_duty() -> None:
    q = queue(
        member(1, "Петрова"),
        member(2, "Уралова", availability=office("Asia/Yekaterinburg")),
        fallback=WaitForDuty(),
    )
    result = assign(q, {}, SUNDAY_10)
    # Monday 09:00 in Yekaterinburg (UTC+5) comes two hours before 09:00 in Moscow.
    assert result == Assignment(
        None,
        AssignmentKind.WAITING,
        "ожидание: никого нет на смене, Уралова на смене с 2024-03-18 09:00 Asia/Yekaterinburg",
        wait_until=datetime(2024, 3, 18, 4, 0, tzinfo=UTC),
    )


def test_waiting_skips_members_who_will_not_come() -> None:
    leave = Absence(datetime(2024, 3, 1, tzinfo=MSK), datetime(2024, 3, 20, 12, tzinfo=MSK))
    q = queue(
        member(1, "Петрова", availability=office("Europe/Moscow", leave)),
        member(2, "inactive", active=False),
        member(3, "Смирнова", availability=office("America/New_York")),
        fallback=WaitForDuty(),
    )
    result = assign(q, {}, SUNDAY_10, exclude=frozenset({3}))
    assert result.wait_until == datetime(2024, 3, 20, 9, 0, tzinfo=UTC)
    assert "Петрова на смене с 2024-03-20 12:00 Europe/Moscow" in result.reason


def test_full_capacity_waits_for_the_next_local_day() -> None:
    q = queue(PETROVA, fallback=WaitForDuty())
    result = assign(q, {1: ManagerLoad(20, 20)}, MONDAY_10)
    assert result.kind is AssignmentKind.WAITING
    assert result.wait_until == datetime(2024, 3, 12, 6, 0, tzinfo=UTC)
    assert result.reason.startswith("ожидание: все на смене загружены до лимита, Петрова")


def test_waiting_with_nobody_coming_has_no_wait_until() -> None:
    vacation = Absence(datetime(2024, 3, 1, tzinfo=MSK), datetime(2024, 5, 1, tzinfo=MSK))
    away = member(1, "Петрова", availability=office("Europe/Moscow", vacation))
    q = queue(away, fallback=WaitForDuty())
    result = assign(q, {}, MONDAY_10)
    assert result == Assignment(
        None,
        AssignmentKind.WAITING,
        "ожидание: никого нет на смене, никто не выйдет на смену в ближайшие 14 дн.",
    )


def test_no_timeout_means_no_deadline() -> None:
    assert assign(queue(PETROVA, timeout=None), {}, MONDAY_10).accept_by is None


def test_hand_over_passes_to_each_member_then_to_the_head_who_keeps_it() -> None:
    load: QueueLoad = {1: ManagerLoad(0, 0), 2: ManagerLoad(1, 1), 3: ManagerLoad(2, 2)}
    now = MONDAY_10
    first = assign(TEAM, load, now)
    assert first.manager_id == 1
    tried = frozenset({1})
    seen: list[Assignment] = []
    previous = 1
    for _ in range(4):
        now += TIMEOUT
        assert is_acceptance_overdue(first.accept_by if not seen else seen[-1].accept_by, now)
        result = hand_over(TEAM, load, now, previous=previous, tried=tried)
        seen.append(result)
        assert result.manager_id is not None
        previous = result.manager_id
        tried |= {previous}
    assert [(r.manager_id, r.kind) for r in seen] == [
        (2, AssignmentKind.HAND_OVER),
        (3, AssignmentKind.HAND_OVER),
        (99, AssignmentKind.FALLBACK),
        (99, AssignmentKind.FALLBACK),
    ]
    assert seen[0].reason == (
        "передача: менеджер Петрова не взял заявку за 15 мин, по очереди: Смирнова на смене,"
        " загрузка 2/20"
    )
    assert seen[0].accept_by == datetime(2024, 3, 11, 7, 30, tzinfo=UTC)
    assert seen[2].reason == (
        "передача: менеджер Кузнецов не взял заявку за 15 мин, резерв: заявку предлагали всем,"
        " руководитель Иванова"
    )
    assert seen[3].reason == (
        "передача: менеджер Иванова не взял заявку за 15 мин, резерв: заявку предлагали всем,"
        " остаётся у: руководитель Иванова"
    )
    assert seen[3].accept_by is None


def test_hand_over_with_everyone_tried_and_no_head_leaves_the_lead_in_the_queue() -> None:
    q = queue(PETROVA, SMIRNOVA, fallback=WaitForDuty(), timeout=timedelta(hours=1))
    result = hand_over(q, {}, MONDAY_10, previous=2, tried=frozenset({1}))
    assert result == Assignment(
        None,
        AssignmentKind.WAITING,
        "передача: менеджер Смирнова не взял заявку за 1 ч, ожидание: заявку предлагали всем",
    )


def test_hand_over_from_an_owner_outside_the_queue_names_them() -> None:
    first = assign(TEAM, {}, MONDAY_10, owner=owner())
    assert first.manager_id == 45
    result = hand_over(TEAM, {}, MONDAY_10 + TIMEOUT, previous=45, owner=owner())
    assert result.manager_id == 1
    assert result.reason.startswith(
        "передача: менеджер Сидорова не взял заявку за 15 мин, по очереди:"
    )
    anonymous = hand_over(TEAM, {}, MONDAY_10, previous=77, tried=frozenset({1, 2}))
    assert anonymous.reason.startswith("передача: менеджер №77 не взял заявку за 15 мин")
    assert anonymous.manager_id == 3


def test_hand_over_off_hours_goes_to_the_head() -> None:
    result = hand_over(TEAM, {}, SUNDAY_10, previous=45, owner=owner())
    assert result.reason == (
        "передача: менеджер Сидорова не взял заявку за 15 мин, резерв: никого нет на смене,"
        " руководитель Иванова"
    )


def test_acceptance_deadline() -> None:
    deadline = datetime(2024, 3, 11, 7, 15, tzinfo=UTC)
    assert not is_acceptance_overdue(None, MONDAY_10)
    assert not is_acceptance_overdue(deadline, MONDAY_10 + timedelta(minutes=14))
    assert is_acceptance_overdue(deadline, MONDAY_10 + TIMEOUT)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_acceptance_overdue(deadline, datetime(2024, 3, 11, 10))  # noqa: DTZ001


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        assign(TEAM, {}, datetime(2024, 3, 11, 10))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: QueueMember(1, "a", weight=0), "a: weight must be at least 1"),
        (lambda: QueueMember(1, "a", daily_capacity=0), "a: daily capacity must be at least 1"),
        (lambda: queue(PETROVA, PETROVA), "'form:site': a manager is listed twice"),
        (lambda: queue(PETROVA, timeout=timedelta(0)), "timeout must be positive"),
    ],
)
def test_invalid_configuration_is_rejected(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()
