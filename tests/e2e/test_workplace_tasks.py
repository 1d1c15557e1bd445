"""Мои задачи, notes and tasks on the lead card, Конвертировать: over HTTP, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_workplace import act, page, two_leads

# Anna works from Vladivostok (UTC+10): her day starts at 14:00 UTC of the day before.
VLADIVOSTOK = "Asia/Vladivostok"
NOW = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)  # 07.12 06:30 in Vladivostok


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> AsyncIterator[Running]:
    """The service on each database; ivanova in Vladivostok, everyone else in Moscow."""
    managers = tuple(
        replace(m, timezone=VLADIVOSTOK) if m.login == "ivanova" else m for m in settings.managers
    )
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(replace(settings, managers=managers), storage) as service,
    ):
        yield service


async def api(
    running: Running, method: str, path: str, login: str, body: Any = None
) -> dict[str, Any]:
    """Call the JSON API as a login; the body of a 2xx answer."""
    async with running.client.request(method, path, json=body, headers=running.auth(login)) as r:
        assert r.status < 300, await r.text()
        answer: dict[str, Any] = await r.json()
        return answer


async def task(running: Running, lead_id: int, login: str, title: str, due: str) -> int:
    """A task on a lead through the API."""
    body = {"entity": "lead", "entity_id": lead_id, "title": title, "due_at": due}
    created = await api(running, "POST", "/api/v1/tasks", login, body)
    return int(created["id"])


def section(html: str, group: str) -> str:
    """The HTML of one group of Мои задачи."""
    start = html.index(f'id="tasks-{group}"')
    end = html.find("</section>", start)
    return html[start:end]


async def test_tasks_are_grouped_by_the_managers_own_day(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workplace.pages.tasks.utcnow", lambda: NOW)
    lead = (await two_leads(running))["ivanova"]
    due = {
        "Просроченная": "2026-12-06T20:00:00+00:00",
        "Утром по Владивостоку": "2026-12-06T23:00:00+00:00",  # still 06.12 in UTC
        "Вечером по Владивостоку": "2026-12-07T13:30:00+00:00",
        "После полуночи": "2026-12-07T14:30:00+00:00",  # 08.12 00:30 local, 07.12 in UTC
    }
    for title, at in due.items():
        await task(running, lead["id"], "ivanova", title, at)
    status, html = await page(running, "/tasks", "ivanova")
    assert status == 200 and 'aria-current="page">Мои задачи' in html
    overdue, today, upcoming = (section(html, g) for g in ("overdue", "today", "upcoming"))
    assert "Просроченная" in overdue and "Просроченные" in overdue
    assert "Утром по Владивостоку" in today and "Вечером по Владивостоку" in today
    assert "После полуночи" in upcoming and "После полуночи" not in today
    assert "07.12.2026 09:00" in today  # shown in her time, not UTC
    assert f'href="/leads/{lead["id"]}"' in today
    _, theirs = await page(running, "/tasks", "petrov")
    assert "Просроченная" not in theirs and "Раздел появится" not in theirs
    _, team = await page(running, "/tasks", "head")
    assert "Просроченная" in team and "Анна Иванова" in section(team, "overdue")
    _, only_petrov = await page(running, "/tasks?manager=petrov", "head")
    assert "Просроченная" not in only_petrov


async def test_done_closes_a_task_once(running: Running) -> None:
    lead = (await two_leads(running))["ivanova"]
    task_id = await task(running, lead["id"], "ivanova", "Позвонить", "2026-12-01T10:00:00+00:00")
    refused = await act(running, f"/tasks/{task_id}/done", "petrov", view="list")
    assert "Задача не найдена или недоступна вам." in refused
    first = await act(running, f"/tasks/{task_id}/done", "ivanova", view="list")
    assert "Задача выполнена." in first and "Выполнено</button>" not in first
    [stored] = (await running.lead(lead["id"], "ivanova"))["tasks"]
    second = await act(running, f"/tasks/{task_id}/done", "ivanova", view="list")
    assert "Задача уже выполнена." in second
    [again] = (await running.lead(lead["id"], "ivanova"))["tasks"]
    assert stored["done"] is True and again["done_at"] == stored["done_at"]
    _, html = await page(running, "/tasks", "ivanova")
    assert "Позвонить" not in html
    missing = await act(running, "/tasks/99999999/done", "ivanova", view="list")
    assert "Задача не найдена" in missing


async def test_a_note_and_a_task_from_the_card_appear_in_its_timeline(running: Running) -> None:
    lead = (await two_leads(running))["petrov"]  # petrov is in Moscow (UTC+3)
    path = f"/leads/{lead['id']}"
    empty = await act(running, f"{path}/notes", "petrov", text="   ")
    assert "Напишите текст заметки." in empty
    noted = await act(running, f"{path}/notes", "petrov", text="Клиент просил <КП> до пятницы")
    assert "Заметка добавлена." in noted and "Клиент просил &lt;КП&gt; до пятницы" in noted
    bad = await act(running, f"{path}/tasks", "petrov", title="Отправить КП", due_at="завтра")
    assert "Укажите срок задачи: дату и время." in bad and 'value="Отправить КП"' in bad
    planned = await act(
        running, f"{path}/tasks", "petrov", title="Отправить КП", due_at="2026-12-08T10:00"
    )
    assert "Задача добавлена." in planned and "08.12.2026 10:00" in planned
    shown = await running.lead(lead["id"], "petrov")
    [stored] = shown["tasks"]
    assert stored["title"] == "Отправить КП" and stored["due_at"] == "2026-12-08T07:00:00+00:00"
    assert [a["kind"] for a in shown["activities"]] == ["note"]
    nobody = await act(
        running, f"{path}/tasks", "petrov", title="x", due_at="2026-12-08T10:00", assignee="nobody"
    )
    assert "Выберите активного менеджера из списка." in nobody
    assert len((await running.lead(lead["id"], "petrov"))["tasks"]) == 1
    foreign = await act(running, f"{path}/notes", "ivanova", text="чужая")
    assert "Заявка не найдена или недоступна вам." in foreign
    done = await act(
        running, f"/tasks/{stored['id']}/done", "petrov", view="card", lead_id=str(lead["id"])
    )
    assert "Задача выполнена." in done and 'id="card"' in done
    assert "· выполнена" in done and "· запланирована" not in done
    assert (await running.lead(lead["id"], "petrov"))["tasks"][0]["done"] is True


async def test_a_head_gives_a_task_from_the_card_to_the_leads_manager(running: Running) -> None:
    lead = (await two_leads(running))["ivanova"]
    _, card = await page(running, f"/leads/{lead['id']}", "head")
    assert '<option value="ivanova" selected>' in card
    _, own = await page(running, f"/leads/{lead['id']}", "ivanova")
    assert 'name="assignee"' not in own
    given = await act(
        running,
        f"/leads/{lead['id']}/tasks",
        "head",
        title="Позвонить до обеда",
        due_at="2026-12-08T11:00",
        assignee="ivanova",
    )
    assert "Задача добавлена." in given
    _, mine = await page(running, "/tasks", "ivanova")
    # 11:00 in Moscow (the head's time) is 18:00 in Vladivostok (hers).
    assert "Позвонить до обеда" in mine and "08.12.2026 18:00" in mine


async def convert(running: Running, lead_id: int, login: str, **form: str) -> tuple[int, Any]:
    """Post the convert form the way htmx does: (status, HX-Redirect or the HTML answer)."""
    headers = {**running.auth(login), "HX-Request": "true"}
    path = f"/leads/{lead_id}/convert"
    async with running.client.post(path, data=form, headers=headers) as r:
        return r.status, r.headers.get("HX-Redirect") or await r.text()


async def deals(running: Running) -> list[dict[str, Any]]:
    """Every deal, as the head sees them."""
    return list((await api(running, "GET", "/api/v1/deals", "head"))["items"])


async def test_convert_creates_exactly_one_deal(running: Running) -> None:
    lead = (await two_leads(running))["ivanova"]
    form = {"pipeline": "main", "amount": "150 000,50", "title": "Поставка"}
    status, target = await convert(running, lead["id"], "ivanova", **form)
    [deal] = await deals(running)
    assert status == 200 and target == f"/deals/{deal['id']}"
    assert deal["amount"] == "150000.50" and deal["title"] == "Поставка"
    again = await convert(running, lead["id"], "ivanova", **form)
    assert again == (200, f"/deals/{deal['id']}") and len(await deals(running)) == 1
    after = await running.lead(lead["id"])
    assert after["status"] == "converted" and after["deal_id"] == deal["id"]
    _, card = await page(running, f"/leads/{lead['id']}", "ivanova")
    assert f'href="/deals/{deal["id"]}"' in card


async def test_bad_input_on_convert_changes_nothing(running: Running) -> None:
    held = await two_leads(running)
    lead = held["ivanova"]
    for amount in ("сто тысяч", "-5", "1e400"):
        status, html = await convert(running, lead["id"], "ivanova", amount=amount, title="x")
        assert status == 200 and "Сумма: введите число" in html
        assert f'value="{amount}"' in html and 'id="convert"' in html
    status, html = await convert(running, lead["id"], "ivanova", pipeline="nope")
    assert "Такой воронки нет в настройках" in html
    status, html = await convert(running, held["petrov"]["id"], "ivanova", amount="10")
    assert "Заявка не найдена или недоступна вам." in html
    assert await deals(running) == []
    assert (await running.lead(lead["id"]))["status"] == "new"


async def test_a_plain_convert_post_goes_to_the_deal(running: Running) -> None:
    lead = (await two_leads(running))["petrov"]
    path = f"/leads/{lead['id']}/convert"
    auth = running.auth("petrov")
    async with running.client.post(path, data={}, headers=auth, allow_redirects=False) as r:
        assert r.status == 303
        location = r.headers["Location"]
    [deal] = await deals(running)
    assert location == f"/deals/{deal['id']}"


async def test_a_task_on_a_client_links_to_the_client_card(running: Running) -> None:
    lead_id = (await two_leads(running))["ivanova"]["id"]
    form = {"pipeline": "main", "amount": "1000", "title": "Поставка"}
    await convert(running, lead_id, "ivanova", **form)
    contact_id = (await running.lead(lead_id, "ivanova"))["contact_id"]
    assert contact_id is not None
    body = {
        "entity": "contact",
        "entity_id": contact_id,
        "title": "Поздравить с юбилеем",
        "due_at": "2026-12-20T09:00:00+00:00",
    }
    await api(running, "POST", "/api/v1/tasks", "ivanova", body)
    _, html = await page(running, "/tasks", "ivanova")
    assert f'href="/clients/contacts/{contact_id}"' in html
