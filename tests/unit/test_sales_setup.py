"""Settings to the sales-process domain: pipelines, queues, availability and routing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings
from config.settings import StageSettings
from crm_core.assignment import (
    AssignmentKind,
    FallbackManager,
    ManagerLoad,
    WaitForDuty,
    assign,
)
from crm_core.model import Role
from crm_core.pipelines import (
    DealState,
    StageKind,
    StageOrder,
    StageRuleViolation,
    StageTask,
    plan_move,
)
from intake.sales_setup import (
    availability_of,
    build_pipelines,
    build_queue,
    junk_reasons,
    pipeline_for,
    queue_for,
)

DEMO = Path(__file__).resolve().parents[2] / "config" / "default.toml"
DEMO_IDS = {
    "ivanova": (11, "Анна Иванова"),
    "petrov": (12, "Пётр Петров"),
    "smirnova": (13, "Мария Смирнова"),
    "head": (14, "Ольга Руководитель"),
}
TEST_IDS = {"ivanova": (1, "Анна Иванова"), "petrov": (2, "Пётр Петров"), "head": (3, "Ольга")}
# Wednesday 2026-11-25: 10:00 in Moscow (UTC+3) and 12:00 in Yekaterinburg (UTC+5).
WEDNESDAY_MORNING = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
# 17:00 in Moscow, 19:00 in Yekaterinburg.
WEDNESDAY_LATE = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
NEW_YEAR_HOLIDAYS = datetime(2026, 12, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
def demo() -> Settings:
    """The shipped demo configuration."""
    return load_settings(DEMO, environ={})


def test_demo_pipelines_convert(demo: Settings) -> None:
    pipelines = build_pipelines(demo)
    assert list(pipelines) == ["main", "b2b"]
    main, b2b = pipelines["main"], pipelines["b2b"]
    assert main.stage_order is StageOrder.FREE
    assert main.require_next_activity
    assert not main.lost_requires_approval
    assert main.lost_reasons == (
        "Дорого",
        "Выбрали конкурента",
        "Нет бюджета",
        "Не отвечает",
        "Другое",
    )
    assert main.stage("invoice").required_fields == ("amount",)
    assert main.stage("payment").tasks_on_enter == (
        StageTask("Проверить оплату", timedelta(days=3), "call"),
    )
    assert main.stage("won").kind is StageKind.WON
    assert b2b.name == "Оптовые продажи"
    assert b2b.stage_order is StageOrder.STRICT
    assert b2b.lost_requires_approval
    assert [s.key for s in b2b.open_stages] == ["qualification", "proposal", "contract"]
    assert b2b.stage("contract").required_fields == ("amount", "company")


def test_converted_pipelines_apply_their_rules(demo: Settings) -> None:
    pipelines = build_pipelines(demo)
    now = WEDNESDAY_MORNING
    plan = plan_move(
        pipelines["main"],
        DealState("invoice", fields={"amount": 1000}),
        "payment",
        actor_role=Role.MANAGER,
        now=now,
    )
    assert [(p.task.title, p.due_at) for p in plan.tasks] == [
        ("Проверить оплату", now + timedelta(days=3))
    ]
    with pytest.raises(StageRuleViolation) as refused:
        plan_move(
            pipelines["b2b"],
            DealState("qualification", has_planned_activity=True),
            "contract",
            actor_role=Role.MANAGER,
            now=now,
        )
    assert refused.value.rule == "stage_order"


def test_demo_queue_converts_with_weights_and_hours(demo: Settings) -> None:
    queue = build_queue(demo.queues[0], DEMO_IDS, demo)
    assert (queue.key, queue.name) == ("main", "Входящие заявки")
    assert [(m.manager_id, m.name, m.weight, m.daily_capacity) for m in queue.members] == [
        (11, "Анна Иванова", 2, 30),
        (12, "Пётр Петров", 1, None),
        (13, "Мария Смирнова", 1, None),
    ]
    assert queue.fallback == FallbackManager(14, "Ольга Руководитель", "руководитель")
    assert queue.acceptance_timeout == timedelta(minutes=15)

    def on_duty(now: datetime) -> list[int]:
        return [m.manager_id for m in queue.members if m.availability.is_on_duty(now)]

    assert on_duty(WEDNESDAY_MORNING) == [11, 12, 13]
    assert on_duty(WEDNESDAY_LATE) == [11, 12]  # 19:00 in Yekaterinburg
    assert on_duty(SATURDAY) == []
    assert on_duty(NEW_YEAR_HOLIDAYS) == [11, 13]  # petrov is on leave


def test_demo_queue_assigns_by_weight_and_falls_back_to_the_head(demo: Settings) -> None:
    queue = build_queue(demo.queues[0], DEMO_IDS, demo)
    load = {11: ManagerLoad(served=1), 12: ManagerLoad(served=1), 13: ManagerLoad(served=1)}
    decision = assign(queue, load, WEDNESDAY_MORNING)
    assert decision.manager_id == 11  # weight 2: her second lead comes before their second
    assert decision.accept_by == WEDNESDAY_MORNING + timedelta(minutes=15)
    weekend = assign(queue, {}, SATURDAY)
    assert (weekend.manager_id, weekend.kind) == (14, AssignmentKind.FALLBACK)


def test_queue_with_plain_logins_and_wait_fallback(
    write_config: Callable[[str], Settings],
) -> None:
    settings = write_config(
        """
