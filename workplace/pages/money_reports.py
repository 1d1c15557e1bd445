"""Отчёты → Деньги: revenue by period and manager, receivables by days overdue with the
longest overdue invoices, and the quote → invoice → payment funnel, in the company's days."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.model import Manager
from crm_core.money_reporting import load_conversion, load_receivables, load_revenue
from crm_core.money_reports import (
    ZERO,
    ConversionReport,
    Grouping,
    Overdue,
    Owner,
    ReceivablesReport,
    RevenueBucket,
    RevenueReport,
)
from crm_core.reporting import may_pick_manager
from crm_core.reports import MAX_PERIOD, InvalidPeriod, Period, resolve_period
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.charts import bar_chart, funnel_chart, percent
from workplace.pages.reports import BadFilter, form_date
from workplace.pages.sales_texts import day, rub
from workplace.pages.shared import render
from workplace.viewer import viewer

FIELDS = ("from", "to", "group", "manager")
GROUPS = (("day", "По дням"), ("week", "По неделям"), ("month", "По месяцам"))
NOBODY = "Без ответственного"
MONTHS = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)


@dataclass(frozen=True, slots=True)
class MoneyFilters:
    """What the form asked for: the days [start, last] and how to group them, and whom."""

    start: date
    last: date
    group: Grouping
    chosen: Manager | None


async def page(request: web.Request) -> web.StreamResponse:
    """The three money reports for the filters in the query; htmx gets the body alone."""
    me = await viewer(request)
    services = request.app[SERVICES]
    timezone: str = services.settings.documents.timezone
    team: list[Manager] = []
    may_pick = may_pick_manager(me)
    if may_pick:
        async with services.storage.reader() as uow:
            team = sorted((m for m in await uow.managers.list() if m.active), key=_by_name)
    context: dict[str, Any] = {
        "team": team,
        "may_pick": may_pick,
        "groups": GROUPS,
        "timezone": timezone,
    }
    try:
        filters, period = read_money_filters(request.query, me, team, utcnow(), timezone)
    except BadFilter as err:
        status = 400
        context |= {"error": str(err), "form": {k: request.query.get(k, "") for k in FIELDS}}
    else:
        status = 200
        async with services.storage.reader() as uow:
            revenue = await load_revenue(uow, me, period, timezone, filters.group, filters.chosen)
            owed = await load_receivables(uow, me, filters.last, filters.chosen)
            conversion = await load_conversion(uow, me, period, timezone, filters.chosen)
        context |= {
            "form": {
                "from": filters.start.isoformat(),
                "to": filters.last.isoformat(),
                "group": filters.group.value,
                "manager": filters.chosen.login if filters.chosen else "",
            },
            "filters": filters,
            **revenue_context(revenue),
            **receivables_context(owed),
            **conversion_context(conversion),
        }
    htmx = request.headers.get("HX-Request") == "true"
    template = "_money_reports_body.html" if htmx else "money_reports.html"
    return render(
        request, template, me, context, status=200 if htmx else status, section="/reports"
    )


def read_money_filters(
    query: Mapping[str, str],
    me: Manager,
    team: Sequence[Manager],
    now: datetime,
    timezone: str,
) -> tuple[MoneyFilters, Period]:
    """The form's filters (default: this month to today in the company's time zone) and the
    period they make; BadFilter when unusable."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    last = form_date(query.get("to", ""), "окончания") or today
    start = form_date(query.get("from", ""), "начала") or last.replace(day=1)
    if start > last:
        raise BadFilter("Дата начала позже даты окончания: проверьте период.")
    try:
        group = Grouping(query.get("group") or Grouping.MONTH.value)
    except ValueError:
        raise BadFilter("Группировка бывает по дням, неделям или месяцам.") from None
    try:
        period = resolve_period(
            start.isoformat(),
            (last + timedelta(days=1)).isoformat(),
            now=now,
            timezone=timezone,
        )
    except InvalidPeriod as err:
        raise BadFilter(
            f"Отчёт строится не больше чем за {MAX_PERIOD.days} дней: сократите период."
        ) from err
    chosen = None
    login = query.get("manager", "")
    if login and may_pick_manager(me):
        chosen = next((m for m in team if m.login == login), None)
        if chosen is None:
            raise BadFilter("Такого менеджера нет среди активных: выберите из списка.")
    return MoneyFilters(start, last, group, chosen), period


