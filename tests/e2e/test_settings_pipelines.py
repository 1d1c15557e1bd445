"""Pipelines and stages edited by heads, over the API and the Настройки → Воронки page: a
stage holding deals is refused deletion until its deals are moved, a renamed stage keeps its
history and reports, a second head's stale save is refused, colours reach the board."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from tests.e2e.test_settings_documents import put_body
from tests.e2e.test_settings_managers import call
from tests.e2e.test_workplace import page, two_leads
from tests.e2e.test_workplace_deals import deal_of

PIPELINES = "/api/v1/settings/pipelines"
MAIN = f"{PIPELINES}/main"
STALE = "изменено другим пользователем"
# A second head, to edit the same pipeline as the first.
SECOND_HEAD = """
[[managers]]
login = "sokolova"
name = "Мария Соколова"
role = "head"
"""


@pytest.fixture(params=["sqlite", "postgres"])
async def running(
    request: pytest.FixtureRequest, write_config: Callable[[str], Settings], tmp_path: Path
) -> AsyncIterator[Running]:
    """The service with two heads, on each database."""
    async with (
        storage_of_kind(request.param, tmp_path) as storage,
        run_service(write_config(SECOND_HEAD), storage) as service,
    ):
        yield service


async def read(running: Running, path: str = MAIN) -> dict[str, Any]:
    status, body = await call(running, "GET", path)
    assert status == 200, body
    return dict(body)


def with_talks(current: dict[str, Any]) -> list[dict[str, Any]]:
    """The main pipeline's stages with «Переговоры» after the first one."""
    stages = list(current["data"]["stages"])
    return [stages[0], {"key": "talks", "name": "Переговоры", "color": "#3B82F6"}, *stages[1:]]


async def post_form(
    running: Running, path: str, form: dict[str, str], login: str = "head"
) -> tuple[int, str]:
    """POST a page's form (signed in by token, so without the session's CSRF token)."""
    async with running.client.post(
        path, data=form, headers=running.auth(login), allow_redirects=False
    ) as response:
        return response.status, await response.text()


def page_form(html: str, key: str = "main") -> dict[str, str]:
    """The fields of a pipeline's form as the page renders them (text, hidden, selected,
    checked), as a browser would submit them."""
    section = html.split(f'id="pipeline-{key}"')[1].split("</form>")[0]
    form: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", section):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        form[name.group(1)] = value.group(1) if value else ""
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', section, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        form[name] = chosen.group(1) if chosen else ""
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', section, re.S):
        form[name] = text
    return form


async def test_a_stage_holding_deals_is_deleted_only_after_its_deals_are_moved(
    running: Running,
) -> None:
    main = await read(running)
    status, body = await call(
        running,
        "PUT",
        MAIN,
        put_body(
            main,
            stages=with_talks(main),
            lost_requires_approval=True,
            lost_reasons=["Дорого"],
        ),
    )
    assert status == 200, body
    assert body["data"]["stages"][1] == {
        "key": "talks",
        "name": "Переговоры",
        "kind": "open",
        "color": "#3b82f6",
    }
    held = await two_leads(running)
    by_login = {login: await deal_of(running, lead, "main") for login, lead in held.items()}
    deals = sorted(by_login.values())
    # ivanova asks to close hers as lost: a request the head's move must not drop.
    status, asked = await call(
        running,
        "POST",
        f"/api/v1/deals/{by_login['ivanova']}/stage",
        {"stage": "lost", "reason": "Дорого"},
        login="ivanova",
    )
    assert status == 200 and asked["outcome"] == "awaiting_approval", asked
    main = await read(running)
    without_opening = [s for s in main["data"]["stages"] if s["key"] != "opening"]
    status, answer = await call(running, "PUT", MAIN, put_body(main, stages=without_opening))
    assert status == 409, answer
    assert answer["error"] == "stage_has_deals" and answer["field"] == "stages[0]"
    assert "«Первичный контакт»" in answer["message"] and "2 сделки" in answer["message"]
    assert (await read(running))["version"] == main["version"], "a refusal changes nothing"

    move = f"{MAIN}/stages/opening/move-deals"
    status, answer = await call(running, "POST", move, {"to": "talks"}, login="ivanova")
    assert status == 403, answer
    refusals = [
        (move, {"to": "won"}, 422, "to"),
        (move, {"to": "nope"}, 422, "to"),
        (move, {"to": "opening"}, 422, "to"),
        (move, {}, 400, "to"),
        (f"{MAIN}/stages/nope/move-deals", {"to": "talks"}, 404, "stage"),
        (f"{PIPELINES}/nope/stages/opening/move-deals", {"to": "talks"}, 404, "key"),
    ]
    for path, body, expected, field in refusals:
        status, answer = await call(running, "POST", path, body)
        assert (status, answer.get("field")) == (expected, field), (path, body, answer)
    status, answer = await call(running, "POST", move, {"to": "talks"})
    assert status == 200, answer
    assert answer == {"moved": deals, "to": "talks"}
    for deal_id in deals:
        status, deal = await call(running, "GET", f"/api/v1/deals/{deal_id}")
        assert deal["stage"] == "talks" and deal["status"] == "open"
        assert [v["stage"] for v in deal["stage_history"]] == ["opening", "talks"]
    status, deal = await call(running, "GET", f"/api/v1/deals/{by_login['ivanova']}")
    assert deal["pending_lost"]["reason"] == "Дорого"
    async with running.services.storage.reader() as uow:
        audit = await uow.audit.for_entity("settings.pipelines", 0)
        deal_audit = await uow.audit.for_entity("deal", deals[0])
    assert [(a.actor, a.action) for a in audit][-1] == ("head", "move_deals")
    assert audit[-1].after == {"pipeline": "main", "stage": "talks", "deals": deals}
    assert ("head", "move") in [(a.actor, a.action) for a in deal_audit]

    status, body = await call(running, "PUT", MAIN, put_body(main, stages=without_opening))
    assert status == 200, body
    assert [s["key"] for s in body["data"]["stages"]] == ["talks", "won", "lost"]
    # Nor may a stage's kind change under its deals: their status follows it.
    talks, won, lost = body["data"]["stages"]
    status, answer = await call(
        running,
        "PUT",
        MAIN,
        put_body(
            body, stages=[{"key": "new", "name": "Новая"}, won, lost, {**talks, "kind": "lost"}]
        ),
    )
    assert (status, answer["field"]) == (409, "stages[0].kind"), answer
    assert "тип этапа нельзя сменить" in answer["message"]


