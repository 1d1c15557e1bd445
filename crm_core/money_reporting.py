"""The money reports as a viewer gets them: the same scope rule as the sales reports (a
manager's own deals, a head's everyone's or one chosen manager's), the rows loaded, the report.

The API (intake/http/money_reports.py) and the workplace's Деньги tab both call these.
"""

from __future__ import annotations

from datetime import date

from crm_core.model import Manager
from crm_core.money_reports import (
    MOST_OVERDUE,
    ConversionReport,
    Grouping,
    ReceivablesReport,
    RevenueReport,
    conversion_report,
    day_range,
    receivables_report,
    revenue_report,
)
from crm_core.reporting import report_owner_id
from crm_core.reports import Period
from crm_core.storage.ports import UnitOfWork


async def load_revenue(
    uow: UnitOfWork,
    viewer: Manager,
    period: Period,
    timezone: str,
    group: Grouping,
    chosen: Manager | None = None,
) -> RevenueReport:
    """Payments dated in `period` (days in the company's `timezone`) the viewer may report on."""
    days = day_range(period, timezone)
    paid = await uow.money_reports.paid_days(days, report_owner_id(viewer, chosen))
    return revenue_report(period, days, group, paid)


async def load_receivables(
    uow: UnitOfWork,
    viewer: Manager,
    as_of: date,
    chosen: Manager | None = None,
    limit: int = MOST_OVERDUE,
) -> ReceivablesReport:
    """What the viewer's deals are owed on `as_of`, by days overdue."""
    invoices = await uow.money_reports.open_invoices(as_of, report_owner_id(viewer, chosen))
    return receivables_report(as_of, invoices, limit)


async def load_conversion(
    uow: UnitOfWork,
    viewer: Manager,
    period: Period,
    timezone: str,
    chosen: Manager | None = None,
) -> ConversionReport:
    """Quotes created and invoices dated in `period` on the viewer's deals, and how far they
    went."""
    days = day_range(period, timezone)
    facts = await uow.money_reports.conversion_facts(period, days, report_owner_id(viewer, chosen))
    return conversion_report(period, days, facts)
