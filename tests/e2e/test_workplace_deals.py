"""Сделки and the deal card over HTTP: who sees which deal, moves under the pipeline's rules."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from crm_core.sales import NewDeal, NewTask, RecordKind
from intake.clock import utcnow
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_workplace import page, two_leads
from tests.e2e.test_workplace_sign_in import TOKEN_FIELD
from workplace.auth.service import set_password

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

# A wholesale pipeline: strict order, a required amount, a lost deal needs the head.
WHOLESALE = """
[[pipelines]]
key = "wholesale"
name = "Оптовые продажи"
stage_order = "strict"
lost_requires_approval = true
lost_reasons = ["Дорого", "Нет бюджета"]
stages = [
  { key = "qualification", name = "Квалификация" },
  { key = "proposal", name = "Предложение" },
  { key = "contract", name = "Договор", required_fields = ["amount"] },
  { key = "won", name = "Сделка успешна", kind = "won" },
  { key = "lost", name = "Сделка провалена", kind = "lost" },
]
"""


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


async def api(running: Running, method: str, path: str, login: str, body: Any = None) -> Any:
    """Call the JSON API as a login; the answer's JSON."""
    async with running.client.request(
        method, path, json=body, headers=running.auth(login)
    ) as response:
        assert response.status < 300, await response.text()
        return await response.json()


async def deal_of(running: Running, lead: dict[str, Any], pipeline: str = "wholesale") -> int:
    """Take the lead as its manager and convert it into a deal of the pipeline."""
    login, path = lead["assignee"], f"/api/v1/leads/{lead['id']}"
    await api(running, "POST", f"{path}/take", login, {})
    converted = await api(running, "POST", f"{path}/convert", login, {"pipeline": pipeline})
    return int(converted["deal_id"])


async def move(running: Running, deal_id: int, login: str, **form: str) -> dict[str, Any]:
    """Drop a card the way the board's script does: a form post answered with JSON."""
    async with running.client.post(
        f"/deals/{deal_id}/move", data=form, headers=running.auth(login)
    ) as response:
        assert response.status == 200, await response.text()
        return dict(await response.json())


async def finish_tasks(running: Running, deal_id: int) -> None:
    """Mark the deal's open tasks done: nothing is planned any more."""
    for task in (await deal(running, deal_id))["tasks"]:
        if not task["done"]:
            await api(running, "POST", f"/api/v1/tasks/{task['id']}/done", "head", {})


async def deal(running: Running, deal_id: int) -> dict[str, Any]:
    """The deal as the API shows it to the head."""
    return dict(await api(running, "GET", f"/api/v1/deals/{deal_id}", "head"))


async def test_board_shows_each_viewer_their_deals(running: Running) -> None:
    held = await two_leads(running)
    mine, theirs = await deal_of(running, held["ivanova"]), await deal_of(running, held["petrov"])
    status, html = await page(running, "/deals?pipeline=wholesale", "ivanova")
    assert status == 200
    assert f'id="deal-{mine}"' in html and f'id="deal-{theirs}"' not in html
    for label in ("Оптовые продажи", "Продажи", "Квалификация", "Договор", "Сделка провалена"):
        assert label in html
    assert "Связаться с клиентом" in html and "h-green" in html  # the conversion's task
    await finish_tasks(running, mine)
    _, html = await page(running, "/deals?pipeline=wholesale", "ivanova")
    assert "нет следующего шага" in html and "deal h-red" in html
    _, head_html = await page(running, "/deals?pipeline=wholesale", "head")
    assert f'id="deal-{mine}"' in head_html and f'id="deal-{theirs}"' in head_html
    _, other_board = await page(running, "/deals?pipeline=main", "head")
    assert f'id="deal-{mine}"' not in other_board