async def test_lost_deals_move_between_lost_stages_keeping_their_reason_and_date(
    running: Running,
) -> None:
    main = await read(running)
    stages = [*main["data"]["stages"], {"key": "refused", "name": "Отказ", "kind": "lost"}]
    status, body = await call(running, "PUT", MAIN, put_body(main, stages=stages))
    assert status == 200, body
    held = await two_leads(running)
    deal_id = await deal_of(running, held["petrov"], "main")
    status, lost = await call(
        running,
        "POST",
        f"/api/v1/deals/{deal_id}/stage",
        {"stage": "lost", "reason": "Дорого"},
    )
    assert status == 200 and lost["deal"]["status"] == "lost", lost
    status, answer = await call(
        running, "POST", f"{MAIN}/stages/lost/move-deals", {"to": "opening"}
    )
    assert (status, answer["field"]) == (422, "to"), "a lost deal is not reopened this way"
    status, answer = await call(
        running, "POST", f"{MAIN}/stages/lost/move-deals", {"to": "refused"}
    )
    assert status == 200 and answer["moved"] == [deal_id], answer
    status, deal = await call(running, "GET", f"/api/v1/deals/{deal_id}")
    assert (deal["stage"], deal["status"], deal["lost_reason"]) == ("refused", "lost", "Дорого")
    assert deal["closed_at"] == lost["deal"]["closed_at"], "closed when it was lost"
    body = await read(running)
    status, body = await call(
        running,
        "PUT",
        MAIN,
        put_body(body, stages=[s for s in body["data"]["stages"] if s["key"] != "lost"]),
    )
    assert status == 200, body


async def test_a_pipeline_holding_deals_cannot_be_deleted(running: Running) -> None:
    status, body = await call(
        running,
        "POST",
        PIPELINES,
        {
            "key": "wholesale",
            "name": "Опт",
            "stages": [
                {"key": "new", "name": "Новая"},
                {"key": "won", "name": "Успешно", "kind": "won"},
                {"key": "lost", "name": "Провалено", "kind": "lost"},
            ],
        },
    )
    assert status == 201, body
    held = await two_leads(running)
    await deal_of(running, held["ivanova"], "wholesale")
    status, answer = await call(running, "DELETE", f"{PIPELINES}/wholesale")
    assert status == 409 and answer["error"] == "pipeline_has_deals", answer
    assert "«Опт»" in answer["message"] and "1 сделка" in answer["message"]
    assert (await read(running, f"{PIPELINES}/wholesale"))["version"] == 1


async def test_a_renamed_stage_keeps_its_history_and_reports(running: Running) -> None:
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"], "main")
    main = await read(running)
    stages = [
        {**s, "name": "Знакомство", "color": "#f59e0b"} if s["key"] == "opening" else s
        for s in main["data"]["stages"]
    ]
    status, body = await call(running, "PUT", MAIN, put_body(main, stages=stages))
    assert status == 200, body
    status, deal = await call(running, "GET", f"/api/v1/deals/{deal_id}")
    assert [v["stage"] for v in deal["stage_history"]] == ["opening"]
    status, html = await page(running, f"/deals/{deal_id}", "head")
    assert status == 200 and "Знакомство" in html and "Первичный контакт" not in html
    assert 'class="stage-swatch" style="--stage-color: #f59e0b"' in html, "the card's colour"
    status, report = await call(running, "GET", "/api/v1/reports/funnel?pipeline=main")
    assert status == 200, report
    first = report["stages"][0]
    assert (first["key"], first["name"], first["reached"], first["now_in"]) == (
        "opening",
        "Знакомство",
        1,
        1,
    )


