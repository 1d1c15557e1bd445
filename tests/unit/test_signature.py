"""Names from e-mail signatures: found under a valediction, never invented."""

from __future__ import annotations

import pytest

from dedupe.signature import signature_name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Пришлите КП.\n\n--\nСпасибо,\nЭльвира Горобцева\nтел. +79259746399",
            "Эльвира Горобцева",
        ),
        ("Добрый день!\nС уважением,\nИванов Иван\nООО «Ромашка»", "Иванов Иван"),
        ("Нужен счёт.\nСпасибо, Елена Морозова", "Елена Морозова"),
        ("Please call me.\n\nBest regards,\nYuriy Shchukin\nCEO", "Yuriy Shchukin"),
        ("Вопрос по доставке\n--\nАлексей", "Алексей"),
    ],
)
def test_name_under_a_valediction(text: str, name: str) -> None:
    assert signature_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "Просто текст без подписи, Иван Петров",
        "С уважением,\nОтдел продаж\nООО «Ромашка»",
        "Спасибо!\nТел. +7 916 123-45-67",
        "С уважением,\nМосква Тверская Улица",
    ],
)
def test_no_name_is_invented(text: str | None) -> None:
    assert signature_name(text) is None
