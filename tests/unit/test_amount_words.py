"""Amounts in words in Russian, checked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.amount_words import amount_in_words, number_in_words, plural


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "Ноль рублей 00 копеек"),
        ("1", "Один рубль 00 копеек"),
        ("2", "Два рубля 00 копеек"),
        ("5", "Пять рублей 00 копеек"),
        ("11", "Одиннадцать рублей 00 копеек"),
        ("21", "Двадцать один рубль 00 копеек"),
        ("1000000.01", "Один миллион рублей 01 копейка"),
        ("150000.50", "Сто пятьдесят тысяч рублей 50 копеек"),
        ("0.02", "Ноль рублей 02 копейки"),
        ("0.11", "Ноль рублей 11 копеек"),
        ("0.21", "Ноль рублей 21 копейка"),
        ("112", "Сто двенадцать рублей 00 копеек"),
        ("1001", "Одна тысяча один рубль 00 копеек"),
        ("2000", "Две тысячи рублей 00 копеек"),
        ("21000", "Двадцать одна тысяча рублей 00 копеек"),
        ("22000", "Двадцать две тысячи рублей 00 копеек"),
        ("11000", "Одиннадцать тысяч рублей 00 копеек"),
        ("2887.64", "Две тысячи восемьсот восемьдесят семь рублей 64 копейки"),
        ("2000000", "Два миллиона рублей 00 копеек"),
        ("5000000000", "Пять миллиардов рублей 00 копеек"),
        ("1001001001", "Один миллиард один миллион одна тысяча один рубль 00 копеек"),
        ("104.3", "Сто четыре рубля 30 копеек"),
        ("0.125", "Ноль рублей 13 копеек"),
    ],
)
def test_amounts_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_plural_forms() -> None:
    forms = ("рубль", "рубля", "рублей")
    expected = {
        1: 0,
        2: 1,
        4: 1,
        5: 2,
        11: 2,
        12: 2,
        14: 2,
        19: 2,
        21: 0,
        22: 1,
        25: 2,
        111: 2,
        101: 0,
    }
    for number, index in expected.items():
        assert plural(number, forms) == forms[index], number


def test_refused_amounts() -> None:
    with pytest.raises(ValueError, match="negative"):
        amount_in_words(Decimal("-1"))
    with pytest.raises(ValueError, match="above"):
        amount_in_words(Decimal(10) ** 15)


def test_feminine_numbers() -> None:
    assert number_in_words(1, feminine=True) == "одна"
    assert number_in_words(42, feminine=True) == "сорок две"


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_every_number_has_words_and_no_doubled_spaces(number: int) -> None:
    words = number_in_words(number)
    assert words and "  " not in words and words == words.strip()
    assert ("тысяч" in words) == (number // 1000 % 1000 != 0)
