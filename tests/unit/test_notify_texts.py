"""Russian notification texts: every kind, missing keys, truncation and HTML escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crm_core.notifications import NotificationKind
from intake.notify.texts import GENERIC_TITLE, MESSAGE_LIMIT, is_http_url, render

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)

LEAD: dict[str, Any] = {
    "lead_id": 42,
    "name": "Анна Иванова",
    "phone": "+7 916 123-45-67",
    "email": "anna@example.ru",
    "channel": "webform",
    "source": "Сайт",
    "message": "Здравствуйте! Нужен расчёт на 20 окон.",
    "reason": "очередь «Входящие», по кругу",
    "link": "https://crm.example.ru/leads/42",
    "repeat": False,
    "client": "ООО «Ромашка»",
}


CHANNEL_KINDS = (
    NotificationKind.CHANNEL_FAILING,
    NotificationKind.CHANNEL_RECOVERED,
    NotificationKind.INTAKE_PARKED,
    NotificationKind.CONNECTOR_FAILING,
    NotificationKind.CONNECTOR_RECOVERED,
)


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_has_its_own_russian_title(kind: NotificationKind) -> None:
    rendered = render(kind, LEAD)
    titles = {render(other, {"lead_id": 42}).subject for other in NotificationKind}
    assert len(titles) == len(NotificationKind)
    assert CYRILLIC.search(rendered.subject)
    assert GENERIC_TITLE not in rendered.subject
    if kind not in CHANNEL_KINDS:  # alerts about a channel name no lead
        assert "№42" in rendered.subject
    assert rendered.text.splitlines()[0] in rendered.subject


def test_lead_assigned_lists_the_lead_details_in_russian() -> None:
    rendered = render(NotificationKind.LEAD_ASSIGNED, LEAD)
    assert rendered.subject == "Вам назначена заявка №42 — Анна Иванова"
    assert rendered.text.splitlines() == [
        "Вам назначена заявка №42",
        "",
        "Имя: Анна Иванова",
        "Клиент: ООО «Ромашка»",
        "Телефон: +7 916 123-45-67",
        "Почта: anna@example.ru",
        "Канал: форма на сайте",
        "Источник: Сайт",
        "Причина назначения: очередь «Входящие», по кругу",
        "",
        "Сообщение:",
        "Здравствуйте! Нужен расчёт на 20 окон.",
    ]
    assert rendered.link == "https://crm.example.ru/leads/42"


def test_known_client_is_pointed_out() -> None:
    rendered = render(NotificationKind.LEAD_ASSIGNED, {**LEAD, "repeat": True})
    assert "Клиент уже обращался раньше." in rendered.text


def test_kind_specific_labels() -> None:
    lost = render(
        NotificationKind.LOST_APPROVAL_REQUESTED,
        {"lead_id": 7, "reason": "дорого", "manager": "Пётр Петров"},
    )
    assert "Причина отказа: дорого" in lost.text
    assert "Запросил: Пётр Петров" in lost.text
    task = render(
        NotificationKind.TASK_DUE, {"lead_id": 7, "task": "Перезвонить", "due": "завтра"}
    )
    assert task.subject == "Подошёл срок задачи по заявке №7"
    assert "Задача: Перезвонить" in task.text
    assert "Срок: завтра" in task.text


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_empty_payload_renders_a_title_only(kind: NotificationKind) -> None:
    rendered = render(kind, {})
    assert rendered.text == rendered.subject
    assert CYRILLIC.search(rendered.text)
    assert "№" not in rendered.text
    assert rendered.link is None


def test_missing_keys_are_left_out() -> None:
    rendered = render(NotificationKind.LEAD_ASSIGNED, {"phone": "+79161234567", "name": None})
    assert rendered.subject == "Вам назначена новая заявка"
    assert rendered.text.splitlines() == [
        "Вам назначена новая заявка",
        "",
        "Телефон: +79161234567",
    ]


def test_client_label_names_the_subject_when_the_name_is_missing() -> None:
    rendered = render(NotificationKind.REPEAT_REQUEST, {"lead_id": 3, "client": "ООО «Ромашка»"})
    assert rendered.subject == "Повторное обращение по заявке №3 — ООО «Ромашка»"


def test_long_message_is_truncated_with_an_ellipsis() -> None:
    message = "Очень длинное сообщение. " * 100
    rendered = render(NotificationKind.LEAD_ASSIGNED, {"message": message})
    shown = rendered.text.split("Сообщение:\n", 1)[1]
    assert len(shown) <= MESSAGE_LIMIT
    assert len(shown) > MESSAGE_LIMIT - 50
    assert shown.endswith("…")
    assert message.startswith(shown[:-1])


def test_message_keeps_its_lines_but_not_runs_of_blank_ones() -> None:
    rendered = render(
        NotificationKind.LEAD_ASSIGNED, {"message": "Добрый день!\r\n\r\n\r\n\r\nОкна"}
    )
    assert rendered.text.endswith("Сообщение:\nДобрый день!\n\nОкна")


def test_one_line_fields_cannot_break_the_subject_or_the_layout() -> None:
    rendered = render(
        NotificationKind.LEAD_ASSIGNED, {"name": "Анна\nBcc: x@example.ru\x00", "source": "a\tb"}
    )
    assert "\n" not in rendered.subject
    assert "Имя: Анна Bcc: x@example.ru" in rendered.text
    assert "Источник: a b" in rendered.text


def test_html_mode_escapes_values_and_bolds_the_title() -> None:
    payload = {**LEAD, "lead_id": "<42>", "name": "<b>Анна</b> & Co", "message": "1 < 2 > 0"}
    rendered = render(NotificationKind.LEAD_ASSIGNED, payload, html=True)
    lines = rendered.text.splitlines()
    assert lines[0] == "<b>Вам назначена заявка №&lt;42&gt;</b>"
    assert "Имя: &lt;b&gt;Анна&lt;/b&gt; &amp; Co" in lines
    assert lines[-1] == "1 &lt; 2 &gt; 0"
    assert rendered.text.count("<b>") == 1
    assert rendered.subject == "Вам назначена заявка №<42> — <b>Анна</b> & Co"  # plain


def test_plain_mode_does_not_escape() -> None:
    rendered = render(NotificationKind.LEAD_ASSIGNED, {"name": "Анна & <Co>"})
    assert "Имя: Анна & <Co>" in rendered.text


def test_unknown_channel_is_shown_as_given() -> None:
    rendered = render(NotificationKind.LEAD_ASSIGNED, {"channel": "avito"})
    assert "Канал: avito" in rendered.text


def test_non_string_link_is_ignored() -> None:
    assert render(NotificationKind.LEAD_ASSIGNED, {"link": 42}).link is None
    assert render(NotificationKind.LEAD_ASSIGNED, {"link": "  "}).link is None
    assert render(NotificationKind.LEAD_ASSIGNED, {"link": "/leads/4"}).link == "/leads/4"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://crm.example.ru/leads/42", True),
        ("http://localhost:8080/api/v1/leads/1", True),
        ("/api/v1/leads/1", False),
        ("javascript:alert(1)", False),
        ("tg://resolve?domain=x", False),
        ("https://", False),
        (None, False),
    ],
)
def test_is_http_url(value: str | None, expected: bool) -> None:
    assert is_http_url(value) is expected


def test_a_parked_request_tells_the_heads_where_it_came_from() -> None:
    payload = {"channel": "telegram", "source": "shop_bot", "reason": "StorageRejected"}
    rendered = render(NotificationKind.INTAKE_PARKED, payload)
    assert rendered.subject.startswith("Обращение не удалось превратить в заявку")
    assert "Канал: Telegram" in rendered.text
    assert "StorageRejected" in rendered.text
