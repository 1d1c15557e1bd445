"""What the settings pages share: the checker's refusals in Russian next to their field, and
working hours as a week of day inputs.

The rules stay the config checker's (config/, crm_core.schedule): this module only reads its
messages out in Russian and turns form inputs into the documents it checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from crm_core.errors import DomainError
from crm_core.schedule import DAY_NAMES, WorkingHours

DAY_LABELS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
_DAY_RU = dict(zip(DAY_NAMES, ("пн", "вт", "ср", "чт", "пт", "сб", "вс"), strict=True))

# The checker's messages (config.reader, config.settings, crm_core.schedule,
# intake.manager_changes) as a head reads them; an unknown one is shown as the checker wrote it.
_RUSSIAN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"^is required$", "Обязательное поле."),
        (r"^must be a non-empty string", "Заполните поле."),
        (
            r"^must be lowercase letters, digits, '_' or '-', got (.*)$",
            r"Только строчные латинские буквы, цифры, «_» и «-» (введено \1).",
        ),
        (r"^unknown time zone (.*)$", r"Неизвестный часовой пояс \1."),
        (r"^must be one of (.*), got (.*)$", r"Допустимые значения: \1 (введено \2)."),
        (r"^must be after from", "Окончание должно быть не раньше начала."),
        (r"^must (be a date-time|carry a UTC offset)", "Укажите дату."),
        (
            r"^working hours for '(.*)': '(.*)' is not HH:MM-HH:MM$",
            r"\1: «\2» — не в формате ЧЧ:ММ-ЧЧ:ММ, например 09:00-18:00.",
        ),
        (r"^working hours for '(.*)': bad time (.*) in .*$", r"\1: нет такого времени \2."),
        (r"^names no days", "Укажите часы хотя бы одного дня или выберите «Круглосуточно»."),
        (
            r"^queue '(.*)' would be left with nobody active to take its leads$",
            r"В очереди «\1» не останется никого, кто может принимать заявки.",
        ),
        (r"^manager '(.*)' already exists$", r"Логин «\1» уже занят."),
        (r"^a head cannot deactivate themselves$", "Нельзя деактивировать самого себя."),
        (
            r"^a head cannot take their own head role$",
            "Нельзя снять роль руководителя с самого себя.",
        ),
        (
            r"^the manager holds open leads or deals",
            "У менеджера есть открытые заявки или сделки: деактивируйте его с передачей работы.",
        ),
        (r"^no manager '(.*)'$", r"Менеджер «\1» не найден."),
        (r"^unknown manager '(.*)'$", r"Менеджер «\1» не найден."),
        (
            r"^must be a head of sales \(role 'head'\); '(.*)' is a manager$",
            r"«\1» — запасной менеджер очереди, а им может быть только руководитель:"
            " сначала смените запасного в настройках очереди.",
        ),
    )
)
_FIELD_IN_MESSAGE = re.compile(r"^[\w\[\].]+: ")


@dataclass(frozen=True, slots=True)
class FieldError:
    """A refusal: the form field it belongs to and what to tell the head."""

    field: str
    message: str


def russian(message: str) -> str:
    """The checker's message in Russian (its own text when there is no translation)."""
    problem = _FIELD_IN_MESSAGE.sub("", message, count=1)
    for pattern, text in _RUSSIAN:
        if pattern.search(problem):
            translated = pattern.sub(text, problem)
            translated = re.sub(r"'([^']*)'", r"«\1»", translated)
            for day, short in _DAY_RU.items():
                translated = re.sub(rf"\b{day}\b", short, translated)
            return translated
    return message


def field_error(err: DomainError, fields: frozenset[str]) -> FieldError:
    """A refused change as the form shows it: `absences[2].to` belongs to `to`, and so on;
    a field the form does not have (`queues[0].fallback`, `version`) is the whole form's ("")."""
    field = err.field or ""
    name = field.rsplit(".", 1)[-1] if field.startswith("absences[") else field
    return FieldError(name if name in fields else "", russian(err.message))


def week_inputs(spec: Mapping[str, str] | None, timezone: str) -> list[str]:
    """A stored working-hours table as seven day inputs, Monday first ("" for a day off)."""
    if spec is None:
        return [""] * len(DAY_NAMES)
    try:
        hours = WorkingHours.parse(spec, timezone)
    except ValueError:
        return [""] * len(DAY_NAMES)
    return [", ".join(f"{_clock(a)}-{_clock(b, end=True)}" for a, b in day) for day in hours.days]


def week_spec(days: list[str]) -> dict[str, str]:
    """Seven day inputs as the checker's table: runs of days with the same hours share a key
    ({"mon-fri": "09:00-18:00", "sat": "10:00-14:00"}); an empty day is a day off."""
    spec: dict[str, str] = {}
    start = 0
    while start < len(days):
        value = " ".join(days[start].split())
        end = start
        while end + 1 < len(days) and " ".join(days[end + 1].split()) == value:
            end += 1
        if value:
            key = DAY_NAMES[start] if end == start else f"{DAY_NAMES[start]}-{DAY_NAMES[end]}"
            spec[key] = value
        start = end + 1
    return spec


def _clock(value: time, *, end: bool = False) -> str:
    if end and value == time(0):
        return "24:00"
    return value.strftime("%H:%M")
