"""The rows the money reports are computed from."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from crm_core.money_reports import ConversionFacts, DayRange, OpenInvoice, PaidDay
from crm_core.reports import Period


class MoneyReportRepository(Protocol):
    """Read-only queries behind revenue, receivables and document conversion."""

    async def paid_days(self, days: DayRange, owner_id: int | None) -> list[PaidDay]:
        """Matched payments dated in `days`, summed per day and deal owner (one owner's deals,
        or everyone's with None)."""

    async def open_invoices(self, as_of: date, owner_id: int | None) -> list[OpenInvoice]:
        """Invoices issued by `as_of` (not cancelled or rejected) with what was paid on them by
        that day, leaving out those fully paid by then."""

    async def conversion_facts(
        self, period: Period, days: DayRange, owner_id: int | None
    ) -> ConversionFacts:
        """Quotes created in `period`, invoices dated in `days`, and the days to full payment
        of those paid."""
