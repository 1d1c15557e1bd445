"""Sales reports, pure: the deal funnel of a pipeline and lead quality per channel and form.

Storage fetches plain rows (crm_core/storage/reports.py); everything here is arithmetic on
them, so the numbers are the same on SQLite and PostgreSQL and can be tested without one.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm_core.errors import DomainError
from crm_core.model import LeadStatus
from crm_core.pipelines import Pipeline, StageKind
from crm_core.sales import DealStatus

DEFAULT_PERIOD = timedelta(days=30)
# Rows are fetched and medians computed in Python; a bound keeps one request's work bounded.
MAX_PERIOD = timedelta(days=366)
CENT = Decimal("0.01")
NO_REASON = "unspecified"


class InvalidPeriod(DomainError):
    """`from`/`to` cannot be read or do not make a period; `field` names the culprit."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(field, message, status)


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open time range [start, end) the report's cohort was created in."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name, moment in (("from", self.start), ("to", self.end)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
        if self.end <= self.start:
            raise InvalidPeriod("to", "`to` must be later than `from`")


def resolve_period(
    start: str | None,
    end: str | None,
    *,
    now: datetime,
    timezone: str,
    default: timedelta = DEFAULT_PERIOD,
) -> Period:
    """The period of `?from=&to=`: ISO dates or date-times, `to` exclusive, default 30 days.

    A date means midnight and a datetime without an offset means wall time, both in `timezone`
    (the caller's), so `from=2026-11-01&to=2026-12-01` is November where the manager works.
    """
    zone = ZoneInfo(timezone)
    end_at = _moment("to", end, zone) or now
    start_at = _moment("from", start, zone) or end_at - default
    period = Period(start_at, end_at)
    if period.end - period.start > MAX_PERIOD:
        raise InvalidPeriod("to", f"a report covers at most {MAX_PERIOD.days} days")
    return period


def _moment(field: str, raw: str | None, zone: ZoneInfo) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    # An unescaped '+' of an offset arrives as a space in a query string.
    text = raw.strip().replace(" ", "+")
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), zone)
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidPeriod(
            field, f"`{field}` must be an ISO 8601 date or date-time, got {raw!r}", 400
        ) from err
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


# ---------------------------------------------------------------- funnel


@dataclass(frozen=True, slots=True)
class DealRow:
    """A deal of the cohort as the funnel needs it."""

    id: int
    stage: str
    status: DealStatus
    amount: Decimal | None
    currency: str
    lost_reason: str | None


@dataclass(frozen=True, slots=True)
class DealVisit:
    """One stretch a cohort deal spent in a stage; `left_at` is None while it is still there."""

    deal_id: int
    stage: str
    entered_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class StageFunnel:
    """One row of the funnel: an open stage (in pipeline order) or the won stage."""

    key: str
    name: str
    kind: StageKind
    reached: int
    now_in: int
    conversion_from_previous: float | None
    median_seconds_in_stage: float | None
    closed_visits: int


@dataclass(frozen=True, slots=True)
class FunnelReport:
    """Deals of one pipeline created in a period: per-stage funnel and the totals."""

    pipeline: str
    pipeline_name: str
    period: Period
    stages: tuple[StageFunnel, ...]
    deals: int
    open: int
    won: int
    lost: int
    won_amount: dict[str, Decimal]
    lost_by_reason: dict[str, int]