[[queues]]
key = "night"
name = "Ночная смена"
managers = ["petrov", { login = "ivanova", capacity = 5 }]
fallback = "wait"
channels = ["telegram"]
"""
    )
    main, night = (build_queue(q, TEST_IDS, settings) for q in settings.queues)
    assert [(m.manager_id, m.weight, m.daily_capacity) for m in main.members] == [
        (1, 1, None),
        (2, 1, None),
    ]
    assert main.fallback == WaitForDuty()  # no fallback configured
    assert main.acceptance_timeout is None
    assert night.fallback == WaitForDuty()
    assert [(m.manager_id, m.daily_capacity) for m in night.members] == [(2, None), (1, 5)]
    assert all(m.availability.is_on_duty(SATURDAY) for m in night.members)


def test_a_fallback_who_is_not_a_head_is_refused(
    write_config: Callable[[str], Settings],
) -> None:
    with pytest.raises(ConfigError, match=r"queues\[1\]\.fallback: must be a head of sales"):
        write_config(
            '[[queues]]\nkey = "vk"\nname = "ВК"\nmanagers = ["ivanova"]\nfallback = "petrov"\n'
        )


def test_inactive_manager_is_an_inactive_member(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        """
[[managers]]
login = "ivanova"
name = "Анна Иванова"
active = false

[[managers]]
login = "head"
name = "Ольга Руководитель"
role = "head"

[[queues]]
key = "main"
name = "Входящие"
managers = ["ivanova"]
fallback = "head"
""",
    )
    [member] = build_queue(settings.queues[0], TEST_IDS, settings).members
    assert not member.active


def test_a_manager_missing_from_the_database_is_named(
    write_config: Callable[[str], Settings],
) -> None:
    settings = write_config("")
    with pytest.raises(ValueError, match="queue 'main': manager 'petrov' is not among the stored"):
        build_queue(settings.queues[0], {"ivanova": (1, "Анна Иванова")}, settings)


def test_availability_of_hours_and_absences(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        """
[[managers]]
login = "smirnova"
name = "Мария Смирнова"
timezone = "Asia/Yekaterinburg"
working_hours = { "mon-fri" = "09:00-18:00", sat = "10:00-14:00" }
absences = [{ from = 2026-11-25T00:00:00+05:00, to = 2026-11-26T00:00:00+05:00, note = "отгул" }]

