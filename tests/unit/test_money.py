"""Document money: kopeck rounding, VAT modes, discounts, hand-computed cases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.money import (
    Line,
    MoneyError,
    VatMode,
    VatRate,
    compute_totals,
    format_rub,
    kopecks,
    money,
    parse_vat_rate,
    percent,
    quantity,
    to_decimal,
)

D = Decimal


def three_lines_and_delivery() -> list[Line]:
    """The hand-computed quote of test_the_three_modes_give_different_totals."""
    return [
        Line("Кабель ВВГ", D(3), D("333.33"), VatRate.TWENTY),
        Line("Клемма", D(7), D("14.29"), VatRate.TWENTY, discount_percent=D(10)),
        Line("Монтаж", D(1), D("1000.01"), VatRate.TEN, unit="усл"),
        Line("Доставка", D(1), D("500.00"), VatRate.TWENTY, delivery=True),
    ]


def test_kopecks_round_half_up_not_to_even() -> None:
    assert kopecks(D("0.125")) == D("0.13")  # half-even would give 0.12
    assert kopecks(D("0.135")) == D("0.14")
    assert kopecks(D("0.124999")) == D("0.12")
    assert kopecks(D("-0.125")) == D("-0.13")
    assert kopecks(D("14.255")) == D("14.26")


def test_the_three_modes_give_different_totals() -> None:
    # Document discount 5 %, not applied to delivery. By hand:
    #   line 1: 3 × 333,33 = 999,99; −5 % = 49,9995 → 50,00; amount 949,99
    #   line 2: 7 × 14,29 = 100,03; −10 % = 10,003 → 10,00 → 90,03; −5 % = 4,5015 → 4,50;
    #           amount 85,53
    #   line 3: 1000,01; −5 % = 50,0005 → 50,00; amount 950,01
    #   delivery: 500,00 (no document discount)
    #   sum of amounts: 2485,53
    lines = three_lines_and_delivery()
    per_line = compute_totals(lines, VatMode.PER_LINE, D(5))
    assert [t.amount for t in per_line.lines] == [D("949.99"), D("85.53"), D("950.01"), D("500")]
    assert [t.discount for t in per_line.lines] == [D("50.00"), D("14.50"), D("50.00"), D(0)]
    # per line: 189,998 → 190,00; 17,106 → 17,11; 95,001 → 95,00; 100,00 = 402,11
    assert [t.vat for t in per_line.lines] == [D("190.00"), D("17.11"), D("95.00"), D("100.00")]
    assert (per_line.subtotal, per_line.vat_total, per_line.total) == (
        D("2485.53"),
        D("402.11"),
        D("2887.64"),
    )
    # on the total, per rate: 20 % of 1535,52 = 307,104 → 307,10; 10 % of 950,01 → 95,00
    on_total = compute_totals(lines, VatMode.ON_TOTAL, D(5))
    assert [t.vat for t in on_total.lines] == [None] * 4
    assert [(g.rate, g.base, g.vat) for g in on_total.vat_groups] == [
        (VatRate.TEN, D("950.01"), D("95.00")),
        (VatRate.TWENTY, D("1535.52"), D("307.10")),
    ]
    assert (on_total.subtotal, on_total.vat_total, on_total.total) == (
        D("2485.53"),
        D("402.10"),
        D("2887.63"),
    )
    # included: 949,99 × 20/120 = 158,3316 → 158,33; 85,53/6 = 14,255 → 14,26 (half up);
    # 950,01 × 10/110 = 86,3645 → 86,36; 500/6 = 83,333 → 83,33; VAT 342,28, total unchanged
    included = compute_totals(lines, VatMode.INCLUDED, D(5))
    assert [t.vat for t in included.lines] == [D("158.33"), D("14.26"), D("86.36"), D("83.33")]
    assert (included.subtotal, included.vat_total, included.total) == (
        D("2143.25"),
        D("342.28"),
        D("2485.53"),
    )
    assert len({per_line.total, on_total.total, included.total}) == 3
    assert per_line.gross == D("2600.03")
    assert per_line.discount == D("114.50")


def test_without_vat_lines_carry_no_vat_and_stay_apart_from_zero_rate() -> None:
    lines = [
        Line("Консультация", D(2), D("1500.00"), VatRate.NONE),
        Line("Экспорт", D(1), D("100.00"), VatRate.ZERO),
    ]
    for mode in VatMode:
        totals = compute_totals(lines, mode)
        assert totals.vat_total == D(0)
        assert totals.total == totals.subtotal == D("3100.00")
        assert [g.rate for g in totals.vat_groups] == [VatRate.NONE, VatRate.ZERO]


def test_fractional_quantities_round_the_line_once() -> None:
    # 2,375 kg × 99,99 = 237,476... → 237,48
    totals = compute_totals(
        [Line("Краска", D("2.375"), D("99.99"), VatRate.TWENTY)], VatMode.PER_LINE
    )
    assert totals.lines[0].gross == D("237.48")
    assert totals.vat_total == D("47.50")  # 47,496 → 47,50
    assert totals.total == D("284.98")


def test_full_discount_and_empty_document() -> None:
    free = compute_totals(
        [Line("Подарок", D(1), D("10.00"), VatRate.TWENTY, D(100))], VatMode.PER_LINE
    )
    assert free.total == D(0)
    empty = compute_totals([], VatMode.ON_TOTAL, D(10))
    assert (empty.subtotal, empty.vat_total, empty.total, empty.vat_groups) == (
        D(0),
        D(0),
        D(0),
        (),
    )


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("20", VatRate.TWENTY),
        ("20%", VatRate.TWENTY),
        ("НДС 20 %", VatRate.TWENTY),
        ("20,00", VatRate.TWENTY),
        ("0.2", VatRate.TWENTY),
        ("10", VatRate.TEN),
        ("0%", VatRate.ZERO),
        ("0", VatRate.ZERO),
        ("Без НДС", VatRate.NONE),
        ("без налога (НДС)", VatRate.NONE),
        ("none", VatRate.NONE),
    ],
)
def test_vat_rates_as_people_and_exports_write_them(text: str, rate: VatRate) -> None:
    assert parse_vat_rate(text) is rate


@pytest.mark.parametrize("text", ["18", "", "двадцать", "12.5", "-20"])
def test_other_vat_rates_are_refused_by_field(text: str) -> None:
    with pytest.raises(MoneyError) as err:
        parse_vat_rate(text)
    assert err.value.field == "vat_rate"


def test_amounts_quantities_and_percents_are_validated_by_field() -> None:
    assert money("1 234,50", "price") == D("1234.50")
    assert money(12) == D("12.00")
    for bad in (1.5, True, "0.001", "-1", "abc", "NaN", "Infinity", None):
        with pytest.raises(MoneyError) as err:
            money(bad, "price")
        assert err.value.field == "price"
    assert quantity("2,5") == D("2.5")
    assert str(quantity("10")) == "10"
    assert str(quantity("1.500")) == "1.5"
    for bad in ("0", "-1", "0.0001", "1e12"):
        with pytest.raises(MoneyError):
            quantity(bad)
    assert percent("12.5") == D("12.50")
    for bad in ("100.01", "-1", "0.001"):
        with pytest.raises(MoneyError):
            percent(bad)
    with pytest.raises(MoneyError):
        to_decimal(0.1, "price")
    with pytest.raises(MoneyError) as err:
        Line("Товар", D(1), D("0.001"), VatRate.TWENTY)
    assert err.value.field == "price"
    with pytest.raises(MoneyError) as err:
        Line(" ", D(1), D(1), VatRate.TWENTY)
    assert err.value.field == "name"


def test_format_rub() -> None:
    assert format_rub(D("150000.5")) == "150\u202f000,50"
    assert format_rub(D(0)) == "0,00"


cents = st.integers(min_value=0, max_value=10**9).map(lambda c: D(c) / 100)
quantities = st.integers(min_value=1, max_value=10**6).map(lambda q: D(q) / 1000)
percents = st.integers(min_value=0, max_value=10000).map(lambda p: D(p) / 100)
lines = st.builds(
    Line,
    name=st.just("Товар"),
    quantity=quantities,
    price=cents,
    vat_rate=st.sampled_from(list(VatRate)),
    discount_percent=percents,
    delivery=st.booleans(),
)


@given(st.lists(lines, max_size=8), st.sampled_from(list(VatMode)), percents)
def test_totals_are_whole_kopecks_and_add_up(
    items: list[Line], mode: VatMode, discount: Decimal
) -> None:
    totals = compute_totals(items, mode, discount)
    for value in (totals.subtotal, totals.vat_total, totals.total, totals.gross, totals.discount):
        assert value == value.quantize(D("0.01"))
        assert value >= 0
    assert totals.total == totals.subtotal + totals.vat_total
    assert totals.gross - totals.discount == sum((t.amount for t in totals.lines), D(0))
    assert totals.vat_total == sum((g.vat for g in totals.vat_groups), D(0))
    assert totals.subtotal == sum((g.base for g in totals.vat_groups), D(0))
    if mode is VatMode.INCLUDED:
        assert totals.total == totals.gross - totals.discount
    else:
        assert totals.subtotal == totals.gross - totals.discount
    for t in totals.lines:
        assert 0 <= t.amount <= t.gross


@given(st.lists(lines, min_size=1, max_size=8))
def test_per_line_and_on_total_differ_by_rounding_only(items: list[Line]) -> None:
    per_line = compute_totals(items, VatMode.PER_LINE)
    on_total = compute_totals(items, VatMode.ON_TOTAL)
    assert per_line.subtotal == on_total.subtotal
    # Each line's VAT is off by at most half a kopeck; each group's sum by half a kopeck.
    assert abs(per_line.vat_total - on_total.vat_total) <= D("0.005") * (len(items) + 4)
