"""The sales reports aggregated in SQL, the same queries on SQLite and PostgreSQL (but for the
microseconds between two timestamps, which each dialect spells its own way).

A report reads a few rows per group, never a row per lead or deal: counts and kopeck sums come
from GROUP BY, and a median from the window functions both dialects have, which rank the
durations so that only the middle one or two leave the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crm_core.model import LeadStatus
from crm_core.reports import (
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

DEAL_COHORT = "d.pipeline = $1 AND d.created_at >= $2 AND d.created_at < $3"
# Whole microseconds from `{a}` to `{b}`, exact (so the medians equal Python's timedelta ones),
# negative ones (another host's clock may stamp a row) counted as zero.
MICROSECONDS = {
    # EXTRACT returns numeric, exact to the microsecond a timestamptz holds.
    "postgres": "GREATEST(CAST(EXTRACT(EPOCH FROM ({b} - {a})) * 1000000 AS BIGINT), 0)",
    # SQLite keeps fixed-width UTC ISO text (sqlite.py, `...T12:00:00.123456+00:00`): whole
    # seconds from the first 19 characters (unixepoch: SQLite 3.38+; on the whole text it would
    # round the fraction to milliseconds first), the six fraction digits from their fixed place.
    # Date parsing is most of the query's time, hence once per timestamp.
    "sqlite": "MAX((unixepoch(substr({b}, 1, 19)) - unixepoch(substr({a}, 1, 19))) * 1000000"
    " + CAST(substr({b}, 21, 6) AS INTEGER) - CAST(substr({a}, 21, 6) AS INTEGER), 0)",
}


class SqlReports:
    """Read-only report queries over one session (a ports.ReportRepository)."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _micro(self, start: str, end: str) -> str:
        return MICROSECONDS[self._s.dialect].format(a=start, b=end)

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
        middles = await self._s.fetch(
            "SELECT stage, n, pos, micro FROM ("
            " SELECT stage, micro, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY micro) AS pos,"
            "  COUNT(*) OVER (PARTITION BY stage) AS n FROM ("
            f"  SELECT s.stage, {self._micro('s.entered_at', 's.left_at')} AS micro"
            f"  FROM deal_stages s JOIN deals d ON d.id = s.deal_id"
            f"  WHERE {where} AND s.left_at IS NOT NULL"
            " ) v"
            ") r WHERE pos IN ((n + 1) / 2, (n + 2) / 2)",
            *args,
        )
        stage_times: dict[str, list[tuple[int, int]]] = defaultdict(list)
        counts: dict[str, int] = {}
        for r in middles:
            counts[r["stage"]] = int(r["n"])
            stage_times[r["stage"]].append((int(r["pos"]), int(r["micro"])))
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
            stage_times={
                stage: _middle(counts[stage], ranked) for stage, ranked in stage_times.items()
            },
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
        tallies = await self._s.fetch(
            "SELECT channel, source, status, junk_reason, is_repeat,"
            " COUNT(*) AS n, COUNT(taken_at) AS taken"
            f" FROM leads WHERE {where}"
            " GROUP BY channel, source, status, junk_reason, is_repeat",
            *args,
        )
        # The middle waits of each (channel, source) and of all leads, ranked in one pass.
        middles = await self._s.fetch(
            "SELECT channel, source, micro, gpos, gn, tpos, tn FROM ("
            " SELECT channel, source, micro,"
            "  ROW_NUMBER() OVER (PARTITION BY channel, source ORDER BY micro) AS gpos,"
            "  COUNT(*) OVER (PARTITION BY channel, source) AS gn,"
            "  ROW_NUMBER() OVER (ORDER BY micro) AS tpos, COUNT(*) OVER () AS tn FROM ("
            f"  SELECT channel, source, {self._micro('created_at', 'taken_at')} AS micro"
            f"  FROM leads WHERE {where} AND taken_at IS NOT NULL"
            " ) w"
            ") r WHERE gpos IN ((gn + 1) / 2, (gn + 2) / 2)"
            " OR tpos IN ((tn + 1) / 2, (tn + 2) / 2)",
            *args,
        )
        groups: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        group_counts: dict[tuple[str, str], int] = {}
        total: list[tuple[int, int]] = []
        total_count = 0
        for r in middles:
            key = (r["channel"], r["source"])
            micro, gn, tn = int(r["micro"]), int(r["gn"]), int(r["tn"])
            if int(r["gpos"]) in middle_positions(gn):
                group_counts[key] = gn
                groups[key].append((int(r["gpos"]), micro))
            if int(r["tpos"]) in middle_positions(tn):
                total_count = tn
                total.append((int(r["tpos"]), micro))
        return LeadQualityFacts(
            tallies=tuple(
                LeadTally(
                    channel=r["channel"],
                    source=r["source"],
                    status=LeadStatus(r["status"]),
                    junk_reason=r["junk_reason"],
                    is_repeat=bool(r["is_repeat"]),
                    leads=int(r["n"]),
                    taken=int(r["taken"]),
                )
                for r in tallies
            ),
            waits={key: _middle(group_counts[key], ranked) for key, ranked in groups.items()},
            total_wait=_middle(total_count, total),
        )


def _deal_cohort(pipeline: str, period: Period, owner_id: int | None) -> tuple[str, list[Any]]:
    args: list[Any] = [pipeline, period.start, period.end]
    if owner_id is None:
        return DEAL_COHORT, args
    args.append(owner_id)
    return f"{DEAL_COHORT} AND d.owner_id = $4", args


def _middle(count: int, ranked: list[tuple[int, int]]) -> Middle:
    # Ties share a value, so whichever row got which rank, the middle values are the same.
    return Middle(count, tuple(micro for _, micro in sorted(ranked)))
