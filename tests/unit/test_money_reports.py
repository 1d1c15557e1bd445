"""The money reports' pure rules: overdue buckets on their edges, the company's days of a
period, period buckets, days to full payment, and parameters refused by name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crm_core.money_reports import (
    Grouping,
    InvalidReportParameter,
    Overdue,
    as_of_day,
    bucket_start,
    day_range,
    days_to_full_payment,
    grouping,
    list_limit,
    overdue_bucket,
)
from crm_core.reports import Period

MSK = "Europe/Moscow"


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, Overdue.NOT_DUE),
        (0, Overdue.NOT_DUE),
        (1, Overdue.DAYS_1_30),
        (30, Overdue.DAYS_1_30),
        (31, Overdue.DAYS_31_60),
        (60, Overdue.DAYS_31_60),
        (61, Overdue.DAYS_61_90),
        (90, Overdue.DAYS_61_90),
        (91, Overdue.OVER_90),
    ],
)
def test_overdue_buckets_on_their_edges(days: int, bucket: Overdue) -> None:
    assert overdue_bucket(days) is bucket


def test_the_days_of_a_period_are_those_whose_moscow_midnight_is_in_it() -> None:
    new_year = datetime(2026, 12, 31, 21, 0, tzinfo=UTC)  # 00:00 on 1 January in Moscow
    start = datetime(2026, 12, 1, tzinfo=timezone(timedelta(hours=3)))
    assert day_range(Period(start, new_year), MSK).end == date(2027, 1, 1)
    later = day_range(Period(start, new_year + timedelta(seconds=1)), MSK)
    assert (later.first, later.end) == (date(2026, 12, 1), date(2027, 1, 2))


def test_buckets_start_on_the_day_monday_or_the_first() -> None:
    thursday = date(2026, 12, 31)
    assert bucket_start(thursday, Grouping.DAY) == thursday
    assert bucket_start(thursday, Grouping.WEEK) == date(2026, 12, 28)
    assert bucket_start(thursday, Grouping.MONTH) == date(2026, 12, 1)


def test_days_to_the_payment_that_completes_the_invoice() -> None:
    issued = date(2026, 12, 1)
    payments = [(date(2026, 12, 20), Decimal("60.00")), (date(2026, 12, 5), Decimal("40.00"))]
    assert days_to_full_payment(issued, Decimal("100.00"), payments) == 19
    assert days_to_full_payment(issued, Decimal("100.01"), payments) is None
    early = [(date(2026, 11, 28), Decimal("100.00"))]
    assert days_to_full_payment(issued, Decimal("100.00"), early) == 0


@pytest.mark.parametrize(
    ("read", "field"),
    [
        (lambda: grouping("year"), "group"),
        (lambda: as_of_day("07.12.2026", now=datetime.now(UTC), timezone=MSK), "as_of"),
        (lambda: list_limit("0"), "limit"),
        (lambda: list_limit("101"), "limit"),
        (lambda: list_limit("-1"), "limit"),
    ],
)
def test_bad_parameters_are_named(read: object, field: str) -> None:
    with pytest.raises(InvalidReportParameter) as err:
        read()  # type: ignore[operator]
    assert (err.value.field, err.value.status) == (field, 400)


def test_defaults() -> None:
    now = datetime(2026, 12, 31, 21, 30, tzinfo=UTC)
    assert (grouping(None), list_limit(""), as_of_day(None, now=now, timezone=MSK)) == (
        Grouping.MONTH,
        20,
        date(2027, 1, 1),
    )
