"""Values the sales process derives: a form's amount and extra fields, task health colours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_core.conversion import deal_fields, lead_amount, lead_products
from crm_core.sales import Health, health


@pytest.mark.parametrize(
    ("fields", "amount"),
    [
        ({"amount": "150 000,50 руб."}, Decimal("150000.50")),
        ({"Сумма": "90000"}, Decimal("90000.00")),
        ({"budget": 12}, Decimal("12.00")),
        ({"amount": ""}, None),
        ({"amount": "договорная"}, None),
        ({"comment": "100"}, None),
    ],
)
def test_lead_amount_reads_the_forms_amount(fields: dict[str, object], amount: object) -> None:
    assert lead_amount(fields) == amount


def test_deal_keeps_only_the_forms_extra_fields() -> None:
    fields = {"name": "Анна", "phone": "8916", "consent": "on", "amount": "1", "city": "Казань"}
    assert deal_fields(fields) == {"city": "Казань"}
    assert lead_products({"product": " Монтаж ", "товар": ""}) == ["Монтаж"]


MSK = "Europe/Moscow"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 15:00 in Moscow


@pytest.mark.parametrize(
    ("due", "colour"),
    [
        ([], Health.GREEN),
        ([NOW + timedelta(days=2)], Health.GREEN),
        ([NOW + timedelta(hours=8)], Health.YELLOW),  # 23:00 Moscow, still today there
        ([NOW + timedelta(hours=9, minutes=30)], Health.GREEN),  # 00:30 tomorrow in Moscow
        ([NOW + timedelta(days=1), NOW - timedelta(minutes=1)], Health.RED),
    ],
)
def test_health_is_computed_in_the_managers_timezone(due: list[datetime], colour: Health) -> None:
    assert health(due, NOW, MSK) is colour


def test_the_same_task_is_due_today_in_one_timezone_and_tomorrow_in_another() -> None:
    due = [datetime(2026, 11, 25, 20, 30, tzinfo=UTC)]  # 23:30 Moscow, 01:30 Yekaterinburg
    assert health(due, NOW, MSK) is Health.YELLOW
    assert health(due, NOW, "Asia/Yekaterinburg") is Health.GREEN
