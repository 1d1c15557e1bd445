"""The settings pages' form helpers: the checker's refusals in Russian, a week of day inputs."""

from __future__ import annotations

import pytest

from crm_core.errors import RuleError
from workplace.pages.settings_forms import field_error, russian, week_inputs, week_spec

FIELDS = frozenset({"login", "working_hours", "to"})


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("timezone: unknown time zone 'Mars/Base'", "Неизвестный часовой пояс «Mars/Base»."),
        (
            "login: must be lowercase letters, digits, '_' or '-', got 'Bad Login'",
            "Только строчные латинские буквы, цифры, «_» и «-» (введено «Bad Login»).",
        ),
        (
            "working_hours: working hours for 'mon-fri': '9-18' is not HH:MM-HH:MM",
            "пн-пт: «9-18» — не в формате ЧЧ:ММ-ЧЧ:ММ, например 09:00-18:00.",
        ),
        ("name: is required", "Обязательное поле."),
        (
            "queues[0].fallback: must be a head of sales (role 'head'); 'head' is a manager",
            "«head» — запасной менеджер очереди, а им может быть только руководитель:"
            " сначала смените запасного в настройках очереди.",
        ),
        ("изменено другим пользователем", "изменено другим пользователем"),
        ("something new: the checker's own words", "something new: the checker's own words"),
    ],
)
def test_the_checkers_messages_read_in_russian(message: str, expected: str) -> None:
    assert russian(message) == expected


def test_a_refusal_belongs_to_its_field_or_to_the_whole_form() -> None:
    to = field_error(
        RuleError("invalid_field", "absences[2].to", "to: must be after from", 422), FIELDS
    )
    assert (to.field, to.message) == ("to", "Окончание должно быть не раньше начала.")
    queue = field_error(
        RuleError(
            "invalid_field", "queues[0].fallback", "queues[0].fallback: unknown manager 'x'", 422
        ),
        FIELDS,
    )
    assert (queue.field, queue.message) == ("", "Менеджер «x» не найден.")


def test_a_week_of_inputs_round_trips_through_the_checkers_table() -> None:
    days = ["09:00-18:00"] * 4 + ["09:00-17:00", "10:00-14:00, 15:00-17:00", ""]
    spec = week_spec(days)
    assert spec == {
        "mon-thu": "09:00-18:00",
        "fri": "09:00-17:00",
        "sat": "10:00-14:00, 15:00-17:00",
    }
    assert week_inputs(spec, "Europe/Moscow") == days
    assert week_inputs({"mon-sun": "22:00-06:00"}, "UTC") == ["22:00-06:00"] * 7
    assert week_inputs({"mon": "09:00-24:00"}, "UTC")[0] == "09:00-24:00"
    assert week_inputs(None, "UTC") == [""] * 7
    assert week_spec([""] * 7) == {}
