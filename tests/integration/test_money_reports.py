"""Money reports on both databases, against hand-computed figures: revenue across the Moscow
new year, receivables on the exact edges of the overdue buckets, the conversion of quotes and
invoices, and a manager's reports covering their own deals only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from crm_core.invoices import create_invoice, invoice_from_quote
from crm_core.invoices_model import Invoice, InvoiceStatus
from crm_core.model import Manager
from crm_core.money_reporting import load_conversion, load_receivables, load_revenue
from crm_core.money_reports import (
    ConversionReport,
    Grouping,
    Overdue,
    ReceivablesReport,
    RevenueReport,
)
from crm_core.payments import ManualPayment, record_payment
from crm_core.quotes import QuoteStatus, change_quote_status, quote_request
from crm_core.reports import Period, resolve_period
from crm_core.storage import Storage
from tests.integration.test_invoices import (
    PIPELINES,
    TERMS,
    deal_with_company,
    one_line,
    status,
)
from tests.integration.test_quotes import TZ, quote, team

D = Decimal


def moment(y: int, m: int, d: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, second, tzinfo=UTC)


async def invoice(
    storage: Storage,
    deal_id: int,
    actor: Manager,
    price: str,
    now: datetime,
    due: date | None = None,
    issue: bool = True,
) -> Invoice:
    """A one-line invoice of `price` (VAT included, so its total is the price), issued."""
    async with storage.transaction() as uow:
        made = await create_invoice(
            uow, deal_id, actor, quote_request(one_line("Монтаж", price)), due, TERMS, now
        )
    if issue:
        await status(storage, made.id, actor, InvoiceStatus.ISSUED, now)
    return made


async def pay(storage: Storage, made: Invoice, actor: Manager, amount: str, day: date) -> None:
    async with storage.transaction() as uow:
        entry = ManualPayment(made.id, D(amount), day)
        await record_payment(uow, actor, entry, PIPELINES, moment(2027, 1, 20))


def period(start: str, end: str) -> Period:
    return resolve_period(start, end, now=moment(2027, 1, 20), timezone=TZ)


async def revenue(
    storage: Storage,
    viewer: Manager,
    start: str,
    end: str,
    group: Grouping = Grouping.MONTH,
    chosen: Manager | None = None,
) -> RevenueReport:
    async with storage.reader() as uow:
        return await load_revenue(uow, viewer, period(start, end), TZ, group, chosen)


def by_period(report: RevenueReport) -> list[tuple[str, str, str, int]]:
    return [
        (b.start.isoformat(), b.end.isoformat(), str(b.amount), b.payments) for b in report.buckets
    ]


def by_manager(report: RevenueReport) -> list[tuple[str | None, str, int]]:
    return [(m.owner.login, str(m.amount), m.payments) for m in report.managers]


async def test_revenue_by_period_and_manager_across_the_moscow_new_year(
    storage: Storage,
) -> None:
    people = await team(storage)
    ivanova, petrov, head = people["ivanova"], people["petrov"], people["head"]
    hers = await deal_with_company(storage, ivanova, 'ООО "Альфа"', "7707083893")
    his = await deal_with_company(storage, petrov, 'ООО "Бета"', "7728168971")
    a = await invoice(storage, hers, ivanova, "1000.00", moment(2026, 12, 1))
    b = await invoice(storage, his, petrov, "300.00", moment(2026, 12, 1))
    await pay(storage, a, ivanova, "400.00", date(2026, 12, 31))
    await pay(storage, a, ivanova, "600.00", date(2027, 1, 1))
    await pay(storage, b, petrov, "100.00", date(2026, 12, 15))  # partial: 200.00 still due

    december = await revenue(storage, head, "2026-12-01", "2027-01-01")
    assert (str(december.total), december.payments) == ("500.00", 2)
    assert by_period(december) == [("2026-12-01", "2027-01-01", "500.00", 2)]
    assert by_manager(december) == [("ivanova", "400.00", 1), ("petrov", "100.00", 1)]

    two_months = await revenue(storage, head, "2026-12-01", "2027-02-01")
    assert by_period(two_months) == [
        ("2026-12-01", "2027-01-01", "500.00", 2),
        ("2027-01-01", "2027-02-01", "600.00", 1),
    ]
    assert str(two_months.total) == "1100.00"

    # The boundary is midnight in Moscow, whatever offset the moment is written in: 21:00 UTC
    # on 31 December is the new year there, a second later 1 January's payment is inside.
    new_year = "2026-12-31T21:00:00+00:00"
    assert str((await revenue(storage, head, "2026-12-01", new_year)).total) == "500.00"
    later = await revenue(storage, head, "2026-12-01", "2026-12-31T21:00:01+00:00")
    assert str(later.total) == "1100.00"
    # From 23:59:59 on 31 December in Moscow: that day's payment is left out.
    only_january = await revenue(storage, head, "2026-12-31T23:59:59", "2027-01-02")
    assert by_manager(only_january) == [("ivanova", "600.00", 1)]

    days = await revenue(storage, head, "2026-12-31", "2027-01-02", Grouping.DAY)
    assert by_period(days) == [
        ("2026-12-31", "2027-01-01", "400.00", 1),
        ("2027-01-01", "2027-01-02", "600.00", 1),
    ]
    # Monday 28 December starts the ISO week both payments are in; a period starting on
    # Wednesday 30 December cuts its first week there.
    weeks = await revenue(storage, head, "2026-12-30", "2027-01-11", Grouping.WEEK)
    assert by_period(weeks) == [
        ("2026-12-30", "2027-01-04", "1000.00", 2),
        ("2027-01-04", "2027-01-11", "0.00", 0),
    ]

    # A manager's report is their own deals' money, whoever they ask for.
    own = await revenue(storage, ivanova, "2026-12-01", "2027-02-01", chosen=petrov)
    assert (by_manager(own), str(own.total)) == ([("ivanova", "1000.00", 2)], "1000.00")
    picked = await revenue(storage, head, "2026-12-01", "2027-02-01", chosen=petrov)
    assert by_manager(picked) == [("petrov", "100.00", 1)]


async def receivables(
    storage: Storage, viewer: Manager, as_of: date, limit: int = 20
) -> ReceivablesReport:
    async with storage.reader() as uow:
        return await load_receivables(uow, viewer, as_of, None, limit)


def buckets(report: ReceivablesReport) -> dict[str, tuple[int, str]]:
    return {b.bucket.value: (b.invoices, str(b.due)) for b in report.buckets}


async def test_receivables_on_the_edges_of_the_overdue_buckets(storage: Storage) -> None:
    people = await team(storage)
    ivanova, petrov, head = people["ivanova"], people["petrov"], people["head"]
    hers = await deal_with_company(storage, ivanova, 'ООО "Альфа"', "7707083893")
    his = await deal_with_company(storage, petrov, 'ООО "Бета"', "7728168971")
    issued_on = moment(2026, 9, 1)
    # Due on 7 December 2026 minus 0, 1, 30, 31, 60, 61, 90 and 91 days.
    dues = [
        (date(2026, 12, 7), "100.00"),
        (date(2026, 12, 6), "200.00"),
        (date(2026, 11, 7), "300.00"),
        (date(2026, 11, 6), "400.00"),
        (date(2026, 10, 8), "500.00"),
        (date(2026, 10, 7), "600.00"),
        (date(2026, 9, 8), "700.00"),
        (date(2026, 9, 7), "800.00"),
    ]
    made = [await invoice(storage, hers, ivanova, p, issued_on, due) for due, p in dues]
    await pay(storage, made[-1], ivanova, "300.00", date(2026, 10, 1))  # 500.00 still due
    cancelled = await invoice(storage, hers, ivanova, "900.00", issued_on, date(2026, 9, 7))
    await status(storage, cancelled.id, ivanova, InvoiceStatus.CANCELLED, issued_on)
    await invoice(storage, hers, ivanova, "950.00", issued_on, date(2026, 9, 7), issue=False)
    settled = await invoice(storage, hers, ivanova, "50.00", issued_on, date(2026, 9, 7))
    await pay(storage, settled, ivanova, "50.00", date(2026, 12, 1))
    # Paid in full three days after the report's day: still owed on it.
    late = await invoice(storage, his, petrov, "1000.00", issued_on, date(2026, 11, 30))
    await pay(storage, late, petrov, "1000.00", date(2026, 12, 10))

    as_of = date(2026, 12, 7)
    report = await receivables(storage, head, as_of, limit=3)
    assert buckets(report) == {
        "not_due": (1, "100.00"),
        "1_30": (3, "1500.00"),  # 200 + 300 + petrov's 1000 (7 days)
        "31_60": (2, "900.00"),
        "61_90": (2, "1300.00"),
        "over_90": (1, "500.00"),
    }
    assert (report.invoices, str(report.due)) == (9, "4300.00")
    assert [(m.owner.login, m.invoices, str(m.due)) for m in report.managers] == [
        ("ivanova", 8, "3300.00"),
        ("petrov", 1, "1000.00"),
    ]
    assert [(r.invoice.number, r.days_overdue, str(r.due)) for r in report.most_overdue] == [
        (made[7].number, 91, "500.00"),
        (made[6].number, 90, "700.00"),
        (made[5].number, 61, "600.00"),
    ]
    assert report.most_overdue[0].bucket is Overdue.OVER_90

    own = await receivables(storage, petrov, as_of)
    assert (own.invoices, str(own.due), [m.owner.login for m in own.managers]) == (
        1,
        "1000.00",
        ["petrov"],
    )
    assert [(r.invoice.id, r.days_overdue) for r in own.most_overdue] == [(late.id, 7)]
    # Once the payment's day has come, petrov is owed nothing; before the invoices' day,
    # nobody is.
    assert (await receivables(storage, petrov, date(2026, 12, 10))).invoices == 0
    assert (await receivables(storage, head, date(2026, 8, 31))).invoices == 0


async def conversion(storage: Storage, viewer: Manager) -> ConversionReport:
    async with storage.reader() as uow:
        return await load_conversion(uow, viewer, period("2026-12-01", "2027-01-01"), TZ)


async def move_quote(storage: Storage, quote_id: int, actor: Manager, *steps: QuoteStatus) -> None:
    for step in steps:
        reason = "дорого" if step is QuoteStatus.REJECTED else None
        async with storage.transaction() as uow:
            await change_quote_status(uow, quote_id, actor, step, reason, moment(2026, 12, 20))


async def test_quote_to_invoice_and_invoice_to_payment(storage: Storage) -> None:
    people = await team(storage)
    ivanova, petrov, head = people["ivanova"], people["petrov"], people["head"]
    hers = await deal_with_company(storage, ivanova, 'ООО "Альфа"', "7707083893")
    his = await deal_with_company(storage, petrov, 'ООО "Бета"', "7728168971")
    body = one_line("Монтаж", "1000.00")
    sent, accepted = QuoteStatus.SENT, QuoteStatus.ACCEPTED
    # 23:59 on 30 November in Moscow: before the period; 00:30 on 1 December: in it.
    await quote(storage, hers, ivanova, body, moment(2026, 11, 30, 20, 59))
    await quote(storage, hers, ivanova, body, moment(2026, 11, 30, 21, 30))  # a draft
    q2 = await quote(storage, hers, ivanova, body, moment(2026, 12, 3))
    await move_quote(storage, q2.id, ivanova, sent)
    q3 = await quote(storage, hers, ivanova, body, moment(2026, 12, 4))
    await move_quote(storage, q3.id, ivanova, sent, accepted)
    q4 = await quote(storage, hers, ivanova, body, moment(2026, 12, 5))
    await move_quote(storage, q4.id, ivanova, sent, QuoteStatus.REJECTED)
    q5 = await quote(storage, hers, ivanova, body, moment(2026, 12, 6))
    await move_quote(storage, q5.id, ivanova, sent, accepted)
    await quote(storage, his, petrov, body, moment(2026, 12, 5))

    async with storage.transaction() as uow:
        i1 = await invoice_from_quote(uow, q3.id, ivanova, None, TERMS, moment(2026, 12, 4))
        i4 = await invoice_from_quote(uow, q5.id, ivanova, None, TERMS, moment(2026, 12, 6))
    await status(storage, i1.id, ivanova, InvoiceStatus.ISSUED, moment(2026, 12, 4))
    await pay(storage, i1, ivanova, "400.00", date(2026, 12, 10))
    await pay(storage, i1, ivanova, "600.00", date(2026, 12, 14))  # paid in 10 days
    await status(storage, i4.id, ivanova, InvoiceStatus.CANCELLED, moment(2026, 12, 6))
    i2 = await invoice(storage, hers, ivanova, "200.00", moment(2026, 12, 10))
    await pay(storage, i2, ivanova, "200.00", date(2026, 12, 11))  # 1 day
    i3 = await invoice(storage, hers, ivanova, "300.00", moment(2026, 12, 12))
    await pay(storage, i3, ivanova, "100.00", date(2026, 12, 13))  # partly
    await invoice(storage, hers, ivanova, "500.00", moment(2026, 12, 12), issue=False)
    i6 = await invoice(storage, hers, ivanova, "600.00", moment(2026, 12, 12))
    await status(storage, i6.id, ivanova, InvoiceStatus.REJECTED, moment(2026, 12, 13))
    i7 = await invoice(storage, his, petrov, "700.00", moment(2026, 12, 5))
    await pay(storage, i7, petrov, "700.00", date(2026, 12, 8))  # 3 days
    # Dated 1 January in Moscow (21:30 UTC on 31 December): the next period's.
    await invoice(storage, his, petrov, "800.00", moment(2026, 12, 31, 21, 30))

    everyone = await conversion(storage, head)
    assert (
        everyone.quotes_created,
        everyone.quotes_sent,
        everyone.quotes_accepted,
        everyone.quotes_rejected,
        everyone.quotes_invoiced,
    ) == (6, 4, 2, 1, 1)
    assert everyone.quote_to_invoice == 1 / 6
    assert (
        everyone.invoices_issued,
        str(everyone.issued_amount),
        everyone.invoices_paid,
        str(everyone.paid_amount),
        everyone.invoices_partially_paid,
        everyone.invoices_rejected,
    ) == (5, "2800.00", 3, "1900.00", 1, 1)
    assert everyone.invoice_to_payment == 3 / 5
    assert everyone.average_days_to_payment == D("4.7")  # (10 + 1 + 3) / 3

    hers_only = await conversion(storage, ivanova)
    assert (hers_only.quotes_created, hers_only.quotes_invoiced) == (5, 1)
    assert (hers_only.invoices_issued, hers_only.invoices_paid) == (4, 2)
    assert hers_only.average_days_to_payment == D("5.5")
