"""The money reports' rows on SQLite and PostgreSQL.

Dates (`payments.paid_on`, `invoices.invoice_date`, `due_date`) are ISO text on both
databases, so a day range compares as text. Amounts are whole kopecks summed by SQL (exact
on both) and become Decimal here. The queries scan the period's payments and the invoices
still asking for money; measured by bench/money_reports.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from crm_core.money_reports import (
    ConversionFacts,
    DayRange,
    InvoiceTally,
    OpenInvoice,
    Owner,
    PaidDay,
    QuoteTally,
    days_to_full_payment,
)
from crm_core.reports import Period
from crm_core.storage.catalogue import from_kopecks
from crm_core.storage.session import SqlSession

OWNER = "d.owner_id, m.login, m.name"
DEALS = "JOIN deals d ON d.id = i.deal_id LEFT JOIN managers m ON m.id = d.owner_id"


class SqlMoneyReports:
    """Read-only money report queries over one session (a ports.MoneyReportRepository)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def paid_days(self, days: DayRange, owner_id: int | None) -> list[PaidDay]:
        """Matched payments dated in `days`, summed per day and deal owner."""
        args: list[Any] = [days.first.isoformat(), days.end.isoformat()]
        rows = await self._s.fetch_tuples(
            f"SELECT p.paid_on, {OWNER}, COUNT(*), SUM(p.amount_kopecks)"
            f" FROM payments p JOIN invoices i ON i.id = p.invoice_id {DEALS}"
            f" WHERE p.paid_on >= $1 AND p.paid_on < $2{_mine(args, owner_id)}"
            f" GROUP BY p.paid_on, {OWNER}",
            *args,
        )
        return [
            PaidDay(date.fromisoformat(day), Owner(oid, login, name), int(n), from_kopecks(k))
            for day, oid, login, name, n, k in rows
        ]

    async def open_invoices(self, as_of: date, owner_id: int | None) -> list[OpenInvoice]:
        """Invoices issued by `as_of` and not withdrawn, with their payments up to that day;
        a paid one only when some of its money came later."""
        args: list[Any] = [as_of.isoformat()]
        paid_by = "SELECT {x} FROM payments p WHERE p.invoice_id = i.id AND p.paid_on {op} $1"
        rows = await self._s.fetch_tuples(
            f"SELECT i.id, i.number, i.deal_id, d.title, {OWNER}, i.invoice_date, i.due_date,"
            f" i.total_kopecks, COALESCE(({paid_by.format(x='SUM(p.amount_kopecks)', op='<=')}),"
            f" 0) FROM invoices i {DEALS}"
            " WHERE i.invoice_date <= $1 AND (i.status IN ('issued', 'partially_paid')"
            f" OR (i.status = 'paid' AND EXISTS ({paid_by.format(x='1', op='>')})))"
            f"{_mine(args, owner_id)} ORDER BY i.id",
            *args,
        )
        found = [
            OpenInvoice(
                id=int(iid),
                number=number,
                deal_id=int(deal_id),
                deal_title=title,
                owner=Owner(oid, login, name),
                invoice_date=date.fromisoformat(issued),
                due_date=date.fromisoformat(due),
                total=from_kopecks(total),
                paid=from_kopecks(paid),
            )
            for iid, number, deal_id, title, oid, login, name, issued, due, total, paid in rows
        ]
        return [i for i in found if i.paid < i.total]

    async def conversion_facts(
        self, period: Period, days: DayRange, owner_id: int | None
    ) -> ConversionFacts:
        """Quotes created in `period` per status (with how many have a live invoice), invoices
        dated in `days` per status, and each paid one's days to full payment."""
        quote_args: list[Any] = [period.start, period.end]
        # invoices_deal (deal_id, id) finds a quote's invoices: quote_id has no index.
        quotes = await self._s.fetch_tuples(
            "SELECT q.status, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM invoices i"
            " WHERE i.deal_id = q.deal_id AND i.quote_id = q.id AND i.status <> 'cancelled')"
            " THEN 1 ELSE 0 END) FROM quotes q JOIN deals d ON d.id = q.deal_id"
            f" WHERE q.created_at >= $1 AND q.created_at < $2{_mine(quote_args, owner_id)}"
            " GROUP BY q.status",
            *quote_args,
        )
        args: list[Any] = [days.first.isoformat(), days.end.isoformat()]
        cohort = f"i.invoice_date >= $1 AND i.invoice_date < $2{_mine(args, owner_id)}"
        invoices = await self._s.fetch_tuples(
            "SELECT i.status, COUNT(*), SUM(i.total_kopecks) FROM invoices i"
            f" JOIN deals d ON d.id = i.deal_id WHERE {cohort} GROUP BY i.status",
            *args,
        )
        payments = await self._s.fetch_tuples(
            "SELECT i.id, i.invoice_date, i.total_kopecks, p.paid_on, p.amount_kopecks"
            " FROM invoices i JOIN deals d ON d.id = i.deal_id"
            " JOIN payments p ON p.invoice_id = i.id"
            f" WHERE {cohort} AND i.status = 'paid' ORDER BY i.id, p.paid_on, p.id",
            *args,
        )
        return ConversionFacts(
            quotes=tuple(QuoteTally(s, int(n), int(k or 0)) for s, n, k in quotes),
            invoices=tuple(InvoiceTally(s, int(n), from_kopecks(k or 0)) for s, n, k in invoices),
            days_to_payment=_days_to_payment(payments),
        )


def _mine(args: list[Any], owner_id: int | None) -> str:
    """The condition narrowing to one owner's deals (its argument appended), or nothing."""
    if owner_id is None:
        return ""
    args.append(owner_id)
    return f" AND d.owner_id = ${len(args)}"


def _days_to_payment(rows: list[tuple[Any, ...]]) -> tuple[int, ...]:
    """Per paid invoice, the days from its date to the payment that completed it."""
    invoices: dict[int, tuple[date, Decimal]] = {}
    paid: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for iid, issued, total, paid_on, amount in rows:
        invoices[iid] = (date.fromisoformat(issued), from_kopecks(total))
        paid[iid].append((date.fromisoformat(paid_on), from_kopecks(amount)))
    waited = (days_to_full_payment(*invoices[iid], paid[iid]) for iid in invoices)
    return tuple(days for days in waited if days is not None)