def funnel_report(
    pipeline: Pipeline, period: Period, deals: Sequence[DealRow], visits: Iterable[DealVisit]
) -> FunnelReport:
    """The funnel of a cohort of deals of `pipeline`, from the deals and their stage history.

    `reached` is the conversion funnel: a deal reached a stage when it ever entered it or any
    later one (the won stage counting as the last), so a stage skipped in free order still
    counts as passed. `now_in` is the classic funnel, a snapshot of where deals are now.
    `median_seconds_in_stage` is over finished visits of the stage (a deal sent back counts
    each visit). Stages no longer configured are left out of the rows, not out of the totals.
    """
    funnel = [s for s in pipeline.stages if s.kind is not StageKind.LOST]
    position = {s.key: i for i, s in enumerate(funnel)}
    # The current stage counts as visited even if its history row is missing.
    furthest = {d.id: position.get(d.stage, -1) for d in deals}
    durations: dict[str, list[float]] = defaultdict(list)
    for v in visits:
        if v.deal_id not in furthest:
            continue
        furthest[v.deal_id] = max(furthest[v.deal_id], position.get(v.stage, -1))
        if v.left_at is not None:
            # Another host's clock may stamp a visit; skew must not show negative time.
            durations[v.stage].append(max((v.left_at - v.entered_at).total_seconds(), 0.0))
    now_in = Counter(d.stage for d in deals)

    rows: list[StageFunnel] = []
    previous: int | None = None
    for i, stage in enumerate(funnel):
        reached = sum(1 for f in furthest.values() if f >= i)
        conversion = share(reached, previous) if previous is not None else None
        spent = durations.get(stage.key, [])
        rows.append(
            StageFunnel(
                key=stage.key,
                name=stage.name,
                kind=stage.kind,
                reached=reached,
                now_in=now_in.get(stage.key, 0),
                conversion_from_previous=conversion,
                median_seconds_in_stage=statistics.median(spent) if spent else None,
                closed_visits=len(spent),
            )
        )
        previous = reached

    won_amount: dict[str, Decimal] = defaultdict(Decimal)
    for d in deals:
        if d.status is DealStatus.WON:
            won_amount[d.currency] += d.amount or Decimal(0)
    lost_by_reason = Counter(
        d.lost_reason or NO_REASON for d in deals if d.status is DealStatus.LOST
    )
    statuses = Counter(d.status for d in deals)
    return FunnelReport(
        pipeline=pipeline.key,
        pipeline_name=pipeline.name,
        period=period,
        stages=tuple(rows),
        deals=len(deals),
        open=statuses[DealStatus.OPEN],
        won=statuses[DealStatus.WON],
        lost=statuses[DealStatus.LOST],
        won_amount={c: a.quantize(CENT) for c, a in sorted(won_amount.items())},
        lost_by_reason=dict(sorted(lost_by_reason.items())),
    )


# ---------------------------------------------------------------- lead quality


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead of the period as the quality report needs it."""

    channel: str
    source: str
    status: LeadStatus
    junk_reason: str | None
    is_repeat: bool
    created_at: datetime
    taken_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeadQuality:
    """Counts and shares for a set of leads.

    `qualified_share` is (in_work + converted) / leads: a lead someone took into work or
    converted counts as qualified; a junk lead does not, even if it was taken first, and a
    lead still new is not qualified yet (so a fresh period reads lower until it is worked).
    """

    leads: int
    new: int
    in_work: int
    converted: int
    junk: int
    qualified_share: float | None
    junk_share: float | None
    junk_by_reason: dict[str, int]
    taken: int
    median_seconds_to_take: float | None
    repeat_share: float | None


@dataclass(frozen=True, slots=True)
class LeadQualityGroup:
    """Lead quality of one channel and source (for web forms the source is the form key)."""

    channel: str
    source: str
    quality: LeadQuality


@dataclass(frozen=True, slots=True)
class LeadQualityReport:
    """Leads created in a period, per (channel, source), largest first, and over all of them."""

    period: Period
    groups: tuple[LeadQualityGroup, ...]
    total: LeadQuality


def lead_quality_report(period: Period, leads: Iterable[LeadRow]) -> LeadQualityReport:
    """Group the period's leads by channel and source and measure each group."""
    grouped: dict[tuple[str, str], list[LeadRow]] = defaultdict(list)
    everything: list[LeadRow] = []
    for lead in leads:
        grouped[(lead.channel, lead.source)].append(lead)
        everything.append(lead)
    groups = [LeadQualityGroup(c, s, lead_quality(rows)) for (c, s), rows in grouped.items()]
    groups.sort(key=lambda g: (-g.quality.leads, g.channel, g.source))
    return LeadQualityReport(period, tuple(groups), lead_quality(everything))


def lead_quality(leads: Sequence[LeadRow]) -> LeadQuality:
    """Counts, shares, junk reasons and the median time to first take of some leads."""
    total = len(leads)
    statuses = Counter(lead.status for lead in leads)
    reasons = Counter(
        lead.junk_reason or NO_REASON for lead in leads if lead.status is LeadStatus.JUNK
    )
    waits = [
        max((lead.taken_at - lead.created_at).total_seconds(), 0.0)
        for lead in leads
        if lead.taken_at is not None
    ]
    in_work = statuses[LeadStatus.IN_WORK]
    converted = statuses[LeadStatus.CONVERTED]
    junk = statuses[LeadStatus.JUNK]
    return LeadQuality(
        leads=total,
        new=statuses[LeadStatus.NEW],
        in_work=in_work,
        converted=converted,
        junk=junk,
        qualified_share=share(in_work + converted, total),
        junk_share=share(junk, total),
        junk_by_reason=dict(sorted(reasons.items())),
        taken=len(waits),
        median_seconds_to_take=statistics.median(waits) if waits else None,
        repeat_share=share(sum(1 for lead in leads if lead.is_repeat), total),
    )


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None