async def test_moves_follow_the_rules_and_happen_once(running: Running) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])

    skipped = await move(running, deal_id, "ivanova", stage="contract")
    assert not skipped["ok"] and skipped["rule"] == "stage_order"
    assert skipped["message"] == "Этапы идут по порядку: сначала «Предложение»."
    await finish_tasks(running, deal_id)
    unplanned = await move(running, deal_id, "ivanova", stage="proposal")
    assert unplanned["rule"] == "next_activity_required" and unplanned["fill"] == ["task"]
    assert "запланируйте следующее действие" in unplanned["message"]
    assert (await deal(running, deal_id))["stage"] == "qualification"

    planned = {"task_title": "Позвонить", "task_due": "2099-01-01"}
    moved = await move(running, deal_id, "ivanova", stage="proposal", **planned)
    assert moved["ok"] and "«Предложение»" in moved["message"]
    assert f'id="deal-{deal_id}"' in moved["board"]
    again = await move(running, deal_id, "ivanova", stage="proposal", **planned)
    assert not again["ok"] and again["message"] == "Сделка уже на этом этапе."
    after = await deal(running, deal_id)
    assert [v["stage"] for v in after["stage_history"]] == ["qualification", "proposal"]
    assert len(after["tasks"]) == 2  # the conversion's and one planned here, not two

    no_amount = await move(running, deal_id, "ivanova", stage="contract")
    assert no_amount["fill"] == ["amount"] and "Сумма" in no_amount["message"]
    filled = await move(running, deal_id, "ivanova", stage="contract", amount="150 000")
    assert filled["ok"] and "150\u00a0000\u00a0₽" in filled["board"]
    assert (await deal(running, deal_id))["amount"] == "150000.00"


async def test_lost_asks_the_reason_and_the_head_approves(running: Running) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    no_reason = await move(running, deal_id, "ivanova", stage="lost")
    assert no_reason["fill"] == ["reason"] and "причину" in no_reason["message"]
    asked = await move(running, deal_id, "ivanova", stage="lost", reason="Дорого")
    assert asked["ok"] and "руководителю" in asked["message"]
    assert (await deal(running, deal_id))["status"] == "open"
    _, head_html = await page(running, "/deals?pipeline=wholesale", "head")
    assert f'action="/deals/{deal_id}/lost/approve"' in head_html
    async with running.client.post(
        f"/deals/{deal_id}/lost/approve", headers=running.auth("head"), allow_redirects=False
    ) as response:
        assert response.status == 303
    closed = await deal(running, deal_id)
    assert closed["status"] == "lost" and closed["lost_reason"] == "Дорого"
    _, html = await page(running, "/deals?pipeline=wholesale", "head")
    assert f'id="deal-{deal_id}"' not in html


async def test_another_managers_deal_is_not_found(running: Running) -> None:
    held = await two_leads(running)
    theirs = await deal_of(running, held["petrov"])
    status, html = await page(running, f"/deals/{theirs}", "ivanova")
    assert status == 404 and "Не найдено" in html
    refused = await move(running, theirs, "ivanova", stage="proposal")
    assert not refused["ok"] and refused["message"] == "Сделка не найдена или недоступна вам."
    assert (await deal(running, theirs))["stage"] == "qualification"
    status, card = await page(running, f"/deals/{theirs}", "petrov")
    assert status == 200
    assert "Квалификация" in card and "Предложение" in card and "Связаться с клиентом" in card


async def test_a_board_of_500_deals_stays_light(running: Running) -> None:
    storage = running.services.storage
    now = utcnow()
    async with storage.transaction() as uow:
        managers = {m.login: m for m in await uow.managers.list()}
        owners = [managers["ivanova"].id, managers["petrov"].id]
        stages = ["qualification", "proposal", "contract"]
        for n in range(500):
            stored = await uow.sales.add_deal(
                NewDeal(
                    f"Поставка оборудования №{n}",
                    "wholesale",
                    stages[n % 3],
                    Decimal(150000 + n),
                    "RUB",
                    [],
                    None,
                    {},
                    None,
                    None,
                    None,
                    owners[n % 2],
                ),
                "head",
                now,
            )
            due = now + timedelta(hours=(n % 3 - 1) * 30)
            task = NewTask(
                RecordKind.DEAL, stored.id, "call", "Позвонить", due, owners[n % 2], "head"
            )
            await uow.sales.add_tasks([task], now)
    status, html = await page(running, "/deals?pipeline=wholesale", "head")
    assert status == 200 and html.count('class="deal h-') == 500
    assert 'class="deal h-red"' in html and 'class="deal h-green"' in html
    assert len(html.encode()) <= 400 * 1024, len(html.encode())
    _, mine = await page(running, "/deals?pipeline=wholesale", "ivanova")
    assert mine.count('class="deal h-') == 250


