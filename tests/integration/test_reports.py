"""The funnel and lead-quality reports on both databases, from data made by the domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_core.contacts import add_contacts, prepare_contact
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.deals import move_deal
from crm_core.ingest import IngestLead, ingest_leads
from crm_core.lifecycle import junk_lead, take_lead
from crm_core.model import (
    Lead,
    LeadContactDetails,
    LeadMatch,
    Manager,
    NewInboxItem,
    NewLead,
    NewManager,
    Role,
)
from crm_core.pipelines import Pipeline, Stage, StageKind, StageOrder
from crm_core.reports import (
    FunnelReport,
    InvalidPeriod,
    LeadQualityReport,
    Period,
    funnel_positions,
    funnel_report,
    lead_quality_report,
    resolve_period,
)
from crm_core.storage import Storage
from dedupe.profile import RawIdentity
from intake.auth import create_token
from intake.http import reports
from intake.http.keys import SERVICES

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
JUNK_REASONS = {"spam": "Спам", "no_answer": "Не дозвонились"}
PIPELINES = {
    "main": Pipeline(
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
        lost_reasons=("Дорого", "Другое"),
    ),
    "repeat": Pipeline(
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
}


# ---------------------------------------------------------------- data through the domain


async def team(storage: Storage) -> dict[str, Manager]:
    async with storage.transaction() as uow:
        people = [
            NewManager("ivanova", "Анна Иванова", Role.MANAGER, None, None, "Europe/Moscow", True),
            NewManager("petrov", "Пётр Петров", Role.MANAGER, None, None, "Europe/Moscow", True),
            NewManager("head", "Ольга Руководитель", Role.HEAD, None, None, "Europe/Moscow", True),
        ]
        return {m.login: await uow.managers.upsert(m, T0) for m in people}


async def lead_at(
    storage: Storage,
    n: int,
    at: datetime,
    *,
    channel: str = "webform",
    source: str = "site",
    amount: str = "150 000",
) -> Lead:
    """A lead (with its inbox row) created at `at`."""
    lead = NewLead(
        inbox_id=0,
        channel=channel,
        source=source,
        contact=LeadContactDetails(
            name=f"Клиент {n}", phone=f"+7916123{n:04d}", company=f"ООО Клиент {n}"
        ),
        comment=None,
        utm={},
        page_url=None,
        referrer=None,
        fields={"amount": amount},
        meta={},
        flags=(),
        queue="main",
        pipeline="main",
        received_at=at,
    )
    async with storage.transaction() as uow:
        [receipt] = await uow.inbox.add_batch(
            [NewInboxItem(channel, source, f"r{n}", at, {}, {}, {})]
        )
        lead = replace(lead, inbox_id=receipt.intake_id)
        [(stored, _)] = await ingest_leads(uow, [IngestLead(lead, None)], at)
    return stored


async def take(storage: Storage, lead: Lead, who: Manager, at: datetime) -> None:
    async with storage.transaction() as uow:
        await take_lead(uow, lead.id, who, at)


async def junk(storage: Storage, lead: Lead, who: Manager, reason: str, at: datetime) -> None:
    async with storage.transaction() as uow:
        await junk_lead(uow, lead.id, who, reason, JUNK_REASONS, at)


async def convert(
    storage: Storage, lead: Lead, who: Manager, at: datetime, *, pipeline: str | None = None
) -> int:
    """Take the lead and convert it into a deal (owned by `who`) at `at`; the deal's id."""
    async with storage.transaction() as uow:
        await take_lead(uow, lead.id, who, at)
        done = await convert_lead(
            uow, lead.id, who, ConvertRequest(pipeline=pipeline), PIPELINES, "RU", at
        )
    assert done.deal_id is not None
    return done.deal_id


async def move(
    storage: Storage, deal_id: int, stage: str, who: Manager, at: datetime, reason: str = ""
) -> None:
    async with storage.transaction() as uow:
        await move_deal(uow, deal_id, stage, who, reason or None, PIPELINES, at)