[[managers]]
login = "petrov"
name = "Пётр Петров"
timezone = "Europe/Moscow"
""",
    )
    smirnova, petrov = (availability_of(m) for m in settings.managers)
    assert smirnova.hours.timezone == "Asia/Yekaterinburg"
    assert smirnova.hours.covers(WEDNESDAY_MORNING)
    assert smirnova.is_absent(WEDNESDAY_MORNING)
    assert not smirnova.is_on_duty(WEDNESDAY_MORNING)
    assert [a.note for a in smirnova.absences] == ["отгул"]
    assert smirnova.is_on_duty(datetime(2026, 11, 28, 6, 0, tzinfo=UTC))  # Saturday 11:00
    assert not smirnova.is_on_duty(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # Sat 15:00
    assert petrov.hours.timezone == "Europe/Moscow"
    assert all(petrov.is_on_duty(t) for t in (WEDNESDAY_LATE, SATURDAY))


def test_queue_for_prefers_the_form_then_the_channel_then_the_first_queue(
    write_config: Callable[[str], Settings],
) -> None:
    settings = write_config(
        """
[[queues]]
key = "messengers"
name = "Мессенджеры"
managers = ["petrov"]
channels = ["telegram", "vk"]

[[queues]]
key = "partners"
name = "Партнёры"
managers = ["ivanova"]

[[forms]]
key = "partner"
name = "Партнёрская заявка"
queue = "partners"
"""
    )
    assert queue_for(settings, form="partner", channel="webform") == "partners"
    assert queue_for(settings, form="partner", channel="telegram") == "partners"
    assert queue_for(settings, form=None, channel="vk") == "messengers"
    assert queue_for(settings, form="unknown", channel="telegram") == "messengers"
    assert queue_for(settings, form=None, channel="email") == "main"
    # A form that names no queue is given the first one when the config is loaded.
    assert queue_for(settings, form="site", channel="telegram") == "main"


def test_queue_and_pipeline_for_without_any_configured(tmp_path: Path) -> None:
    settings = _load(tmp_path, "")
    assert queue_for(settings, form=None, channel="telegram") is None
    assert pipeline_for(settings, form=None, queue=None) is None


def test_pipeline_for_prefers_the_form(write_config: Callable[[str], Settings]) -> None:
    settings = write_config(
        """
[[pipelines]]
key = "b2b"
name = "Оптовые продажи"
stages = [
  { key = "proposal", name = "Предложение" },
  { key = "won", name = "Успешно", kind = "won" },
  { key = "lost", name = "Провалено", kind = "lost" },
]

[[forms]]
key = "wholesale"
name = "Оптовая заявка"
pipeline = "b2b"
"""
    )
    assert pipeline_for(settings, form="wholesale", queue="main") == "b2b"
    assert pipeline_for(settings, form="site", queue="main") == "main"
    assert pipeline_for(settings, form=None, queue=None) == "main"


def test_junk_reasons_default_and_configured(
    demo: Settings, write_config: Callable[[str], Settings]
) -> None:
    assert junk_reasons(demo) == {
        "no_answer": "Не дозвонились",
        "no_interest": "Нет интереса",
        "refused": "Отказ",
        "spam": "Спам",
        "duplicate": "Дубль",
        "wrong_contact": "Неверные контакты",
        "other": "Другое",
    }
    assert junk_reasons(write_config("")) == junk_reasons(demo)
    custom = write_config(
        '\n[leads]\njunk_reasons = [{ key = "spam", name = "Спам" },'
        ' { key = "test", name = "Тест" }]\n'
    )
    assert list(junk_reasons(custom).items()) == [("spam", "Спам"), ("test", "Тест")]


def test_a_pipeline_the_domain_refuses_is_a_config_error_naming_it(demo: Settings) -> None:
    main = demo.pipelines[0]
    broken = dataclasses.replace(
        main, stages=(*main.stages, StageSettings("won2", "Ещё успех", "won"))
    )
    settings = dataclasses.replace(demo, pipelines=(broken, demo.pipelines[1]))
    with pytest.raises(ConfigError) as excinfo:
        build_pipelines(settings)
    message = str(excinfo.value)
    assert message.startswith(f"{DEMO}: pipelines[0] (main): ")
    assert "needs exactly one won stage" in message


def _load(tmp_path: Path, toml: str) -> Settings:
    path = tmp_path / "sales.toml"
    path.write_text(toml, "utf-8")
    return load_settings(path, environ={})
