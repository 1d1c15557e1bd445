"""Отчёты: the deal funnel (classic and conversion) and lead quality per channel and form,
drawn on the server as SVG, for a period, a pipeline and (for a head) one manager."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm_core.model import Manager
from crm_core.pipelines import Pipeline
from crm_core.reporting import load_funnel, load_lead_quality, may_pick_manager
from crm_core.reports import (
    MAX_PERIOD,
    NO_REASON,
    FunnelReport,
    InvalidPeriod,
    LeadQuality,
    LeadQualityReport,
    Period,
    resolve_period,
)
from intake.clock import utcnow
from intake.http.keys import SERVICES
from workplace.charts import (
    Segment,
    StackedRow,
    conversion_chart,
    funnel_chart,
    percent,
    stacked_chart,
)
from workplace.pages.deals_board import money
from workplace.pages.shared import CHANNELS, junk_reasons, render, source_names
from workplace.viewer import viewer

NO_DATA = "За выбранный период данных нет"
NO_REASON_NAME = "Причина не указана"
FIELDS = ("from", "to", "pipeline", "manager")
# The parts of a lead-quality bar, in the order they are stacked, with their colours.
QUALITY_PARTS = (
    ("converted", "Конвертировано", "#1b7f3b"),
    ("in_work", "В работе", "#60a5fa"),
    ("new", "Новые", "#cbd5e1"),
    ("junk", "Брак", "#e5484d"),
)


class BadFilter(Exception):
    """A filter the page cannot use; the message is for the manager."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What the form asked for, as the form shows it back."""

    start: date
    last: date  # inclusive: the form's "по"
    pipeline: Pipeline
    chosen: Manager | None


@dataclass(frozen=True, slots=True)
class QualityLine:
    """One channel and form (or the total) of the lead-quality table."""

    label: str
    quality: LeadQuality
    qualified: str
    junk: str
    to_take: str
    repeat: str


async def page(request: web.Request) -> web.StreamResponse:
    """Both reports for the filters in the query; an htmx request gets the body alone."""
    me = await viewer(request)
    services = request.app[SERVICES]
    pipelines: dict[str, Pipeline] = services.sales.pipelines
    team: list[Manager] = []
    may_pick = may_pick_manager(me)
    if may_pick:  # only a head picks whose reports to see
        async with services.storage.reader() as uow:
            team = sorted((m for m in await uow.managers.list() if m.active), key=_by_name)
    now = utcnow()
    context: dict[str, Any] = {
        "pipelines": list(pipelines.values()),
        "team": team,
        "may_pick": may_pick,
        "no_data": NO_DATA,
        "parts": QUALITY_PARTS,
    }
    status = 200
    try:
        filters, period = read_filters(request.query, me, pipelines, team, now)
    except BadFilter as err:
        status = 400
        context |= {"error": str(err), "form": {k: request.query.get(k, "") for k in FIELDS}}
    else:
        async with services.storage.reader() as uow:
            funnel = await load_funnel(uow, me, filters.pipeline, period, filters.chosen)
            quality = await load_lead_quality(uow, me, period, filters.chosen)
        context |= {
            "form": {
                "from": filters.start.isoformat(),
                "to": filters.last.isoformat(),
                "pipeline": filters.pipeline.key,
                "manager": filters.chosen.login if filters.chosen else "",
            },
            "filters": filters,
            "ranges": quick_ranges(now, me.timezone, filters),
            **funnel_context(funnel),
            **quality_context(quality, source_names(request), junk_reasons(request)),
        }
    htmx = request.headers.get("HX-Request") == "true"
    # htmx leaves a 4xx answer unswapped; the fragment's own text says what was wrong.
    template = "_reports_body.html" if htmx else "reports.html"
    return render(
        request, template, me, context, status=200 if htmx else status, section="/reports"
    )


def read_filters(
    query: Mapping[str, str],
    me: Manager,
    pipelines: Mapping[str, Pipeline],
    team: Sequence[Manager],
    now: datetime,
) -> tuple[Filters, Period]:
    """The filters of the query and the report period they make (the API's rule: the
    default period, at most MAX_PERIOD, in the viewer's timezone); BadFilter when unusable."""
    start = form_date(query.get("from", ""), "начала")
    last = form_date(query.get("to", ""), "окончания")
    today = now.astimezone(ZoneInfo(me.timezone)).date()
    if start is not None and start > (last or today):
        raise BadFilter("Дата начала позже даты окончания: проверьте период.")
    # The form's "по" includes its day; the report's `to` is exclusive.
    end = (last + timedelta(days=1)).isoformat() if last is not None else None
    try:
        period = resolve_period(
            start.isoformat() if start else None, end, now=now, timezone=me.timezone
        )
    except InvalidPeriod as err:
        raise BadFilter(
            f"Отчёт строится не больше чем за {MAX_PERIOD.days} дней: сократите период."
        ) from err
    zone = ZoneInfo(me.timezone)
    shown_last = period.end.astimezone(zone).date()
    if last is None and period.end.astimezone(zone).time() == datetime.min.time():
        shown_last -= timedelta(days=1)
    filters = Filters(
        start=period.start.astimezone(zone).date(),
        last=last or shown_last,
        pipeline=_pipeline(query, pipelines),
        chosen=_chosen(query, me, team),
    )
    return filters, period