async def sales_history(storage: Storage, staff: dict[str, Manager]) -> None:
    """Four November deals in `main` (two ivanova's, two petrov's) plus three that are not."""
    ivanova, petrov, head = staff["ivanova"], staff["petrov"], staff["head"]
    # Won: opening 2 h, proposal 5 h, invoice 1 day.
    d1 = await convert(storage, await lead_at(storage, 1, T0), ivanova, T0)
    await move(storage, d1, "proposal", ivanova, T0 + 2 * HOUR)
    await move(storage, d1, "invoice", ivanova, T0 + 7 * HOUR)
    await move(storage, d1, "won", ivanova, T0 + 7 * HOUR + DAY)
    # Lost: opening 6 h, then straight to the invoice (free order skips the proposal), 2 days.
    d2 = await convert(storage, await lead_at(storage, 2, T0, amount="90 000"), ivanova, T0 + HOUR)
    await move(storage, d2, "invoice", ivanova, T0 + 7 * HOUR)
    await move(storage, d2, "lost", ivanova, T0 + 7 * HOUR + 2 * DAY, "Дорого")
    # Still open: in the proposal after 4 h of opening, and in the opening.
    d3 = await convert(storage, await lead_at(storage, 3, T0), petrov, T0 + 2 * HOUR)
    await move(storage, d3, "proposal", petrov, T0 + 6 * HOUR)
    await convert(storage, await lead_at(storage, 4, T0), petrov, T0 + 3 * HOUR)

    # Not in the cohort: created in October, created at the period's (exclusive) end,
    # and one in another pipeline.
    october = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    old = await convert(
        storage, await lead_at(storage, 5, october, amount="70 000"), head, october
    )
    await move(storage, old, "won", head, october + DAY)
    late = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    await convert(storage, await lead_at(storage, 6, late), head, NOVEMBER.end)
    await convert(storage, await lead_at(storage, 7, T0), head, T0, pipeline="repeat")


async def funnel_of(storage: Storage, owner_id: int | None = None) -> FunnelReport:
    async with storage.reader() as uow:
        facts = await uow.reports.funnel_facts(
            "main", funnel_positions(PIPELINES["main"]), NOVEMBER, owner_id
        )
    return funnel_report(PIPELINES["main"], NOVEMBER, facts)


async def quality_of(storage: Storage, assignee_id: int | None = None) -> LeadQualityReport:
    async with storage.reader() as uow:
        facts = await uow.reports.lead_quality_facts(NOVEMBER, assignee_id)
    return lead_quality_report(NOVEMBER, facts)


# ---------------------------------------------------------------- funnel


async def test_funnel_counts_passed_stages_and_current_ones(storage: Storage) -> None:
    staff = await team(storage)
    await sales_history(storage, staff)

    report = await funnel_of(storage)

    rows = {s.key: s for s in report.stages}
    assert list(rows) == ["opening", "proposal", "invoice", "won"]
    # Conversion funnel: the lost deal skipped the proposal yet counts as having passed it.
    assert [s.reached for s in report.stages] == [4, 3, 2, 1]
    assert [s.conversion_from_previous for s in report.stages] == [None, 0.75, 2 / 3, 0.5]
    # Classic funnel: where the deals are now (the lost one is in no open stage).
    assert [s.now_in for s in report.stages] == [1, 1, 0, 1]
    # Finished visits only: opening 2 h, 6 h, 4 h; proposal 5 h (d3's is open); invoice 1 d, 2 d.
    assert rows["opening"].median_seconds_in_stage == 4 * 3600
    assert rows["opening"].closed_visits == 3
    assert rows["proposal"].median_seconds_in_stage == 5 * 3600
    assert rows["invoice"].median_seconds_in_stage == 1.5 * 86400
    assert rows["won"].median_seconds_in_stage is None and rows["won"].closed_visits == 0
    assert (report.deals, report.open, report.won, report.lost) == (4, 2, 1, 1)
    assert report.won_amount == {"RUB": Decimal("150000.00")}
    assert str(report.won_amount["RUB"]) == "150000.00"
    assert report.lost_by_reason == {"Дорого": 1}


