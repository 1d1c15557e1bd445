"""The sales reports aggregated in SQL, the same queries on SQLite and PostgreSQL.

A deal funnel's counts and kopeck sums come from GROUP BY, a few rows per group; lead
quality counts one lean pass over the period's leads. A median needs every duration
of its group sorted: the durations are stored as whole microseconds (migration 0019), read
from covering indexes and sorted here, which measured 2-3 times cheaper on SQLite than ranking
them with window functions (each window is one more sort of the whole cohort in SQLite).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from crm_core.model import LeadStatus
from crm_core.reports import (
    NO_DURATIONS,
    DealTally,
    FunnelFacts,
    LeadQualityFacts,
    LeadTally,
    Middle,
    Period,
    middle_positions,
)
from crm_core.sales import DealStatus
from crm_core.storage.session import SqlSession

K = TypeVar("K")

DEAL_COHORT = "d.pipeline = $1 AND d.created_at >= $2 AND d.created_at < $3"


class SqlReports:
    """Read-only report queries over one session (a ports.ReportRepository)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def funnel_facts(
        self, pipeline: str, positions: Mapping[str, int], period: Period, owner_id: int | None
    ) -> FunnelFacts:
        """Tallies, furthest positions and stage times of a pipeline's deals created in the
        period (one owner's, or everyone's with None); `positions` ranks the funnel's stages."""
        where, args = _deal_cohort(pipeline, period, owner_id)
        # deals_pipeline_created (pipeline, created_at) serves the cohort.
        # Amounts summed in whole kopecks: SQLite's NUMERIC would otherwise add binary floats.
        tallies = await self._s.fetch(
            "SELECT d.stage, d.status, d.currency, d.lost_reason, COUNT(*) AS n,"
            " SUM(CAST(ROUND(COALESCE(d.amount, 0) * 100) AS BIGINT)) AS cents"
            f" FROM deals d WHERE {where}"
            " GROUP BY d.stage, d.status, d.currency, d.lost_reason",
            *args,
        )
        # A deal's furthest position: its current stage counts as visited even if its history
        # row is missing.
        first = len(args) + 1
        whens = "".join(
            f" WHEN ${first + n} THEN {int(place)}" for n, place in enumerate(positions.values())
        )
        position = f"CASE x.stage{whens} ELSE -1 END" if whens else "-1"
        furthest = await self._s.fetch(
            "SELECT f.furthest, COUNT(*) AS n FROM ("
            f" SELECT x.deal_id, MAX({position}) AS furthest FROM ("
            f"  SELECT d.id AS deal_id, d.stage FROM deals d WHERE {where}"
            "  UNION ALL SELECT s.deal_id, s.stage"
            f"  FROM deal_stages s JOIN deals d ON d.id = s.deal_id WHERE {where}"
            " ) x GROUP BY x.deal_id"
            ") f GROUP BY f.furthest",
            *args,
            *positions,
        )
        durations = await self._s.fetch_tuples(
            "SELECT s.stage, s.duration_us"
            " FROM deal_stages s JOIN deals d ON d.id = s.deal_id"
            f" WHERE {where} AND s.duration_us IS NOT NULL",
            *args,
        )
        stage_times: dict[str, Middle] = _middles(durations)
        return FunnelFacts(
            tallies=tuple(
                DealTally(
                    stage=r["stage"],
                    status=DealStatus(r["status"]),
                    currency=r["currency"],
                    lost_reason=r["lost_reason"],
                    deals=int(r["n"]),
                    amount=Decimal(int(r["cents"] or 0)).scaleb(-2),
                )
                for r in tallies
            ),
            furthest={int(r["furthest"]): int(r["n"]) for r in furthest},
            stage_times=stage_times,
        )

    async def lead_quality_facts(
        self, period: Period, assignee_id: int | None
    ) -> LeadQualityFacts:
        """Tallies and waits to the first take of leads created in the period (one assignee's,
        or everyone's with None)."""
        args: list[Any] = [period.start, period.end]
        mine = ""
        if assignee_id is not None:
            args.append(assignee_id)
            mine = " AND assignee_id = $3"
        # leads_created (created_at) serves the range.
        where = f"created_at >= $1 AND created_at < $2{mine}"
        # One pass over the period's leads (from the covering index leads_quality), counted
        # here: on SQLite a GROUP BY sorts the rows in a temporary B-tree, which with a
        # second query for the waits cost twice this (measured at 21,000 leads).
        rows = await self._s.fetch_tuples(
            "SELECT channel, source, status, junk_reason, is_repeat, take_wait_us"
            f" FROM leads WHERE {where}",
            *args,
        )
        counts = Counter(row[:5] for row in rows)  # (channel, source, status, junk, repeat)
        timed = [row for row in rows if row[5] is not None]
        taken = Counter(row[:5] for row in timed)
        by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
        for row in timed:
            by_group[row[0], row[1]].append(row[5])
        return LeadQualityFacts(
            tallies=tuple(
                LeadTally(c, src, LeadStatus(st), junk, bool(rep), n, taken[c, src, st, junk, rep])
                for (c, src, st, junk, rep), n in counts.items()
            ),
            waits={group: _middle(waits) for group, waits in by_group.items()},
            total_wait=_middle([row[5] for row in timed]),
        )


def _deal_cohort(pipeline: str, period: Period, owner_id: int | None) -> tuple[str, list[Any]]:
    args: list[Any] = [pipeline, period.start, period.end]
    if owner_id is None:
        return DEAL_COHORT, args
    args.append(owner_id)
    return f"{DEAL_COHORT} AND d.owner_id = $4", args


def _middles(durations: Iterable[tuple[K, int]]) -> dict[K, Middle]:
    """The middle one or two of each key's durations (whole microseconds), with their count."""
    by_key: dict[K, list[int]] = defaultdict(list)
    for key, micro in durations:
        by_key[key].append(micro)
    return {key: _middle(values) for key, values in by_key.items()}


def _middle(values: list[int]) -> Middle:
    """The middle one or two of the durations (sorted in place), with their count."""
    if not values:
        return NO_DURATIONS
    values.sort()
    ranks = sorted(set(middle_positions(len(values))))  # one rank when the count is odd
    return Middle(len(values), tuple(values[rank - 1] for rank in ranks))