def quick_ranges(now: datetime, timezone: str, filters: Filters) -> list[dict[str, Any]]:
    """Эта неделя, Этот месяц, Прошлый месяц, Квартал: links that keep the other filters."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    month = today.replace(day=1)
    previous_last = month - timedelta(days=1)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    ranges = (
        ("Эта неделя", today - timedelta(days=today.weekday()), today),
        ("Этот месяц", month, today),
        ("Прошлый месяц", previous_last.replace(day=1), previous_last),
        ("Квартал", quarter, today),
    )
    keep = {"pipeline": filters.pipeline.key}
    if filters.chosen is not None:
        keep["manager"] = filters.chosen.login
    return [
        {
            "label": label,
            "query": {"from": start.isoformat(), "to": last.isoformat(), **keep},
            "active": (start, last) == (filters.start, filters.last),
        }
        for label, start, last in ranges
    ]


def funnel_context(report: FunnelReport) -> dict[str, Any]:
    """The funnel's charts, totals and table rows."""
    stages = report.stages
    steps = [(f"{a.name} → {b.name}", b.conversion_from_previous) for a, b in pairwise(stages)]
    won = [money(amount, currency) for currency, amount in report.won_amount.items()]
    return {
        "funnel": report,
        "funnel_chart": funnel_chart(
            [(s.name, s.reached) for s in stages],
            f"Воронка «{report.pipeline_name}»: дошли до этапа",
        ),
        "conversion_chart": conversion_chart(
            steps, f"Воронка «{report.pipeline_name}»: конверсия между этапами"
        ),
        "conversions": [percent(s.conversion_from_previous) for s in stages],
        "stage_times": [duration(s.median_seconds_in_stage) for s in stages],
        "won_amount": ", ".join(won) or money(Decimal(0)),
        "lost_reasons": [
            (NO_REASON_NAME if reason == NO_REASON else reason, count)
            for reason, count in sorted(report.lost_by_reason.items(), key=lambda p: -p[1])
        ],
    }


def quality_context(
    report: LeadQualityReport, sources: Mapping[str, str], reasons: Mapping[str, str]
) -> dict[str, Any]:
    """The lead-quality chart and table rows, per channel and form and in total."""
    lines = [
        quality_line(group_label(g.channel, g.source, sources), g.quality) for g in report.groups
    ]
    rows = [
        StackedRow(
            f"{line.label} · {line.quality.leads}",
            f"квал. {line.qualified}",
            [Segment(name, getattr(line.quality, key), fill) for key, name, fill in QUALITY_PARTS],
        )
        for line in lines
    ]
    junk = [
        (NO_REASON_NAME if key == NO_REASON else reasons.get(key, key), count)
        for key, count in sorted(report.total.junk_by_reason.items(), key=lambda p: -p[1])
    ]
    return {
        "quality": report,
        "quality_chart": stacked_chart(rows, "Качество заявок по каналам и формам"),
        "quality_lines": lines,
        "quality_total": quality_line("Всего", report.total),
        "junk_reasons": junk,
    }


def quality_line(label: str, q: LeadQuality) -> QualityLine:
    """A row of the lead-quality table with its shares and times as text."""
    return QualityLine(
        label=label,
        quality=q,
        qualified=percent(q.qualified_share),
        junk=percent(q.junk_share),
        to_take=duration(q.median_seconds_to_take),
        repeat=percent(q.repeat_share),
    )


def group_label(channel: str, source: str, sources: Mapping[str, str]) -> str:
    """`Форма на сайте · Заявка с сайта`: the channel's Russian name and the form or source."""
    name = CHANNELS.get(channel, channel)
    detail = sources.get(source, source)
    return f"{name} · {detail}" if detail and detail != channel else name


def duration(seconds: float | None) -> str:
    """`12 мин`, `3 ч 5 мин`, `2 дн 4 ч`; `—` when nothing was measured."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 1:
        return "меньше минуты"
    if minutes < 60:
        return f"{minutes}\u00a0мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}\u00a0ч {minutes}\u00a0мин" if minutes else f"{hours}\u00a0ч"
    days, hours = divmod(hours, 24)
    return f"{days}\u00a0дн {hours}\u00a0ч" if hours else f"{days}\u00a0дн"


def form_date(raw: str, which: str) -> date | None:
    """A date of the form: 2026-11-30 (a date input) or 30.11.2026 (typed by hand)."""
    text = raw.strip()
    if not text:
        return None
    try:
        if "." in text:
            day, month, year = text.split(".")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter(
            f"Дата {which} «{text[:20]}» не распознана: укажите её как ДД.ММ.ГГГГ."
        ) from None


def _pipeline(query: Mapping[str, str], pipelines: Mapping[str, Pipeline]) -> Pipeline:
    """The asked pipeline; none asked: the first one (as the API); an unknown one: refused."""
    key = query.get("pipeline", "")
    if not key:
        return next(iter(pipelines.values()))
    if key not in pipelines:
        raise BadFilter("Такой воронки нет: выберите воронку из списка.")
    return pipelines[key]


def _chosen(query: Mapping[str, str], me: Manager, team: Sequence[Manager]) -> Manager | None:
    """The manager a head narrows the reports to; a manager's own scope is not widened or
    changed by the query (crm_core.reporting decides it from the viewer)."""
    login = query.get("manager", "")
    if not login or not may_pick_manager(me):
        return None
    chosen = next((m for m in team if m.login == login), None)
    if chosen is None:
        raise BadFilter("Такого менеджера нет среди активных: выберите из списка.")
    return chosen


def _by_name(manager: Manager) -> str:
    return manager.name