async def test_funnel_of_a_manager_covers_their_own_deals(storage: Storage) -> None:
    staff = await team(storage)
    await sales_history(storage, staff)

    mine = await funnel_of(storage, staff["ivanova"].id)
    theirs = await funnel_of(storage, staff["petrov"].id)

    assert [s.reached for s in mine.stages] == [2, 2, 2, 1]
    assert [s.conversion_from_previous for s in mine.stages] == [None, 1.0, 1.0, 0.5]
    assert [s.now_in for s in mine.stages] == [0, 0, 0, 1]
    assert mine.stages[0].median_seconds_in_stage == 4 * 3600  # 2 h and 6 h
    assert (mine.deals, mine.won, mine.lost) == (2, 1, 1)
    assert [s.reached for s in theirs.stages] == [2, 1, 0, 0]
    assert [s.conversion_from_previous for s in theirs.stages] == [None, 0.5, 0.0, None]
    assert theirs.won_amount == {} and theirs.lost_by_reason == {}


async def test_funnel_of_an_empty_period_is_zeros(storage: Storage) -> None:
    await team(storage)
    report = await funnel_of(storage)
    assert [s.reached for s in report.stages] == [0, 0, 0, 0]
    assert [s.conversion_from_previous for s in report.stages] == [None, None, None, None]
    assert report.deals == 0 and report.won_amount == {}


# ---------------------------------------------------------------- lead quality


async def lead_history(storage: Storage, staff: dict[str, Manager]) -> None:
    """Eight November leads from three channel/form pairs, plus one from October."""
    ivanova, petrov, head = staff["ivanova"], staff["petrov"], staff["head"]
    # webform/site: converted, in work, junk untaken, junk after a take, new (a repeat client).
    first = await lead_at(storage, 1, T0)
    await take(storage, first, ivanova, T0 + 10 * MINUTE)
    async with storage.transaction() as uow:
        await convert_lead(
            uow, first.id, ivanova, ConvertRequest(create_deal=False), PIPELINES, "RU", T0 + HOUR
        )
    await take(storage, await lead_at(storage, 2, T0), ivanova, T0 + 30 * MINUTE)
    await junk(storage, await lead_at(storage, 3, T0), head, "spam", T0 + 5 * MINUTE)
    fourth = await lead_at(storage, 4, T0)
    await take(storage, fourth, petrov, T0 + 50 * MINUTE)
    await junk(storage, fourth, petrov, "no_answer", T0 + 2 * HOUR)
    fifth = await lead_at(storage, 5, T0)
    async with storage.transaction() as uow:
        [known] = await add_contacts(uow, [prepare_contact(RawIdentity(name="Клиент"), "RU")], T0)
        await uow.leads.record_match(
            fifth.id, LeadMatch("auto", 9.0, known, None, True, {}), None, T0
        )
    # webform/promo: junk and new.
    await junk(storage, await lead_at(storage, 6, T0, source="promo"), head, "spam", T0 + HOUR)
    await lead_at(storage, 7, T0, source="promo")
    # telegram/bot: taken in 5 minutes.
    bot = await lead_at(storage, 8, T0, channel="telegram", source="bot")
    await take(storage, bot, petrov, T0 + 5 * MINUTE)
    # October: outside the period.
    october = datetime(2026, 10, 15, tzinfo=UTC)
    await take(storage, await lead_at(storage, 9, october), ivanova, october + MINUTE)