async def test_two_heads_editing_one_pipeline_the_second_save_is_refused(
    running: Running,
) -> None:
    main = await read(running)
    status, first = await call(running, "PUT", MAIN, put_body(main, name="Продажи B2B"))
    assert status == 200, first
    status, answer = await call(
        running, "PUT", MAIN, put_body(main, lost_reasons=["Дорого"]), login="sokolova"
    )
    assert (status, answer["field"], answer["message"]) == (409, "version", STALE)
    assert (await read(running))["data"]["name"] == "Продажи B2B", "the first save stands"

    # The same on the page: both heads opened it before the first saved.
    _, html_head = await page(running, "/settings/pipelines", "head")
    _, html_second = await page(running, "/settings/pipelines", "sokolova")
    status, _ = await post_form(
        running,
        "/settings/pipelines/main",
        {**page_form(html_head), "name": "Продажи розница", "action": "save"},
    )
    assert status == 303
    status, html = await post_form(
        running,
        "/settings/pipelines/main",
        {**page_form(html_second), "lost_reasons": "Дорого", "action": "save"},
        login="sokolova",
    )
    assert status == 409 and STALE in html
    stored = await read(running)
    assert stored["data"]["name"] == "Продажи розница" and stored["data"]["lost_reasons"] == []


async def test_the_page_edits_stages_and_refuses_next_to_the_field(running: Running) -> None:
    status, html = await page(running, "/settings/pipelines", "ivanova")
    assert status == 403 and "только руководителю" in html
    status, _ = await post_form(
        running, "/settings/pipelines/main", {"action": "save"}, login="ivanova"
    )
    assert status == 403
    status, html = await page(running, "/settings/pipelines", "head")
    assert status == 200 and "Первичный контакт" in html
    form = page_form(html)
    status, html = await post_form(
        running, "/settings/pipelines/main", {**form, "new-key": "talks", "action": "add"}
    )
    assert status == 422 and "Введите название этапа." in html
    status, _ = await post_form(
        running,
        "/settings/pipelines/main",
        {
            **form,
            "new-name": "Переговоры",
            "new-key": "talks",
            "new-color": "#10B981",
            "action": "add",
        },
    )
    assert status == 303
    stored = await read(running)
    assert [(s["key"], s.get("color")) for s in stored["data"]["stages"]] == [
        ("opening", None),
        ("talks", "#10b981"),
        ("won", None),
        ("lost", None),
    ]
    status, board = await page(running, "/deals?pipeline=main", "head")
    assert 'data-stage="talks" data-name="Переговоры" data-color="#10b981"' in board

    # Reorder, then a colour the checker refuses: the refusal sits in that stage's row.
    _, html = await page(running, "/settings/pipelines", "head")
    status, _ = await post_form(
        running, "/settings/pipelines/main", {**page_form(html), "action": "up:1"}
    )
    assert status == 303
    assert [s["key"] for s in (await read(running))["data"]["stages"]][:2] == ["talks", "opening"]
    _, html = await page(running, "/settings/pipelines", "head")
    form = {
        **page_form(html),
        "stage-1-color": "red",
        "stage-1-task-0-title": "Позвонить",
        "stage-1-task-0-due_in": "1d",
        "action": "save",
    }
    status, html = await post_form(running, "/settings/pipelines/main", form)
    assert status == 422
    row = html.split('data-stage="opening"')[1].split("</li>")[0]
    assert "#rrggbb" in row and 'value="red"' in row, "the error and what was typed stay"
    form["stage-1-color"] = "#F59E0B"
    status, _ = await post_form(running, "/settings/pipelines/main", form)
    assert status == 303
    opening = (await read(running))["data"]["stages"][1]
    assert opening["color"] == "#f59e0b"
    assert opening["tasks"] == [{"title": "Позвонить", "type": "call", "due_in": "1d"}]


async def test_the_page_offers_to_move_a_stages_deals_before_deleting_it(
    running: Running,
) -> None:
    main = await read(running)
    await call(running, "PUT", MAIN, put_body(main, stages=with_talks(main)))
    held = await two_leads(running)
    deal_id = await deal_of(running, held["petrov"], "main")
    _, html = await page(running, "/settings/pipelines", "head")
    assert "1 сделка на этапе" in html
    status, html = await post_form(
        running, "/settings/pipelines/main", {**page_form(html), "action": "delete:0"}
    )
    assert status == 409
    row = html.split('data-stage="opening"')[1].split("</li>")[0]
    assert "перенесите" in row and 'form="move-main-opening"' in row
    status, _ = await post_form(
        running, "/settings/pipelines/main/stages/opening/move-deals", {"to": "talks"}
    )
    assert status == 303
    _, html = await page(running, "/settings/pipelines", "head")
    status, _ = await post_form(
        running, "/settings/pipelines/main", {**page_form(html), "action": "delete:0"}
    )
    assert status == 303
    assert [s["key"] for s in (await read(running))["data"]["stages"]] == ["talks", "won", "lost"]
    status, deal = await call(running, "GET", f"/api/v1/deals/{deal_id}")
    assert deal["stage"] == "talks"
