"""Money on documents: kopeck rounding, VAT rates and modes, line and document totals.

Pure and exact: amounts are Decimal (a float is refused), every rounding is explicit, to
kopecks, half up (ROUND_HALF_UP, as Russian accounting rounds: 0,125 → 0,13).

The order of rounding, which decides the last kopeck of a document (each step is rounded to
kopecks before the next one uses it):

1. a line's gross amount: quantity × price;
2. its own discount: gross × line discount % / 100, so amount = gross − discount;
3. the document's discount, spread over the lines (not over delivery): each line's share is
   amount × document discount % / 100, taken off the line (so the lines always add up to
   the document, with no kopeck left over to place);
4. VAT by the document's mode:
   - `per_line` (индивидуальный): each line's VAT = amount × rate / 100; the document's VAT
     is the sum of the lines' VAT; prices are without VAT and the VAT is added on top;
   - `on_total` (групповой): VAT is computed once per rate on the sum of the lines of that
     rate (base × rate / 100), and added on top; lines carry no VAT of their own;
   - `included` (в т.ч. НДС): prices already include VAT; each line's VAT is extracted,
     amount × rate / (100 + rate), and the document's VAT is their sum; the total is the sum
     of the lines, unchanged.

`subtotal` is always without VAT and `total` always with it, whatever the mode: in `included`
the subtotal is the total less the extracted VAT. "Без НДС" lines carry no VAT and are shown
apart from 0 % lines (a 0 % rate is a VAT rate; "без НДС" means the seller does not pay VAT).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from crm_core.errors import DomainError

KOPECK = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
# A document amount fits NUMERIC(16, 2): up to 99 999 999 999 999,99.
MONEY_MAX = Decimal("99999999999999.99")
QUANTITY_MAX = Decimal("999999999.999")
QUANTITY_STEP = Decimal("0.001")


class MoneyError(DomainError):
    """A value that is not a valid amount, quantity, rate or discount; names the field."""


def kopecks(value: Decimal) -> Decimal:
    """The value rounded to kopecks, half up (0,125 → 0,13; −0,125 → −0,13)."""
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def to_decimal(value: object, field: str) -> Decimal:
    """An exact Decimal from a Decimal, an int or a numeric string ("1 234,50" too); a float or
    a bool is refused (a float already lost the kopecks), as is anything not finite."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise MoneyError(field, f"{field} must be a decimal number (a string or an integer)")
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if len(text) > 40:
            raise MoneyError(field, f"{field} is too long for a number")
        try:
            value = Decimal(text)
        except InvalidOperation as err:
            raise MoneyError(field, f"{field} must be a decimal number") from err
    result = Decimal(value)
    if not result.is_finite():
        raise MoneyError(field, f"{field} must be a finite number")
    return result


def money(value: object, field: str = "amount", *, maximum: Decimal = MONEY_MAX) -> Decimal:
    """A non-negative amount in whole kopecks (0,001 is refused, never rounded away)."""
    amount = to_decimal(value, field)
    if amount < 0 or amount > maximum:
        raise MoneyError(field, f"{field} must be from 0 to {maximum}")
    if amount != amount.quantize(KOPECK):
        raise MoneyError(field, f"{field} must be in whole kopecks (at most 2 decimals)")
    return amount.quantize(KOPECK)


def quantity(value: object, field: str = "quantity") -> Decimal:
    """A positive quantity with at most 3 decimals (kilograms, hours, metres)."""
    amount = to_decimal(value, field)
    if amount <= 0 or amount > QUANTITY_MAX:
        raise MoneyError(field, f"{field} must be above 0 and at most {QUANTITY_MAX}")
    if amount != amount.quantize(QUANTITY_STEP):
        raise MoneyError(field, f"{field} may have at most 3 decimals")
    return plain_quantity(amount)


