"""The SQL-aggregated reports equal the reference (every row counted in Python) on random data."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from crm_core.model import Manager, NewManager, Role
from crm_core.pipelines import Pipeline, Stage, StageKind, StageOrder
from crm_core.reports import (
    Period,
    funnel_positions,
    funnel_report,
    lead_quality_report,
)
from crm_core.storage import Storage
from crm_core.storage.session import SqlSession
from intake.http.reports import funnel_json, lead_quality_json
from tests import reports_oracle as oracle

NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
PIPELINES = (
    Pipeline(
        key="main",
        name="Продажи",
        stage_order=StageOrder.FREE,
        require_next_activity=False,
        stages=(
            Stage("opening", "Первичный контакт"),
            Stage("proposal", "КП отправлено"),
            Stage("invoice", "Счёт выставлен"),
            Stage("won", "Успешно", StageKind.WON),
            Stage("lost", "Провалена", StageKind.LOST),
        ),
    ),
    Pipeline(
        key="repeat",
        name="Повторные продажи",
        stage_order=StageOrder.FREE,
        require_next_activity=False,
        stages=(
            Stage("opening", "Первичный контакт"),
            Stage("won", "Успешно", StageKind.WON),
            Stage("lost", "Провалена", StageKind.LOST),
        ),
    ),
)
# "retired" is in no pipeline any more: its deals count in the totals, not in the rows.
STAGES = ("opening", "proposal", "invoice", "won", "lost", "retired")
REASONS = (None, "", "spam", "Дорого", "Другое")


def moment(rng: random.Random) -> datetime:
    """A time around November: often on its bounds, often shared, usually with microseconds."""
    pick = rng.random()
    if pick < 0.1:
        return rng.choice(
            (NOVEMBER.start, NOVEMBER.end, NOVEMBER.start - timedelta(microseconds=1))
        )
    if pick < 0.2:
        return datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
    offset = rng.uniform(-3 * 86400, 33 * 86400)
    at = NOVEMBER.start + timedelta(seconds=int(offset))
    return at if rng.random() < 0.3 else at + timedelta(microseconds=rng.randrange(1_000_000))


def later(rng: random.Random, at: datetime) -> datetime:
    """A time after `at`, sometimes equal or (another host's clock) a little before it."""
    pick = rng.random()
    if pick < 0.1:
        return at
    if pick < 0.2:
        return at - timedelta(seconds=rng.randrange(1, 90), microseconds=rng.randrange(1_000_000))
    if pick < 0.35:
        return at + timedelta(minutes=rng.choice((5, 30, 90)))
    return at + timedelta(
        seconds=rng.randrange(0, 20 * 86400), microseconds=rng.randrange(1_000_000)
    )


async def random_data(storage: Storage, seed: int) -> list[Manager]:
    """Managers, leads, deals and stage visits drawn from `seed`, written straight as rows so
    that every corner (skewed clocks, no history, no amount, blank reasons) appears."""
    rng = random.Random(seed)
    async with storage.transaction() as uow:
        staff = [
            await uow.managers.upsert(
                NewManager(f"m{n}", f"Менеджер {n}", Role.MANAGER, None, None, "UTC", True),
                NOVEMBER.start,
            )
            for n in range(3)
        ]
        session = session_of(uow)
        owners: list[int | None] = [m.id for m in staff] + [None]
        for n in range(rng.randrange(40, 160)):
            created = moment(rng)
            inbox = await session.fetchrow(
                "INSERT INTO inbox (channel, source, external_id, ingest_token, received_at,"
                " available_at, payload, headers, event, status)"
                " VALUES ('webform', 'site', $1, $1, $2, $2, '{}', '{}', '{}', 'processed')"
                " RETURNING id",
                f"e{n}",
                created,
            )
            assert inbox is not None
            taken = later(rng, created) if rng.random() < 0.7 else None
            await session.execute(
                "INSERT INTO leads (inbox_id, status, channel, source, assignee_id,"
                " received_at, created_at, updated_at, is_repeat, junk_reason, taken_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $6, $6, $7, $8, $9)",
                inbox["id"],
                rng.choice(("new", "in_work", "converted", "junk")),
                rng.choice(("webform", "webform", "telegram", "email")),
                rng.choice(("site", "promo", "bot")),
                rng.choice(owners),
                created,
                rng.random() < 0.3,
                rng.choice(REASONS),
                taken,
            )
        for _ in range(rng.randrange(20, 90)):
            created = moment(rng)
            amount = (
                None
                if rng.random() < 0.2
                else Decimal(rng.randrange(0, 10 ** rng.choice((3, 7, 13)))).scaleb(-2)
            )
            deal = await session.fetchrow(
                "INSERT INTO deals (title, pipeline, stage, status, amount, currency,"
                " owner_id, lost_reason, stage_entered_at, created_at, updated_at)"
                " VALUES ('Сделка', $1, $2, $3, $4, $5, $6, $7, $8, $8, $8) RETURNING id",
                rng.choice(("main", "main", "main", "repeat")),
                rng.choice(STAGES),
                rng.choice(("open", "won", "lost")),
                None if amount is None else str(amount),
                rng.choice(("RUB", "RUB", "USD")),
                rng.choice(owners),
                rng.choice(REASONS),
                created,
            )
            assert deal is not None
            entered = created
            for _ in range(rng.choice((0, 1, 1, 2, 3, 5))):
                left = later(rng, entered) if rng.random() < 0.8 else None
                await session.execute(
                    "INSERT INTO deal_stages (deal_id, stage, entered_at, left_at, actor)"
                    " VALUES ($1, $2, $3, $4, 'test')",
                    deal["id"],
                    rng.choice(STAGES),
                    entered,
                    left,
                )
                entered = left or later(rng, entered)
    return staff


def session_of(uow: Any) -> SqlSession:
    """The session under a unit of work, for the rows the oracle reads (tests only)."""
    session: SqlSession = uow.reports._s
    return session


def viewer() -> Manager:
    return Manager(0, "head", "Руководитель", Role.HEAD, None, None, "UTC", True)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_sql_reports_equal_the_reference_on_random_data(storage: Storage, seed: int) -> None:
    staff = await random_data(storage, seed)
    periods = (
        NOVEMBER,
        Period(NOVEMBER.start - timedelta(days=5), NOVEMBER.end + timedelta(days=5)),
        # Nothing in it: no tallies, no durations, the medians empty.
        Period(NOVEMBER.start - timedelta(days=400), NOVEMBER.start - timedelta(days=399)),
    )
    async with storage.reader() as uow:
        rows = oracle.RowReader(session_of(uow))
        for period in periods:
            for owner in (None, *(m.id for m in staff)):
                for pipeline in PIPELINES:
                    facts = await uow.reports.funnel_facts(
                        pipeline.key, funnel_positions(pipeline), period, owner
                    )
                    got = funnel_report(pipeline, period, facts)
                    want = oracle.funnel_report(
                        pipeline,
                        period,
                        await rows.funnel_deals(pipeline.key, period, owner),
                        await rows.funnel_visits(pipeline.key, period, owner),
                    )
                    assert got == want
                    assert wire(funnel_json(got, viewer())) == wire(funnel_json(want, viewer()))
                quality = lead_quality_report(
                    period, await uow.reports.lead_quality_facts(period, owner)
                )
                reference = oracle.lead_quality_report(
                    period, await rows.quality_leads(period, owner)
                )
                assert quality == reference
                assert wire(lead_quality_json(quality, viewer())) == wire(
                    lead_quality_json(reference, viewer())
                )
        # The data is rich enough to test something: medians of both parities, money, junk.
        facts = await uow.reports.funnel_facts(
            "main", funnel_positions(PIPELINES[0]), periods[1], None
        )
        assert facts.stage_times and any(t.amount for t in facts.tallies)
        assert (await uow.reports.lead_quality_facts(periods[1], None)).total_wait.count > 10


def wire(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True)