async def test_lead_quality_per_channel_and_form(storage: Storage) -> None:
    staff = await team(storage)
    await lead_history(storage, staff)

    report = await quality_of(storage)

    assert [(g.channel, g.source) for g in report.groups] == [
        ("webform", "site"),
        ("webform", "promo"),
        ("telegram", "bot"),
    ]
    site, promo, bot = (g.quality for g in report.groups)
    assert (site.leads, site.new, site.in_work, site.converted, site.junk) == (5, 1, 1, 1, 2)
    assert site.qualified_share == 0.4 and site.junk_share == 0.4
    assert site.junk_by_reason == {"no_answer": 1, "spam": 1}
    # Taken after 10, 30 and 50 minutes (the junk one was taken before it was junked).
    assert site.taken == 3 and site.median_seconds_to_take == 30 * 60
    assert site.repeat_share == 0.2
    assert (promo.leads, promo.junk, promo.new) == (2, 1, 1)
    assert promo.qualified_share == 0.0 and promo.junk_share == 0.5
    assert promo.junk_by_reason == {"spam": 1} and promo.median_seconds_to_take is None
    assert (bot.leads, bot.in_work, bot.qualified_share, bot.junk_share) == (1, 1, 1.0, 0.0)
    assert bot.median_seconds_to_take == 5 * 60

    total = report.total
    assert (total.leads, total.new, total.in_work, total.converted, total.junk) == (
        8,
        2,
        2,
        1,
        3,
    )
    assert total.qualified_share == 3 / 8 and total.junk_share == 3 / 8
    assert total.junk_by_reason == {"no_answer": 1, "spam": 2}
    assert total.median_seconds_to_take == 20 * 60  # 5, 10, 30, 50 minutes
    assert total.repeat_share == 1 / 8


async def test_lead_quality_of_a_manager_covers_their_own_leads(storage: Storage) -> None:
    staff = await team(storage)
    await lead_history(storage, staff)

    mine = await quality_of(storage, staff["ivanova"].id)

    [site] = mine.groups
    assert (site.channel, site.source) == ("webform", "site")
    assert (site.quality.leads, site.quality.converted, site.quality.in_work) == (2, 1, 1)
    assert site.quality.qualified_share == 1.0 and site.quality.junk_by_reason == {}
    assert site.quality.median_seconds_to_take == 20 * 60  # 10 and 30 minutes


# ---------------------------------------------------------------- period


def test_period_dates_are_the_callers_midnights_and_to_is_exclusive() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    period = resolve_period("2026-11-01", "2026-12-01", now=now, timezone="Europe/Moscow")
    assert period.start == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    offset = resolve_period(
        "2026-11-01T00:00:00 00:00", None, now=now, timezone="Europe/Moscow"
    )  # '+' unescaped in a query string arrives as a space
    assert offset == Period(datetime(2026, 11, 1, tzinfo=UTC), now)
    default = resolve_period(None, None, now=now, timezone="Europe/Moscow")
    assert default == Period(now - timedelta(days=30), now)


@pytest.mark.parametrize(
    ("start", "end", "field", "status"),
    [
        ("ноябрь", None, "from", 400),
        (None, "2026-13-01", "to", 400),
        ("2026-12-01", "2026-11-01", "to", 422),
        ("2026-11-01", "2026-11-01", "to", 422),
        ("2024-01-01", "2026-01-01", "to", 422),
    ],
)
def test_bad_period_names_the_field(
    start: str | None, end: str | None, field: str, status: int
) -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    with pytest.raises(InvalidPeriod) as refused:
        resolve_period(start, end, now=now, timezone="Europe/Moscow")
    assert (refused.value.field, refused.value.status) == (field, status)


# ---------------------------------------------------------------- over HTTP


@asynccontextmanager
async def reports_api(
    storage: Storage,
) -> AsyncIterator[tuple[TestClient[Any, Any], dict[str, str]]]:
    """The two handlers on a bare app over this storage; bearer headers by login."""
    app = web.Application()
    # Only what the handlers read: storage and the configured pipelines.
    app[SERVICES] = SimpleNamespace(storage=storage, sales=SimpleNamespace(pipelines=PIPELINES))
    app.router.add_get("/api/v1/reports/funnel", reports.funnel)
    app.router.add_get("/api/v1/reports/lead-quality", reports.lead_quality)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        tokens = {
            login: f"Bearer {await create_token(storage, login)}"
            for login in ("ivanova", "petrov", "head")
        }
        yield client, tokens
    finally:
        await client.close()