def plain_quantity(value: Decimal) -> Decimal:
    """A quantity without trailing zeros and never in exponent form: 10, 2.5, 0.125."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def percent(value: object, field: str = "discount_percent") -> Decimal:
    """A discount in percent: 0..100 with at most 2 decimals."""
    amount = to_decimal(value, field)
    if amount < 0 or amount > HUNDRED:
        raise MoneyError(field, f"{field} must be from 0 to 100")
    if amount != amount.quantize(KOPECK):
        raise MoneyError(field, f"{field} may have at most 2 decimals")
    return amount.quantize(KOPECK)


class VatRate(StrEnum):
    """A VAT rate of a product or a line; `none` is "без НДС" (not the same as 0 %)."""

    NONE = "none"
    ZERO = "0"
    TEN = "10"
    TWENTY = "20"

    @property
    def percent(self) -> Decimal:
        """The rate in percent (0 for "без НДС")."""
        return Decimal(0) if self is VatRate.NONE else Decimal(self.value)

    @property
    def label(self) -> str:
        """As documents print it: "Без НДС", "НДС 20%"."""
        return "Без НДС" if self is VatRate.NONE else f"НДС {self.value}%"


_NO_VAT = {"none", "без ндс", "без налога", "без налога (ндс)", "ндс не облагается", "нет"}


def parse_vat_rate(value: object, field: str = "vat_rate") -> VatRate:
    """A VAT rate as people and exports write it: "20", "20%", "НДС 20 %", "0,2", "20.00",
    "без НДС" (and the API's own "none")."""
    if isinstance(value, VatRate):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise MoneyError(field, f"{field} must be one of: none, 0, 10, 20")
    text = str(value).strip().lower().replace("\u00a0", " ")
    if text in _NO_VAT or text == "":
        if text == "":
            raise MoneyError(field, f"{field} is required: none, 0, 10 or 20")
        return VatRate.NONE
    text = text.removeprefix("ндс").strip().removesuffix("%").strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as err:
        raise MoneyError(field, f"{field} must be one of: none (без НДС), 0, 10, 20") from err
    if number.is_finite() and 0 < number < 1:
        number *= HUNDRED  # 0,2 as a fraction, as some exports write it
    for rate in (VatRate.ZERO, VatRate.TEN, VatRate.TWENTY):
        if number == rate.percent:
            return rate
    raise MoneyError(field, f"{field} must be one of: none (без НДС), 0, 10, 20")


class VatMode(StrEnum):
    """How a document's VAT is computed (SalesPlatform's three modes)."""

    PER_LINE = "per_line"  # индивидуальный: per line, summed
    ON_TOTAL = "on_total"  # групповой: once per rate on the total
    INCLUDED = "included"  # в т.ч. НДС: extracted from prices that include it

    @property
    def label(self) -> str:
        """The mode as managers know it."""
        return _MODE_LABELS[self]


_MODE_LABELS = {
    VatMode.PER_LINE: "НДС по строкам",
    VatMode.ON_TOTAL: "НДС на итог",
    VatMode.INCLUDED: "В т.ч. НДС",
}


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a quote or an invoice, as entered: a product or service, or delivery."""

    name: str
    quantity: Decimal
    price: Decimal
    vat_rate: VatRate
    discount_percent: Decimal = ZERO
    unit: str = "шт"
    delivery: bool = False
    product_id: int | None = None
    sku: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise MoneyError("name", "name is required")
        quantity(self.quantity)
        money(self.price, "price")
        percent(self.discount_percent)


@dataclass(frozen=True, slots=True)
class LineTotals:
    """A line's amounts after rounding: gross (quantity × price), discounts, amount after
    them, and its VAT (None in `on_total` mode, where VAT is not per line)."""

    line: Line
    gross: Decimal
    line_discount: Decimal
    document_discount: Decimal
    amount: Decimal
    vat: Decimal | None

    @property
    def discount(self) -> Decimal:
        """Both discounts of the line."""
        return self.line_discount + self.document_discount


@dataclass(frozen=True, slots=True)
class VatGroup:
    """The lines of one rate: their base (without VAT) and VAT."""

    rate: VatRate
    base: Decimal
    vat: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    """A document's amounts: lines, gross before discounts, discounts, subtotal without VAT,
    VAT (in all and per rate) and the total with VAT."""

    mode: VatMode
    discount_percent: Decimal
    lines: tuple[LineTotals, ...]
    gross: Decimal
    discount: Decimal
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    vat_groups: tuple[VatGroup, ...]


def compute_totals(
    lines: Sequence[Line], mode: VatMode, discount_percent: Decimal = ZERO
) -> Totals:
    """The document's amounts, kopeck-exact, in the rounding order the module describes."""
    doc_percent = percent(discount_percent)
    computed = [_line_amounts(line, doc_percent) for line in lines]
    if mode is VatMode.PER_LINE:
        vats = [kopecks(c[-1] * c[0].vat_rate.percent / HUNDRED) for c in computed]
    elif mode is VatMode.INCLUDED:
        vats = [
            kopecks(c[-1] * c[0].vat_rate.percent / (HUNDRED + c[0].vat_rate.percent))
            for c in computed
        ]
    else:
        vats = []
    totals = tuple(
        LineTotals(line, gross, line_disc, doc_disc, amount, vats[i] if vats else None)
        for i, (line, gross, line_disc, doc_disc, amount) in enumerate(computed)
    )
    amounts = _sum(t.amount for t in totals)
    groups = _vat_groups(totals, mode)
    vat_total = _sum(g.vat for g in groups)
    if mode is VatMode.INCLUDED:
        total, subtotal = amounts, amounts - vat_total
    else:
        subtotal, total = amounts, amounts + vat_total
    return Totals(
        mode=mode,
        discount_percent=doc_percent,
        lines=totals,
        gross=_sum(t.gross for t in totals),
        discount=_sum(t.discount for t in totals),
        subtotal=subtotal,
        vat_total=vat_total,
        total=total,
        vat_groups=groups,
    )


def _line_amounts(
    line: Line, doc_percent: Decimal
) -> tuple[Line, Decimal, Decimal, Decimal, Decimal]:
    gross = kopecks(line.quantity * line.price)
    line_discount = kopecks(gross * line.discount_percent / HUNDRED)
    after_line = gross - line_discount
    share = ZERO if line.delivery else kopecks(after_line * doc_percent / HUNDRED)
    return line, gross, line_discount, share, after_line - share


def _vat_groups(totals: Sequence[LineTotals], mode: VatMode) -> tuple[VatGroup, ...]:
    """Per rate, in the order of VatRate: base without VAT and VAT."""
    groups = []
    for rate in VatRate:
        of_rate = [t for t in totals if t.line.vat_rate is rate]
        if not of_rate:
            continue
        amounts = _sum(t.amount for t in of_rate)
        if mode is VatMode.ON_TOTAL:
            vat = kopecks(amounts * rate.percent / HUNDRED)
        else:
            vat = _sum(t.vat or ZERO for t in of_rate)
        base = amounts - vat if mode is VatMode.INCLUDED else amounts
        groups.append(VatGroup(rate, base, vat))
    return tuple(groups)


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def format_rub(amount: Decimal) -> str:
    """An amount as documents print it: "150 000,50" (a narrow no-break space between
    thousands, a decimal comma)."""
    text = f"{kopecks(amount):,.2f}"
    return text.replace(",", "\u202f").replace(".", ",")
