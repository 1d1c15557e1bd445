"""Отчёты over HTTP: whose numbers each viewer gets, the head's manager filter, bad filters."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_workplace import page, two_leads
from tests.e2e.test_workplace_deals import WHOLESALE, api, deal_of

NO_DATA = "За выбранный период данных нет"


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, write_config: Callable[[str], Settings], tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with a second, wholesale pipeline, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(write_config(WHOLESALE), storage) as service,
    ):
        yield service


def total(html: str, name: str) -> int:
    """The number of a totals tile (`<dt>Сделок</dt><dd>2</dd>`)."""
    found = re.search(rf"<dt>{name}</dt><dd>(\d+)</dd>", html)
    assert found, f"no {name!r} tile in the page"
    return int(found.group(1))


async def leads_of(running: Running, login: str, query: str = "") -> int:
    """How many leads the API's lead-quality report counts for a login."""
    report = await api(running, "GET", f"/api/v1/reports/lead-quality{query}", login)
    return int(report["total"]["leads"])


async def deals_for_both(running: Running) -> dict[str, dict[str, Any]]:
    """Ivanova and petrov each convert one lead into a wholesale deal; their leads by login."""
    held = await two_leads(running)
    for lead in held.values():
        await deal_of(running, lead)
    return held


async def test_a_manager_sees_her_own_numbers_and_the_head_everyones(running: Running) -> None:
    await deals_for_both(running)
    status, mine = await page(running, "/reports?pipeline=wholesale", "ivanova")
    assert status == 200
    assert "Воронка продаж: Оптовые продажи" in mine and "<svg" in mine
    assert total(mine, "Сделок") == 1 and total(mine, "Открыто") == 1
    assert total(mine, "Заявок") == await leads_of(running, "ivanova")
    assert 'name="manager"' not in mine  # only a head picks a manager
    status, everyone = await page(running, "/reports?pipeline=wholesale", "head")
    assert status == 200 and 'name="manager"' in everyone
    assert total(everyone, "Сделок") == 2
    assert total(everyone, "Заявок") == await leads_of(running, "head")
    assert total(everyone, "Заявок") > total(mine, "Заявок")


async def test_the_manager_filter_narrows_the_heads_reports_only(running: Running) -> None:
    await deals_for_both(running)
    petrovs_leads = await leads_of(running, "petrov")
    status, html = await page(running, "/reports?pipeline=wholesale&manager=petrov", "head")
    assert status == 200
    assert total(html, "Сделок") == 1 and total(html, "Заявок") == petrovs_leads
    assert '<option value="petrov" selected>Пётр Петров</option>' in html
    assert "менеджер: <strong>Пётр Петров</strong>" in html
    # A manager asking for a colleague still gets her own numbers, never more.
    status, html = await page(running, "/reports?pipeline=wholesale&manager=petrov", "ivanova")
    assert status == 200
    assert total(html, "Сделок") == 1
    assert total(html, "Заявок") == await leads_of(running, "ivanova")
    assert "Пётр Петров" not in html
    status, html = await page(running, "/reports?manager=nobody", "head")
    assert status == 400 and "Такого менеджера нет" in html


async def test_the_pipeline_filter_picks_the_funnel(running: Running) -> None:
    await deals_for_both(running)
    _, wholesale = await page(running, "/reports?pipeline=wholesale", "head")
    assert "Квалификация" in wholesale and "Предложение" in wholesale
    status, main = await page(running, "/reports?pipeline=main", "head")
    assert status == 200 and "Воронка продаж: Продажи" in main
    funnel = main.split('id="report-funnel"')[1].split("</section>")[0]
    assert NO_DATA in funnel and "<svg" not in funnel
    quality = main.split('id="report-quality"')[1]
    assert NO_DATA not in quality and "<svg" in quality  # leads do not depend on the pipeline
    status, html = await page(running, "/reports?pipeline=nope", "head")
    assert status == 400 and "Такой воронки нет" in html


async def test_an_empty_period_says_so_without_charts(running: Running) -> None:
    await deals_for_both(running)
    status, html = await page(running, "/reports?from=2020-01-01&to=2020-01-31", "head")
    assert status == 200
    assert html.count(NO_DATA) == 2 and "<svg" not in html
    assert "01.01.2020 — 31.01.2020" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-45", "Дата начала «2026-13-45» не распознана"),
        ("to=вчера", "Дата окончания «вчера» не распознана"),
        ("from=2026-11-30&to=2026-11-01", "Дата начала позже даты окончания"),
        ("from=2020-01-01&to=2026-01-01", "не больше чем за 366 дней"),
    ],
)
async def test_a_bad_period_is_explained_not_a_500(
    running: Running, query: str, message: str
) -> None:
    status, html = await page(running, f"/reports?{query}", "ivanova")
    assert status == 400 and message in html and 'role="alert"' in html
    assert "<svg" not in html and 'name="from"' in html  # the form stays to fix it
    headers = {**running.auth("ivanova"), "HX-Request": "true"}
    async with running.client.get(f"/reports?{query}", headers=headers) as r:
        fragment = await r.text()
    # htmx swaps only a 2xx answer: the fragment carries the message itself.
    assert r.status == 200 and message in fragment and "<html" not in fragment


async def test_the_api_takes_the_same_manager_filter(running: Running) -> None:
    await deals_for_both(running)
    path = "/api/v1/reports/funnel?pipeline=wholesale&manager=petrov"
    narrowed = await api(running, "GET", path, "head")
    assert narrowed["scope"] == "manager" and narrowed["totals"]["deals"] == 1
    quality = await api(running, "GET", "/api/v1/reports/lead-quality?manager=petrov", "head")
    assert quality["scope"] == "manager"
    assert quality["total"]["leads"] == await leads_of(running, "petrov")
    # A manager's `manager` is ignored: her own numbers, never a colleague's.
    hers = await api(running, "GET", path, "ivanova")
    assert hers["scope"] == "own" and hers["totals"]["deals"] == 1
    own = await api(running, "GET", "/api/v1/reports/funnel?pipeline=wholesale", "ivanova")
    assert hers["totals"] == own["totals"]
    async with running.client.get(
        "/api/v1/reports/lead-quality?manager=nobody", headers=running.auth("head")
    ) as r:
        assert r.status == 422 and (await r.json())["field"] == "manager"
    async with running.client.get(
        "/api/v1/reports/lead-quality?manager=nobody", headers=running.auth("ivanova")
    ) as r:
        assert r.status == 200  # not looked up for a manager: nothing to probe