async def get(
    client: TestClient[Any, Any], url: str, auth: str | None, status: int = 200
) -> dict[str, Any]:
    headers = {"Authorization": auth} if auth else {}
    async with client.get(url, headers=headers) as response:
        assert response.status == status, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def test_funnel_endpoint_shape_and_scope(storage: Storage) -> None:
    staff = await team(storage)
    await sales_history(storage, staff)
    november = "from=2026-11-01T00:00:00%2B00:00&to=2026-12-01T00:00:00Z"
    async with reports_api(storage) as (client, auth):
        body = await get(client, f"/api/v1/reports/funnel?pipeline=main&{november}", auth["head"])
        default = await get(client, f"/api/v1/reports/funnel?{november}", auth["head"])
        mine = await get(client, f"/api/v1/reports/funnel?{november}", auth["ivanova"])

    assert body == default
    assert body["pipeline"] == {"key": "main", "name": "Продажи"}
    assert body["period"] == {
        "from": "2026-11-01T00:00:00+00:00",
        "to": "2026-12-01T00:00:00+00:00",
    }
    assert body["scope"] == "all"
    assert body["stages"][1] == {
        "key": "proposal",
        "name": "КП отправлено",
        "kind": "open",
        "reached": 3,
        "now_in": 1,
        "conversion_from_previous": 0.75,
        "median_seconds_in_stage": 18000.0,
        "closed_visits": 1,
    }
    assert [s["conversion_from_previous"] for s in body["stages"]] == [None, 0.75, 0.6667, 0.5]
    assert body["stages"][-1]["kind"] == "won"
    assert body["totals"] == {
        "deals": 4,
        "open": 2,
        "won": 1,
        "lost": 1,
        "won_amount": {"RUB": "150000.00"},
        "lost_by_reason": {"Дорого": 1},
    }
    assert mine["scope"] == "own" and mine["totals"]["deals"] == 2


async def test_lead_quality_endpoint_shape_and_scope(storage: Storage) -> None:
    staff = await team(storage)
    await lead_history(storage, staff)
    async with reports_api(storage) as (client, auth):
        # Dates are the caller's midnights (Europe/Moscow here).
        url = "/api/v1/reports/lead-quality?from=2026-11-01&to=2026-12-01"
        body = await get(client, url, auth["head"])
        mine = await get(client, url, auth["petrov"])

    assert body["period"] == {
        "from": "2026-11-01T00:00:00+03:00",
        "to": "2026-12-01T00:00:00+03:00",
    }
    assert body["scope"] == "all"
    assert body["groups"][0] == {
        "channel": "webform",
        "source": "site",
        "leads": 5,
        "new": 1,
        "in_work": 1,
        "converted": 1,
        "junk": 2,
        "qualified_share": 0.4,
        "junk_share": 0.4,
        "junk_by_reason": {"no_answer": 1, "spam": 1},
        "taken": 3,
        "median_seconds_to_take": 1800.0,
        "repeat_share": 0.2,
    }
    assert body["total"]["leads"] == 8 and body["total"]["qualified_share"] == 0.375
    assert mine["scope"] == "own"
    assert [(g["channel"], g["source"], g["leads"]) for g in mine["groups"]] == [
        ("telegram", "bot", 1),
        ("webform", "site", 1),
    ]
    assert mine["total"]["junk_by_reason"] == {"no_answer": 1}


async def test_endpoints_refuse_bad_parameters_naming_them(storage: Storage) -> None:
    await team(storage)
    async with reports_api(storage) as (client, auth):
        head = auth["head"]
        unknown = await get(client, "/api/v1/reports/funnel?pipeline=nope", head, 422)
        bad_from = await get(client, "/api/v1/reports/funnel?from=вчера", head, 400)
        backwards = await get(
            client, "/api/v1/reports/lead-quality?from=2026-12-01&to=2026-11-01", head, 422
        )
        anonymous = await get(client, "/api/v1/reports/lead-quality", None, 401)
    assert (unknown["error"], unknown["field"]) == ("unknown_pipeline", "pipeline")
    assert "main" in unknown["message"]
    assert (bad_from["error"], bad_from["field"]) == ("invalid_query", "from")
    assert (backwards["error"], backwards["field"]) == ("invalid_field", "to")
    assert anonymous["field"] == "Authorization"
