"""Money reports, pure: revenue by period and manager, receivables by days overdue, and the
conversion of quotes into invoices and of invoices into payments.

Payments and invoices are dated (ISO dates in the company's time zone, `[documents]
timezone`), so a report period of two timezone-aware moments covers the days whose local
midnight falls in it: `from=2026-12-01&to=2027-01-01` is December in Moscow, and a payment
dated 31 December is December's whatever the hour it was recorded.

Revenue is attributed to the deal's current owner (not the owner at payment time): the same
rule that decides which deals a manager sees, so a manager's figures are always the sum of
the invoices on their own deal cards, and a deal handed over takes its money with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from crm_core.reports import InvalidPeriod, Period, share

ZERO = Decimal("0.00")
MOST_OVERDUE = 20
MOST_OVERDUE_MAX = 100
DAYS_DIGITS = Decimal("0.1")


class InvalidReportParameter(InvalidPeriod):
    """A report parameter other than the period cannot be read; `field` names it (400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, 400)


class Grouping(StrEnum):
    """How revenue is summed over time."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def grouping(raw: str | None) -> Grouping:
    """The `?group=` of a revenue report, `month` when absent."""
    if raw is None or not raw.strip():
        return Grouping.MONTH
    try:
        return Grouping(raw.strip())
    except ValueError:
        raise InvalidReportParameter(
            "group", f"`group` must be day, week or month, got {raw[:20]!r}"
        ) from None


def as_of_day(raw: str | None, *, now: datetime, timezone: str) -> date:
    """The `?as_of=` day of a receivables report (ISO date), today in `timezone` when absent."""
    if raw is None or not raw.strip():
        return now.astimezone(ZoneInfo(timezone)).date()
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidReportParameter(
            "as_of", f"`as_of` must be an ISO date (YYYY-MM-DD), got {raw[:20]!r}"
        ) from None


def list_limit(raw: str | None) -> int:
    """The `?limit=` of the most overdue invoices: 1 to MOST_OVERDUE_MAX, default MOST_OVERDUE."""
    if raw is None or not raw.strip():
        return MOST_OVERDUE
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= MOST_OVERDUE_MAX:
        raise InvalidReportParameter(
            "limit", f"`limit` must be a whole number from 1 to {MOST_OVERDUE_MAX}"
        )
    return int(text)


@dataclass(frozen=True, slots=True)
class DayRange:
    """The days [first, end) of a period: those whose local midnight falls in it."""

    first: date
    end: date


def day_range(period: Period, timezone: str) -> DayRange:
    """The days a period covers in `timezone`."""
    zone = ZoneInfo(timezone)
    return DayRange(_first_midnight(period.start, zone), _first_midnight(period.end, zone))


def _first_midnight(moment: datetime, zone: ZoneInfo) -> date:
    """The day of the first local midnight at or after `moment`."""
    local = moment.astimezone(zone)
    return local.date() if local.time() == time() else local.date() + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose deal a figure belongs to: a manager, or nobody (`id` None)."""

    id: int | None
    login: str | None
    name: str | None


# ---------------------------------------------------------------- revenue


@dataclass(frozen=True, slots=True)
class PaidDay:
    """What storage sums: payments of one day on one owner's deals."""

    day: date
    owner: Owner
    payments: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RevenueBucket:
    """Money received in the days [start, end) of one day, week or month."""

    start: date
    end: date
    payments: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ManagerRevenue:
    """Money received on one owner's deals in the period."""

    owner: Owner
    payments: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RevenueReport:
    """Payments dated in a period, by day, week or month and by deal owner."""

    period: Period
    days: DayRange
    group: Grouping
    buckets: tuple[RevenueBucket, ...]
    managers: tuple[ManagerRevenue, ...]
    payments: int
    total: Decimal


