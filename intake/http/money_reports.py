"""GET /api/v1/reports/{revenue,receivables,documents-conversion}: money received by period and
manager, what is owed by days overdue, and quotes → invoices → payments.

Days are the company's (`[documents] timezone`), as on the documents themselves; the scope
is the sales reports' (a manager's own deals, a head's all or `?manager=`'s).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web

from crm_core.model import Manager
from crm_core.money_reporting import load_conversion, load_receivables, load_revenue
from crm_core.money_reports import (
    BucketSum,
    ConversionReport,
    Owner,
    ReceivablesReport,
    RevenueReport,
    as_of_day,
    grouping,
    list_limit,
)
from crm_core.reports import InvalidPeriod, Period, resolve_period
from crm_core.storage.ports import UnitOfWork
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.reports import (
    UnknownManager,
    chosen_manager,
    period_error,
    period_json,
    report_scope,
    rounded_share,
)
from intake.http.responses import json_response

# Revenue goes to the deal's owner now, not the owner when the money came (see
# crm_core/money_reports.py).
ATTRIBUTION = "deal_owner"
CURRENCY = "RUB"

Build = Callable[[UnitOfWork, Manager, Manager | None], Awaitable[dict[str, Any]]]


@require_manager
async def revenue(request: web.Request) -> web.StreamResponse:
    """`?from=&to=&group=day|week|month&manager=`: payments dated in the period by period and
    by deal owner."""
    timezone = _timezone(request)
    try:
        period = company_period(request, timezone)
        group = grouping(request.query.get("group"))
    except InvalidPeriod as err:
        return period_error(err)

    async def build(uow: UnitOfWork, me: Manager, chosen: Manager | None) -> dict[str, Any]:
        report = await load_revenue(uow, me, period, timezone, group, chosen)
        return revenue_json(report, timezone, report_scope(me, chosen))

    return await _answer(request, build)


@require_manager
async def receivables(request: web.Request) -> web.StreamResponse:
    """`?as_of=&limit=&manager=`: invoices issued and not fully paid on `as_of` by days
    overdue and by deal owner, and the longest overdue."""
    timezone = _timezone(request)
    try:
        as_of = as_of_day(request.query.get("as_of"), now=utcnow(), timezone=timezone)
        limit = list_limit(request.query.get("limit"))
    except InvalidPeriod as err:
        return period_error(err)

    async def build(uow: UnitOfWork, me: Manager, chosen: Manager | None) -> dict[str, Any]:
        report = await load_receivables(uow, me, as_of, chosen, limit)
        return receivables_json(report, report_scope(me, chosen))

    return await _answer(request, build)


@require_manager
async def documents_conversion(request: web.Request) -> web.StreamResponse:
    """`?from=&to=&manager=`: quotes created and invoices dated in the period and how many
    became invoices and payments."""
    timezone = _timezone(request)
    try:
        period = company_period(request, timezone)
    except InvalidPeriod as err:
        return period_error(err)

    async def build(uow: UnitOfWork, me: Manager, chosen: Manager | None) -> dict[str, Any]:
        report = await load_conversion(uow, me, period, timezone, chosen)
        return conversion_json(report, timezone, report_scope(me, chosen))

    return await _answer(request, build)


def company_period(request: web.Request, timezone: str) -> Period:
    """The `?from=&to=` period, dates read in the company's time zone (raises InvalidPeriod)."""
    return resolve_period(
        request.query.get("from"), request.query.get("to"), now=utcnow(), timezone=timezone
    )


def _timezone(request: web.Request) -> str:
    timezone: str = request.app[SERVICES].settings.documents.timezone
    return timezone


async def _answer(request: web.Request, build: Build) -> web.StreamResponse:
    me = current_manager(request)
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            chosen = await chosen_manager(request, uow, me)
            body = await build(uow, me, chosen)
    except UnknownManager:
        login = request.query.get("manager", "")
        return error_response(422, "unknown_manager", f"no manager {login!r}", field="manager")
    return json_response(body)


def revenue_json(report: RevenueReport, timezone: str, scope: str) -> dict[str, Any]:
    """The revenue report on the wire."""
    return {
        "period": period_json(report.period),
        "days": _days_json(report.days.first, report.days.end),
        "timezone": timezone,
        "group": report.group.value,
        "scope": scope,
        "attribution": ATTRIBUTION,
        "currency": CURRENCY,
        "total": str(report.total),
        "payments": report.payments,
        "periods": [
            {
                "start": b.start.isoformat(),
                "end": b.end.isoformat(),
                "amount": str(b.amount),
                "payments": b.payments,
            }
            for b in report.buckets
        ],
        "managers": [
            {**_owner_json(m.owner), "amount": str(m.amount), "payments": m.payments}
            for m in report.managers
        ],
    }


def receivables_json(report: ReceivablesReport, scope: str) -> dict[str, Any]:
    """The receivables report on the wire."""
    return {
        "as_of": report.as_of.isoformat(),
        "scope": scope,
        "currency": CURRENCY,
        "due": str(report.due),
        "invoices": report.invoices,
        "buckets": [_bucket_json(b) for b in report.buckets],
        "managers": [
            {
                **_owner_json(m.owner),
                "due": str(m.due),
                "invoices": m.invoices,
                "buckets": [_bucket_json(b) for b in m.buckets],
            }
            for m in report.managers
        ],
        "most_overdue": [
            {
                "invoice_id": r.invoice.id,
                "number": r.invoice.number,
                "deal_id": r.invoice.deal_id,
                "deal_title": r.invoice.deal_title,
                "manager": r.invoice.owner.login,
                "invoice_date": r.invoice.invoice_date.isoformat(),
                "due_date": r.invoice.due_date.isoformat(),
                "total": str(r.invoice.total),
                "paid": str(r.invoice.paid),
                "due": str(r.due),
                "days_overdue": r.days_overdue,
                "bucket": r.bucket.value,
            }
            for r in report.most_overdue
        ],
    }


def conversion_json(report: ConversionReport, timezone: str, scope: str) -> dict[str, Any]:
    """The document conversion report on the wire."""
    average = report.average_days_to_payment
    return {
        "period": period_json(report.period),
        "days": _days_json(report.days.first, report.days.end),
        "timezone": timezone,
        "scope": scope,
        "quotes": {
            "created": report.quotes_created,
            "sent": report.quotes_sent,
            "accepted": report.quotes_accepted,
            "rejected": report.quotes_rejected,
            "invoiced": report.quotes_invoiced,
            "quote_to_invoice_rate": rounded_share(report.quote_to_invoice),
        },
        "invoices": {
            "issued": report.invoices_issued,
            "issued_amount": str(report.issued_amount),
            "partially_paid": report.invoices_partially_paid,
            "paid": report.invoices_paid,
            "paid_amount": str(report.paid_amount),
            "rejected": report.invoices_rejected,
            "invoice_to_payment_rate": rounded_share(report.invoice_to_payment),
            "average_days_to_payment": None if average is None else str(average),
        },
    }


def _bucket_json(b: BucketSum) -> dict[str, Any]:
    return {"bucket": b.bucket.value, "invoices": b.invoices, "due": str(b.due)}


def _owner_json(owner: Owner) -> dict[str, Any]:
    return {"manager": owner.login, "name": owner.name}


def _days_json(first: date, end: date) -> dict[str, str]:
    return {"first": str(first), "end": str(end)}
