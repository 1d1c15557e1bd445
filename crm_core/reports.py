"""Sales reports, pure: the deal funnel of a pipeline and lead quality per channel and form.

Storage aggregates in SQL (crm_core/storage/reports.py) down to a few rows per group: counts,
sums in kopecks, and for each median only the one or two middle durations in microseconds.
Everything here is arithmetic on those, so the numbers are the same on SQLite and PostgreSQL
and equal to counting every row in Python (tests/reports_oracle.py keeps that definition).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm_core.errors import DomainError
from crm_core.model import LeadStatus
from crm_core.pipelines import Pipeline, StageKind
from crm_core.sales import DealStatus

DEFAULT_PERIOD = timedelta(days=30)
# Storage sorts the period's durations for a median; a bound keeps one request's work bounded.
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


# ---------------------------------------------------------------- medians


def middle_positions(count: int) -> tuple[int, int]:
    """The 1-based ranks of the middle value(s) of `count` sorted values (equal when odd)."""
    return (count + 1) // 2, (count + 2) // 2


@dataclass(frozen=True, slots=True)
class Middle:
    """What a median of durations needs: how many there are and the middle one or two of them
    once sorted, in whole microseconds (negative ones, from clock skew, counted as zero)."""

    count: int
    middle: tuple[int, ...] = ()

    def median_seconds(self) -> float | None:
        """The median in seconds, as statistics.median of each duration's total_seconds()."""
        seconds = [micro / 1_000_000 for micro in self.middle]
        if not seconds:
            return None
        return seconds[0] if len(seconds) == 1 else (seconds[0] + seconds[1]) / 2


NO_DURATIONS = Middle(0)


# ---------------------------------------------------------------- funnel


@dataclass(frozen=True, slots=True)
class DealTally:
    """Deals of the cohort sharing stage, status, currency and lost reason; amounts summed."""

    stage: str
    status: DealStatus
    currency: str
    lost_reason: str | None
    deals: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FunnelFacts:
    """What storage aggregates for a funnel.

    `furthest` counts deals by the furthest funnel position they ever were at (their current
    stage or any visited one; -1 for none configured); `stage_times` are the finished visits
    of each stage.
    """

    tallies: tuple[DealTally, ...]
    furthest: Mapping[int, int]
    stage_times: Mapping[str, Middle]


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


def funnel_positions(pipeline: Pipeline) -> dict[str, int]:
    """Each funnel stage's position: open stages in pipeline order, then the won stage."""
    funnel = [s for s in pipeline.stages if s.kind is not StageKind.LOST]
    return {s.key: i for i, s in enumerate(funnel)}


def funnel_report(pipeline: Pipeline, period: Period, facts: FunnelFacts) -> FunnelReport:
    """The funnel of a cohort of deals of `pipeline`, from their tallies and stage history.

    `reached` is the conversion funnel: a deal reached a stage when it ever entered it or any
    later one (the won stage counting as the last), so a stage skipped in free order still
    counts as passed. `now_in` is the classic funnel, a snapshot of where deals are now.
    `median_seconds_in_stage` is over finished visits of the stage (a deal sent back counts
    each visit). Stages no longer configured are left out of the rows, not out of the totals.
    """
    now_in: Counter[str] = Counter()
    statuses: Counter[DealStatus] = Counter()
    lost_by_reason: Counter[str] = Counter()
    won_amount: dict[str, Decimal] = defaultdict(Decimal)
    for t in facts.tallies:
        now_in[t.stage] += t.deals
        statuses[t.status] += t.deals
        if t.status is DealStatus.WON:
            won_amount[t.currency] += t.amount
        elif t.status is DealStatus.LOST:
            lost_by_reason[t.lost_reason or NO_REASON] += t.deals

    rows: list[StageFunnel] = []
    previous: int | None = None
    for i, stage in enumerate(s for s in pipeline.stages if s.kind is not StageKind.LOST):
        reached = sum(n for furthest, n in facts.furthest.items() if furthest >= i)
        spent = facts.stage_times.get(stage.key, NO_DURATIONS)
        rows.append(
            StageFunnel(
                key=stage.key,
                name=stage.name,
                kind=stage.kind,
                reached=reached,
                now_in=now_in.get(stage.key, 0),
                conversion_from_previous=share(reached, previous)
                if previous is not None
                else None,
                median_seconds_in_stage=spent.median_seconds(),
                closed_visits=spent.count,
            )
        )
        previous = reached

    return FunnelReport(
        pipeline=pipeline.key,
        pipeline_name=pipeline.name,
        period=period,
        stages=tuple(rows),
        deals=sum(statuses.values()),
        open=statuses[DealStatus.OPEN],
        won=statuses[DealStatus.WON],
        lost=statuses[DealStatus.LOST],
        won_amount={c: a.quantize(CENT) for c, a in sorted(won_amount.items())},
        lost_by_reason=dict(sorted(lost_by_reason.items())),
    )


# ---------------------------------------------------------------- lead quality


@dataclass(frozen=True, slots=True)
class LeadTally:
    """Leads of the period sharing channel, source, status, junk reason and repeat flag;
    `taken` of them were ever taken into work."""

    channel: str
    source: str
    status: LeadStatus
    junk_reason: str | None
    is_repeat: bool
    leads: int
    taken: int


@dataclass(frozen=True, slots=True)
class LeadQualityFacts:
    """What storage aggregates for lead quality: tallies, and the waits from creation to the
    first take per (channel, source) and over all leads."""

    tallies: tuple[LeadTally, ...]
    waits: Mapping[tuple[str, str], Middle]
    total_wait: Middle


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


def lead_quality_report(period: Period, facts: LeadQualityFacts) -> LeadQualityReport:
    """Group the period's lead tallies by channel and source and measure each group."""
    grouped: dict[tuple[str, str], list[LeadTally]] = defaultdict(list)
    for tally in facts.tallies:
        grouped[(tally.channel, tally.source)].append(tally)
    groups = [
        LeadQualityGroup(c, s, lead_quality(rows, facts.waits.get((c, s), NO_DURATIONS)))
        for (c, s), rows in grouped.items()
    ]
    groups.sort(key=lambda g: (-g.quality.leads, g.channel, g.source))
    return LeadQualityReport(period, tuple(groups), lead_quality(facts.tallies, facts.total_wait))


def lead_quality(tallies: Iterable[LeadTally], waits: Middle) -> LeadQuality:
    """Counts, shares, junk reasons and the median time to first take of some leads."""
    statuses: Counter[LeadStatus] = Counter()
    reasons: Counter[str] = Counter()
    taken = repeats = 0
    for t in tallies:
        statuses[t.status] += t.leads
        taken += t.taken
        repeats += t.leads if t.is_repeat else 0
        if t.status is LeadStatus.JUNK:
            reasons[t.junk_reason or NO_REASON] += t.leads
    total = sum(statuses.values())
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
        taken=taken,
        median_seconds_to_take=waits.median_seconds(),
        repeat_share=share(repeats, total),
    )


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None
