"""Amounts in words in Russian, as invoices and acts print them.

"Сто пятьдесят тысяч рублей 50 копеек": roubles in words with the capital first letter,
kopecks as two digits; genders (один рубль, одна тысяча, одна копейка) and plural forms
(рубль / рубля / рублей) by the Russian rules, up to trillions.
"""

from __future__ import annotations

from decimal import Decimal

from crm_core.money import kopecks

_UNITS_MASCULINE = (
    "",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
)
_UNITS_FEMININE = ("", "одна", "две", *_UNITS_MASCULINE[3:])
_TEENS = (
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
)
_TENS = (
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
)
_HUNDREDS = (
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
)
# Each power of a thousand: its forms for 1, 2-4, 5+ and whether it is feminine.
_SCALES: tuple[tuple[tuple[str, str, str], bool], ...] = (
    (("", "", ""), False),
    (("тысяча", "тысячи", "тысяч"), True),
    (("миллион", "миллиона", "миллионов"), False),
    (("миллиард", "миллиарда", "миллиардов"), False),
    (("триллион", "триллиона", "триллионов"), False),
)
ROUBLE = ("рубль", "рубля", "рублей")
KOPECK = ("копейка", "копейки", "копеек")
MAX_WORDS = Decimal(1000) ** len(_SCALES) - Decimal("0.01")


def plural(number: int, forms: tuple[str, str, str]) -> str:
    """The form of a noun after a number: 1 рубль, 2 рубля, 5 рублей, 11 рублей, 21 рубль."""
    n = abs(number) % 100
    if 11 <= n <= 19:
        return forms[2]
    last = n % 10
    if last == 1:
        return forms[0]
    if 2 <= last <= 4:
        return forms[1]
    return forms[2]


def number_in_words(number: int, *, feminine: bool = False) -> str:
    """A whole number from 0 in words, lower case: "двадцать одна" with `feminine`."""
    if number < 0:
        raise ValueError("a negative number has no words here")
    if number == 0:
        return "ноль"
    if number >= 1000 ** len(_SCALES):
        raise ValueError(f"{number} is beyond the largest scale ({_SCALES[-1][0][2]})")
    words: list[str] = []
    for power in range(len(_SCALES) - 1, -1, -1):
        triple = number // 1000**power % 1000
        if triple == 0:
            continue
        forms, scale_feminine = _SCALES[power]
        words += _triple(triple, scale_feminine if power else feminine)
        if power:
            words.append(plural(triple, forms))
    return " ".join(words)


def _triple(n: int, feminine: bool) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    tens, units = n // 10 % 10, n % 10
    if tens == 1:
        words.append(_TEENS[units])
    else:
        words.append(_TENS[tens])
        words.append((_UNITS_FEMININE if feminine else _UNITS_MASCULINE)[units])
    return [w for w in words if w]


def amount_in_words(amount: Decimal) -> str:
    """Roubles in words and kopecks in digits: "Один миллион рублей 01 копейка" (rounded to
    kopecks half up first)."""
    value = kopecks(amount)
    if value < 0:
        raise ValueError("a negative amount has no words on a document")
    if value > MAX_WORDS:
        raise ValueError(f"an amount above {MAX_WORDS} has no words here")
    roubles = int(value)
    cents = int((value - roubles) * 100)
    words = number_in_words(roubles)
    text = f"{words} {plural(roubles, ROUBLE)} {cents:02d} {plural(cents, KOPECK)}"
    return text[0].upper() + text[1:]
