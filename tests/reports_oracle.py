"""The reports' reference definition: every row read into Python and counted there.

This is how the funnel and lead-quality reports were computed before storage learned to
aggregate in SQL (crm_core/storage/reports.py); the tests compare the two on random data, so
this file is the oracle and must not be "optimised".
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_core.model import LeadStatus
from crm_core.pipelines import Pipeline, StageKind
from crm_core.reports import (
    CENT,
    NO_REASON,
    FunnelReport,
    LeadQuality,
    LeadQualityGroup,
    LeadQualityReport,
    Period,
    StageFunnel,
    share,
)
from crm_core.sales import DealStatus
from crm_core.storage.session import SqlSession, as_datetime, as_optional_datetime

DEAL_COHORT = "d.pipeline = $1 AND d.created_at >= $2 AND d.created_at < $3"


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


# ---------------------------------------------------------------- rows


class RowReader:
    """The rows behind the reports, one per deal, visit and lead, as the reports once read them."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def funnel_deals(
        self, pipeline: str, period: Period, owner_id: int | None
    ) -> list[DealRow]:
        """Deals of a pipeline created in the period (one owner's, or everyone's with None)."""
        where, args = _deal_cohort(pipeline, period, owner_id)
        rows = await self._s.fetch(
            "SELECT d.id, d.stage, d.status, d.amount, d.currency, d.lost_reason"
            f" FROM deals d WHERE {where} ORDER BY d.id",
            *args,
        )
        return [
            DealRow(
                id=int(r["id"]),
                stage=r["stage"],
                status=DealStatus(r["status"]),
                amount=_decimal(r["amount"]),
                currency=r["currency"],
                lost_reason=r["lost_reason"],
            )
            for r in rows
        ]

    async def funnel_visits(
        self, pipeline: str, period: Period, owner_id: int | None
    ) -> list[DealVisit]:
        """The stage history of the same cohort of deals, oldest visit first per deal."""
        where, args = _deal_cohort(pipeline, period, owner_id)
        rows = await self._s.fetch(
            "SELECT s.deal_id, s.stage, s.entered_at, s.left_at"
            f" FROM deal_stages s JOIN deals d ON d.id = s.deal_id WHERE {where}"
            " ORDER BY s.deal_id, s.id",
            *args,
        )
        return [
            DealVisit(
                deal_id=int(r["deal_id"]),
                stage=r["stage"],
                entered_at=as_datetime(r["entered_at"]),
                left_at=as_optional_datetime(r["left_at"]),
            )
            for r in rows
        ]

    async def quality_leads(self, period: Period, assignee_id: int | None) -> list[LeadRow]:
        """Leads created in the period (one assignee's, or everyone's with None)."""
        args: list[Any] = [period.start, period.end]
        mine = ""
        if assignee_id is not None:
            args.append(assignee_id)
            mine = " AND assignee_id = $3"
        # leads_created (created_at) serves the range; the rest is read from the rows found.
        rows = await self._s.fetch(
            "SELECT channel, source, status, junk_reason, is_repeat, created_at, taken_at"
            f" FROM leads WHERE created_at >= $1 AND created_at < $2{mine}",
            *args,
        )
        return [
            LeadRow(
                channel=r["channel"],
                source=r["source"],
                status=LeadStatus(r["status"]),
                junk_reason=r["junk_reason"],
                is_repeat=bool(r["is_repeat"]),
                created_at=as_datetime(r["created_at"]),
                taken_at=as_optional_datetime(r["taken_at"]),
            )
            for r in rows
        ]


def _deal_cohort(pipeline: str, period: Period, owner_id: int | None) -> tuple[str, list[Any]]:
    args: list[Any] = [pipeline, period.start, period.end]
    if owner_id is None:
        return DEAL_COHORT, args
    args.append(owner_id)
    return f"{DEAL_COHORT} AND d.owner_id = $4", args


def _decimal(value: Any) -> Decimal | None:
    # PostgreSQL returns Decimal; SQLite's NUMERIC affinity gives int or float (via str: exact
    # to the cent, which is all NUMERIC(16, 2) holds on PostgreSQL).
    return None if value is None else Decimal(str(value))