def bucket_start(day: date, group: Grouping) -> date:
    """The first day of the day, ISO week (Monday) or month `day` is in."""
    if group is Grouping.WEEK:
        return day - timedelta(days=day.weekday())
    if group is Grouping.MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(start: date, group: Grouping) -> date:
    if group is Grouping.WEEK:
        return start + timedelta(days=7)
    if group is Grouping.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def revenue_report(
    period: Period, days: DayRange, group: Grouping, paid: Iterable[PaidDay]
) -> RevenueReport:
    """Every bucket of the period (empty ones at zero, the first and last cut to the period)
    and every owner with money, most first."""
    by_bucket: dict[date, list[PaidDay]] = defaultdict(list)
    by_owner: dict[Owner, list[PaidDay]] = defaultdict(list)
    for row in paid:
        by_bucket[bucket_start(row.day, group)].append(row)
        by_owner[row.owner].append(row)
    buckets: list[RevenueBucket] = []
    start = bucket_start(days.first, group)
    while start < days.end:
        after = _next_bucket(start, group)
        rows = by_bucket.get(start, [])
        buckets.append(RevenueBucket(max(start, days.first), min(after, days.end), *_sum(rows)))
        start = after
    managers = [ManagerRevenue(owner, *_sum(rows)) for owner, rows in by_owner.items()]
    managers.sort(key=lambda m: (-m.amount, m.owner.name or "\uffff", m.owner.id or 0))
    payments, total = _sum([r for rows in by_owner.values() for r in rows])
    return RevenueReport(period, days, group, tuple(buckets), tuple(managers), payments, total)


def _sum(rows: Sequence[PaidDay]) -> tuple[int, Decimal]:
    return sum(r.payments for r in rows), sum((r.amount for r in rows), ZERO)


# ---------------------------------------------------------------- receivables


class Overdue(StrEnum):
    """How late an unpaid invoice is, in days past its due date."""

    NOT_DUE = "not_due"
    DAYS_1_30 = "1_30"
    DAYS_31_60 = "31_60"
    DAYS_61_90 = "61_90"
    OVER_90 = "over_90"

    @property
    def label(self) -> str:
        """As managers read it."""
        return _OVERDUE_LABELS[self]


_OVERDUE_LABELS = {
    Overdue.NOT_DUE: "Срок не наступил",
    Overdue.DAYS_1_30: "1–30 дней",
    Overdue.DAYS_31_60: "31–60 дней",
    Overdue.DAYS_61_90: "61–90 дней",
    Overdue.OVER_90: "Больше 90 дней",
}


def overdue_bucket(days_overdue: int) -> Overdue:
    """The bucket of an invoice `days_overdue` past due (0 or less: due today or later)."""
    if days_overdue <= 0:
        return Overdue.NOT_DUE
    if days_overdue <= 30:
        return Overdue.DAYS_1_30
    if days_overdue <= 60:
        return Overdue.DAYS_31_60
    if days_overdue <= 90:
        return Overdue.DAYS_61_90
    return Overdue.OVER_90


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """What storage reads of an issued invoice: its total and what was paid on it by the day
    the report is made for."""

    id: int
    number: str
    deal_id: int
    deal_title: str
    owner: Owner
    invoice_date: date
    due_date: date
    total: Decimal
    paid: Decimal


@dataclass(frozen=True, slots=True)
class Receivable:
    """An invoice still to be paid on the report's day."""

    invoice: OpenInvoice
    due: Decimal
    days_overdue: int
    bucket: Overdue


@dataclass(frozen=True, slots=True)
class BucketSum:
    """Invoices in one overdue bucket and what they still owe."""

    bucket: Overdue
    invoices: int
    due: Decimal


@dataclass(frozen=True, slots=True)
class ManagerReceivables:
    """One owner's unpaid invoices per overdue bucket."""

    owner: Owner
    invoices: int
    due: Decimal
    buckets: tuple[BucketSum, ...]


@dataclass(frozen=True, slots=True)
class ReceivablesReport:
    """Invoices issued and not fully paid on `as_of`, by days overdue and by deal owner."""

    as_of: date
    buckets: tuple[BucketSum, ...]
    managers: tuple[ManagerReceivables, ...]
    invoices: int
    due: Decimal
    most_overdue: tuple[Receivable, ...]


def receivables_report(
    as_of: date, invoices: Iterable[OpenInvoice], limit: int = MOST_OVERDUE
) -> ReceivablesReport:
    """What is owed on `as_of`: every bucket (empty ones at zero), owners owing most first,
    and the `limit` invoices longest overdue (the larger debt first among equals)."""
    owed = [
        Receivable(
            i,
            i.total - i.paid,
            (as_of - i.due_date).days,
            overdue_bucket((as_of - i.due_date).days),
        )
        for i in invoices
        if i.paid < i.total
    ]
    by_owner: dict[Owner, list[Receivable]] = defaultdict(list)
    for r in owed:
        by_owner[r.invoice.owner].append(r)
    managers = [
        ManagerReceivables(owner, len(rows), _owed(rows), _buckets(rows))
        for owner, rows in by_owner.items()
    ]
    managers.sort(key=lambda m: (-m.due, m.owner.name or "\uffff", m.owner.id or 0))
    overdue = sorted(
        (r for r in owed if r.days_overdue > 0),
        key=lambda r: (-r.days_overdue, -r.due, r.invoice.id),
    )
    return ReceivablesReport(
        as_of, _buckets(owed), tuple(managers), len(owed), _owed(owed), tuple(overdue[:limit])
    )