def bucket_label(bucket: RevenueBucket, group: Grouping) -> str:
    """`31.12.2026`, `28.12–03.01.2027`, `Декабрь 2026`."""
    last = bucket.end - timedelta(days=1)
    if group is Grouping.DAY:
        return day(bucket.start)
    if group is Grouping.MONTH and bucket.start.day == 1 and bucket.end.day == 1:
        return f"{MONTHS[bucket.start.month - 1]} {bucket.start.year}"
    if bucket.start == last:
        return day(last)
    return f"{bucket.start.strftime('%d.%m')}–{day(last)}"


def owner_name(owner: Owner) -> str:
    """The deal owner's name, or that there is none."""
    return owner.name or NOBODY


def revenue_context(report: RevenueReport) -> dict[str, Any]:
    """The revenue chart (a bar per period) and the table by manager."""
    rows = [
        (bucket_label(b, report.group), float(b.amount), rub(b.amount)) for b in report.buckets
    ]
    return {
        "revenue": report,
        "revenue_chart": bar_chart(rows, "Поступления по периодам"),
        "revenue_total": rub(report.total),
        "revenue_managers": [
            (owner_name(m.owner), m.payments, rub(m.amount), percent(_part(m.amount, report)))
            for m in report.managers
        ],
    }


def _part(amount: Decimal, report: RevenueReport) -> float | None:
    return float(amount / report.total) if report.total else None


def receivables_context(report: ReceivablesReport) -> dict[str, Any]:
    """Tiles, the bucket chart, the table by manager and the most overdue invoices."""
    overdue = sum((b.due for b in report.buckets if b.bucket is not Overdue.NOT_DUE), ZERO)
    rows = [(b.bucket.label, float(b.due), rub(b.due)) for b in report.buckets]
    return {
        "owed": report,
        "owed_total": rub(report.due),
        "owed_overdue": rub(overdue),
        "owed_chart": bar_chart(rows, "Дебиторская задолженность по срокам просрочки"),
        "owed_buckets": [b.label for b in Overdue],
        "owed_managers": [
            (owner_name(m.owner), m.invoices, rub(m.due), [rub(b.due) for b in m.buckets])
            for m in report.managers
        ],
        "owed_late": [
            {
                "id": r.invoice.id,
                "number": r.invoice.number,
                "deal_id": r.invoice.deal_id,
                "deal": r.invoice.deal_title,
                "manager": owner_name(r.invoice.owner),
                "due_date": day(r.invoice.due_date),
                "total": rub(r.invoice.total),
                "due": rub(r.due),
                "days": r.days_overdue,
            }
            for r in report.most_overdue
        ],
    }


def conversion_context(report: ConversionReport) -> dict[str, Any]:
    """The quote funnel chart and the invoice tiles."""
    average = report.average_days_to_payment
    return {
        "conversion": report,
        "quotes_chart": funnel_chart(
            [
                ("КП создано", report.quotes_created),
                ("Отправлено клиенту", report.quotes_sent),
                ("Принято", report.quotes_accepted),
                ("Выставлен счёт", report.quotes_invoiced),
            ],
            "КП: от создания до счёта",
        ),
        "invoices_chart": funnel_chart(
            [
                ("Счетов выставлено", report.invoices_issued),
                ("Оплачено полностью", report.invoices_paid),
            ],
            "Счета: от выставления до оплаты",
        ),
        "quote_rate": percent(report.quote_to_invoice),
        "payment_rate": percent(report.invoice_to_payment),
        "issued_amount": rub(report.issued_amount),
        "paid_amount": rub(report.paid_amount),
        "days_to_pay": "—" if average is None else f"{str(average).replace('.', ',')}\u00a0дн",
    }


def _by_name(manager: Manager) -> str:
    return manager.name