async def test_a_move_with_a_forged_csrf_token_changes_nothing(running: Running) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    await set_password(running.services.storage, "ivanova", "пароль-ивановой", utcnow())
    async with running.client.get("/login") as r:
        form_token = TOKEN_FIELD.search(await r.text())
    assert form_token
    login = {"login": "ivanova", "password": "пароль-ивановой", "csrf_token": form_token[1]}
    async with running.client.post("/login", data=login, allow_redirects=False) as r:
        assert r.status == 303
    async with running.client.get("/deals?pipeline=wholesale") as r:
        token = CSRF_META.search(await r.text())
    assert token and f'id="deal-{deal_id}"' in await r.text()
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        async with running.client.post(
            f"/deals/{deal_id}/move", data={"stage": "proposal"}, headers=headers
        ) as r:
            assert r.status == 403 and "Ничего не изменено" in await r.text()
    assert (await deal(running, deal_id))["stage"] == "qualification"
    async with running.client.post(
        f"/deals/{deal_id}/move", data={"stage": "proposal"}, headers={"X-CSRF-Token": token[1]}
    ) as r:
        assert (await r.json())["ok"]
    assert (await deal(running, deal_id))["stage"] == "proposal"


async def test_the_deal_card_moves_with_a_plain_form(running: Running) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    status, card = await page(running, f"/deals/{deal_id}", "ivanova")
    assert status == 200 and '<option value="proposal" selected>' in card
    headers = running.auth("ivanova")
    form = {"stage": "won", "view": "card"}
    async with running.client.post(f"/deals/{deal_id}/move", data=form, headers=headers) as r:
        assert (
            r.status == 200 and "Этапы идут по порядку: сначала «Предложение»." in await r.text()
        )
    form = {"stage": "proposal", "view": "card"}
    async with running.client.post(
        f"/deals/{deal_id}/move", data=form, headers=headers, allow_redirects=False
    ) as r:
        assert r.status == 303 and r.headers["Location"] == f"/deals/{deal_id}"
    _, card = await page(running, f"/deals/{deal_id}", "ivanova")
    assert 'aria-current="step"><span>Предложение' in card


async def test_a_stale_board_is_shown_again_as_it_is(running: Running) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    moved = {"stage": "proposal"}
    await api(running, "POST", f"/api/v1/deals/{deal_id}/stage", "ivanova", moved)
    stale = await move(running, deal_id, "ivanova", stage="proposal")  # from an old page
    assert not stale["ok"] and stale["message"] == "Сделка уже на этом этапе."
    proposal = stale["board"].split('data-stage="proposal"')[2].split("</section>")[0]
    assert f'id="deal-{deal_id}"' in proposal
    plain = await move(running, deal_id, "ivanova", stage="contract")
    assert "board" not in plain  # a rule's refusal: the card just goes back
    history = (await deal(running, deal_id))["stage_history"]
    assert [v["stage"] for v in history] == ["qualification", "proposal"]


async def test_notes_and_tasks_from_the_deal_card(running: Running) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"])
    headers = running.auth("ivanova")
    base = f"/deals/{deal_id}"
    for path, form in (
        (f"{base}/notes", {"text": "Клиент просит скидку"}),
        (f"{base}/tasks", {"title": "Отправить КП", "due_at": "2099-01-01T10:00"}),
    ):
        async with running.client.post(
            path, data=form, headers=headers, allow_redirects=False
        ) as r:
            assert r.status == 303 and r.headers["Location"] == base
    async with running.client.post(
        f"{base}/tasks", data={"title": "Без срока"}, headers=headers
    ) as r:
        assert r.status == 200 and "Укажите срок задачи" in await r.text()
    after = await deal(running, deal_id)
    assert [a["text"] for a in after["activities"]] == ["Клиент просит скидку"]
    task = next(t for t in after["tasks"] if t["title"] == "Отправить КП")
    assert [t["title"] for t in after["tasks"]].count("Без срока") == 0
    async with running.client.post(
        f"{base}/tasks/{task['id']}/done", headers=headers, allow_redirects=False
    ) as r:
        assert r.status == 303
    done = next(t for t in (await deal(running, deal_id))["tasks"] if t["id"] == task["id"])
    assert done["done"]
    _, card = await page(running, base, "ivanova")
    assert "Клиент просит скидку" in card and "Отправить КП" in card
    status, _ = await page(running, base, "petrov")
    assert status == 404
    async with running.client.post(
        f"{base}/notes", data={"text": "чужая"}, headers=running.auth("petrov")
    ) as r:
        assert r.status == 404 and "Не найдено" in await r.text()
