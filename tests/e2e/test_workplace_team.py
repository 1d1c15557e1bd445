"""Команда over HTTP: the head's panel of each manager's load, speed and duty; heads only."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from config.settings import AbsenceSettings
from intake.clock import utcnow
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_workplace import page, submit
from tests.e2e.test_workplace_tasks import api, task


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service on each database; petrov is on leave today, so the queue gives ivanova
    every lead."""
    now = utcnow()
    leave = AbsenceSettings(now - timedelta(days=1), now + timedelta(days=1), "отпуск")
    managers = tuple(
        replace(m, absences=(leave,)) if m.login == "petrov" else m for m in settings.managers
    )
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(replace(settings, managers=managers), storage) as service,
    ):
        yield service


def row(html: str, login: str) -> str:
    """The HTML of one manager's row of the panel."""
    start = html.index(f'data-login="{login}"')
    return html[start : html.index("</tr>", start)]


def cell(row_html: str, name: str) -> str:
    """The text of one cell of a row, tags removed."""
    start = row_html.index(f'{name}"')
    end = row_html.index("</t", start)
    text = re.sub(r"<[^>]+>", "", row_html[row_html.index(">", start) + 1 : end])
    return re.sub(r"[ \t\n]+", " ", text).strip()  # no-break spaces in sums stay


async def seed(running: Running) -> dict[str, Any]:
    """ivanova: one new lead, one taken and converted to a 150 000,50 ₽ deal, one overdue
    task and one not yet due; petrov: one new lead handed to him by the head."""
    leads = [await submit(running, name=f"Клиент {n}", phone=f"+7916555000{n}") for n in range(3)]
    assert {lead["assignee"] for lead in leads} == {"ivanova"}
    taken, waiting, handed = leads
    await api(running, "POST", f"/api/v1/leads/{taken['id']}/take", "ivanova")
    await api(
        running, "POST", f"/api/v1/leads/{handed['id']}/reassign", "head", {"manager": "petrov"}
    )
    past = (utcnow() - timedelta(hours=2)).isoformat()
    future = (utcnow() + timedelta(days=2)).isoformat()
    await task(running, waiting["id"], "ivanova", "Перезвонить", past)
    await task(running, waiting["id"], "ivanova", "Отправить КП", future)
    body = {"pipeline": "main", "amount": "150000.50", "title": "Поставка"}
    await api(running, "POST", f"/api/v1/leads/{taken['id']}/convert", "ivanova", body)
    return {"taken": taken, "waiting": waiting, "handed": handed}


async def test_the_head_sees_each_managers_load_speed_and_duty(running: Running) -> None:
    await seed(running)
    status, html = await page(running, "/team", "head")
    assert status == 200 and "<h1>Команда</h1>" in html
    assert 'href="/team" class="active"' in html
    ivanova, petrov = row(html, "ivanova"), row(html, "petrov")
    assert "Анна Иванова" in ivanova and "Пётр Петров" in petrov
    assert cell(ivanova, "team-leads") == "1 новых 1, в работе 0"
    assert cell(petrov, "team-leads") == "1 новых 1, в работе 0"
    assert cell(ivanova, "team-overdue") == "1" and cell(petrov, "team-overdue") == "0"
    assert cell(ivanova, "team-deals") == "1 150\u00a0000,50\u00a0₽"
    assert cell(petrov, "team-deals") == "0"
    # ivanova took her lead within the test's seconds; petrov took none.
    assert re.fullmatch(r"\d+ с", cell(ivanova, "team-take")), cell(ivanova, "team-take")
    assert cell(petrov, "team-take") == "—"
    assert cell(ivanova, "team-duty") == "на смене"
    assert cell(petrov, "team-duty") == "отсутствует"
    assert 'data-login="head"' in html  # heads are on the team too


async def test_a_manager_gets_a_russian_403_and_no_menu_item(running: Running) -> None:
    status, html = await page(running, "/team", "ivanova")
    assert status == 403
    assert "только руководителю" in html and "Анна Иванова" in html
    _, triage = await page(running, "/", "ivanova")
    assert 'href="/team"' not in triage and "Команда" not in triage
    _, triage = await page(running, "/", "head")
    assert 'href="/team"' in triage


async def test_the_panel_needs_sign_in(running: Running) -> None:
    async with running.client.get("/team", allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"].startswith("/login")


async def test_the_json_twin_is_the_heads_only(running: Running) -> None:
    await seed(running)
    async with running.client.get("/api/v1/team", headers=running.auth("ivanova")) as r:
        assert r.status == 403 and (await r.json())["error"] == "forbidden"
    async with running.client.get("/api/v1/team", headers=running.auth("head")) as r:
        assert r.status == 200
        body = await r.json()
    members = {m["login"]: m for m in body["members"]}
    assert body["members"][0]["login"] == "head"
    ivanova, petrov = members["ivanova"], members["petrov"]
    assert (ivanova["new_leads"], ivanova["leads_in_work"], ivanova["overdue_tasks"]) == (1, 0, 1)
    assert ivanova["open_deals"] == 1 and ivanova["open_amount"] == {"RUB": "150000.50"}
    assert ivanova["median_seconds_to_take"] is not None and ivanova["on_duty"] is True
    assert petrov["new_leads"] == 1 and petrov["median_seconds_to_take"] is None
    assert petrov["on_duty"] is False and petrov["absent"] is True
    assert body["unassigned_new_leads"] == 0