def _owed(rows: Sequence[Receivable]) -> Decimal:
    return sum((r.due for r in rows), ZERO)


def _buckets(rows: Sequence[Receivable]) -> tuple[BucketSum, ...]:
    return tuple(
        BucketSum(b, len(mine), _owed(mine))
        for b in Overdue
        for mine in ([r for r in rows if r.bucket is b],)
    )


# ---------------------------------------------------------------- conversion


@dataclass(frozen=True, slots=True)
class QuoteTally:
    """Quotes created in the period with one status; `invoiced` of them have an invoice that
    was not cancelled."""

    status: str
    quotes: int
    invoiced: int


@dataclass(frozen=True, slots=True)
class InvoiceTally:
    """Invoices dated in the period with one status, and their totals summed."""

    status: str
    invoices: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ConversionFacts:
    """What storage reads for the conversion report; `days_to_payment` has, per fully paid
    invoice of the period, the days from its date to the payment that completed it."""

    quotes: tuple[QuoteTally, ...]
    invoices: tuple[InvoiceTally, ...]
    days_to_payment: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ConversionReport:
    """Quotes created in a period and how many became invoices; invoices issued in it and
    how many were paid, and how fast."""

    period: Period
    days: DayRange
    quotes_created: int
    quotes_sent: int
    quotes_accepted: int
    quotes_rejected: int
    quotes_invoiced: int
    quote_to_invoice: float | None
    invoices_issued: int
    issued_amount: Decimal
    invoices_partially_paid: int
    invoices_paid: int
    paid_amount: Decimal
    invoices_rejected: int
    invoice_to_payment: float | None
    average_days_to_payment: Decimal | None


# Statuses of an invoice that was issued (a cancelled one is left out of the report whether
# it was issued first or not: it no longer asks for money).
ISSUED = ("issued", "partially_paid", "paid", "rejected")


def conversion_report(period: Period, days: DayRange, facts: ConversionFacts) -> ConversionReport:
    """Counts and rates: quote → invoice over quotes created, invoice → payment over invoices
    issued; the average days to full payment to a tenth of a day (half up)."""
    quotes = {t.status: t for t in facts.quotes}
    created = sum(t.quotes for t in facts.quotes)
    invoiced = sum(t.invoiced for t in facts.quotes)
    invoices = {t.status: t for t in facts.invoices if t.status in ISSUED}
    issued = sum(t.invoices for t in invoices.values())
    paid = invoices.get("paid", InvoiceTally("paid", 0, ZERO))
    waited = facts.days_to_payment
    average = (
        (Decimal(sum(waited)) / len(waited)).quantize(DAYS_DIGITS, ROUND_HALF_UP)
        if waited
        else None
    )

    def count(status: str) -> int:
        tally = quotes.get(status)
        return tally.quotes if tally else 0

    return ConversionReport(
        period=period,
        days=days,
        quotes_created=created,
        quotes_sent=created - count("draft"),  # a quote leaves its draft only by being sent
        quotes_accepted=count("accepted"),
        quotes_rejected=count("rejected"),
        quotes_invoiced=invoiced,
        quote_to_invoice=share(invoiced, created),
        invoices_issued=issued,
        issued_amount=sum((t.amount for t in invoices.values()), ZERO),
        invoices_partially_paid=_count(invoices.get("partially_paid")),
        invoices_paid=paid.invoices,
        paid_amount=paid.amount,
        invoices_rejected=_count(invoices.get("rejected")),
        invoice_to_payment=share(paid.invoices, issued),
        average_days_to_payment=average,
    )


def _count(tally: InvoiceTally | None) -> int:
    return tally.invoices if tally else 0


def days_to_full_payment(
    invoice_date: date, total: Decimal, payments: Iterable[tuple[date, Decimal]]
) -> int | None:
    """Days from an invoice's date to the payment (in date order) that made its sum reach
    the total (0 for money that came before the invoice's date); None when it never did."""
    paid = ZERO
    for day, amount in sorted(payments, key=lambda p: p[0]):
        paid += amount
        if paid >= total:
            return max((day - invoice_date).days, 0)
    return None
