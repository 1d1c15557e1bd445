"""The workplace pages over HTTP: who sees which lead, and actions that change state once."""

from __future__ import annotations

from typing import Any

from yarl import URL

from crm_core.contacts import add_contacts, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.e2e.conftest import Running

FORM_URL = "/api/v1/forms/site"


async def submit(running: Running, **fields: str) -> dict[str, Any]:
    """Post a form over HTTP and wait for its lead (as the API shows it)."""
    async with running.client.post(FORM_URL, json=fields) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]
    return await running.wait_for_matched(intake_id)


async def page(running: Running, path: str, login: str) -> tuple[int, str]:
    """GET a page as a login."""
    async with running.client.get(path, headers=running.auth(login), allow_redirects=False) as r:
        return r.status, await r.text()


async def act(running: Running, path: str, login: str, **form: str) -> str:
    """POST a workplace action the way htmx does (form-encoded); it always answers HTML 200."""
    headers = {**running.auth(login), "HX-Request": "true"}
    async with running.client.post(path, data=form, headers=headers) as r:
        assert r.status == 200, await r.text()
        assert r.content_type == "text/html"
        return await r.text()


async def two_leads(running: Running) -> dict[str, dict[str, Any]]:
    """Leads until ivanova and petrov hold one each; by login."""
    held: dict[str, dict[str, Any]] = {}
    for n in range(6):
        lead = await submit(running, name=f"Клиент {n}", phone=f"+7916000001{n}", comment=f"№{n}")
        held.setdefault(lead["assignee"], lead)
        if {"ivanova", "petrov"} <= held.keys():
            return held
    raise AssertionError(f"the queue gave leads to {sorted(held)} only")


async def test_triage_shows_each_viewer_their_new_leads(any_db_service: Running) -> None:
    running = any_db_service
    held = await two_leads(running)
    mine, theirs = held["ivanova"], held["petrov"]
    status, html = await page(running, "/", "ivanova")
    assert status == 200
    assert f'id="lead-{mine["id"]}"' in html and f'id="lead-{theirs["id"]}"' not in html
    for label in ("Входящие", "Сделки", "Мои задачи", "Клиенты", "Отчёты", "Анна Иванова"):
        assert label in html
    assert "Взять в работу" in html and 'name="csrf-token"' in html
    _, head_html = await page(running, "/", "head")
    assert f'id="lead-{mine["id"]}"' in head_html and f'id="lead-{theirs["id"]}"' in head_html
    status, html = await page(running, "/reports", "ivanova")
    assert status == 200 and "Воронка продаж" in html and "Качество заявок" in html
    status, html = await page(running, "/clients", "ivanova")
    assert status == 200 and 'name="q"' in html


async def test_a_page_without_sign_in_sends_to_the_login(service: Running) -> None:
    async with service.client.get("/leads/1?x=1", allow_redirects=False) as r:
        assert r.status == 302
        location = URL(r.headers["Location"])
    assert location.path == "/login" and location.query["next"] == "/leads/1?x=1"


async def test_another_managers_lead_is_not_found(any_db_service: Running) -> None:
    running = any_db_service
    held = await two_leads(running)
    theirs = held["petrov"]["id"]
    status, html = await page(running, f"/leads/{theirs}", "ivanova")
    assert status == 404 and "Не найдено" in html and "Клиент" not in html.split("<main")[1]
    status, html = await page(running, f"/leads/{theirs}", "petrov")
    assert status == 200 and f"Заявка №{theirs}" in html
    status, _ = await page(running, "/leads/999999", "head")
    assert status == 404
    status, _ = await page(running, "/leads/abc", "head")
    assert status == 404


async def test_take_changes_the_lead_exactly_once(any_db_service: Running) -> None:
    running = any_db_service
    lead = (await two_leads(running))["ivanova"]
    path = f"/leads/{lead['id']}/take"
    first = await act(running, path, "ivanova", view="row")
    assert "Заявка взята в работу." in first and "Взять в работу" not in first
    second = await act(running, path, "ivanova", view="row")
    assert "Заявка уже у вас в работе." in second
    after = await running.lead(lead["id"])
    assert after["status"] == "in_work" and after["assignee"] == "ivanova"
    async with running.client.get(
        f"/api/v1/leads/{lead['id']}/assignments", headers=running.auth()
    ) as r:
        assert len((await r.json())["items"]) == 1  # the queue's; taking one's own adds none
    taken_by_other = await act(running, path, "petrov", view="row")
    assert "Заявка не найдена или недоступна вам." in taken_by_other
    _, html = await page(running, "/", "ivanova")
    assert f'id="lead-{lead["id"]}"' not in html
    _, card = await page(running, f"/leads/{lead['id']}", "ivanova")
    # Taken once: one entry in the timeline, saying who took it.
    assert card.count("Взята в работу") == 1
    assert "Изменение" in card


async def test_junk_needs_a_reason_and_closes_the_lead(any_db_service: Running) -> None:
    running = any_db_service
    lead = (await two_leads(running))["petrov"]
    path = f"/leads/{lead['id']}/junk"
    refused = await act(running, path, "petrov", view="row")
    assert "Выберите причину брака." in refused and 'class="notice error"' in refused
    assert (await running.lead(lead["id"]))["status"] == "new"
    reason = next(iter(running.services.sales.junk_reasons))
    done = await act(running, path, "petrov", view="row", reason=reason)
    assert "Заявка закрыта как брак" in done
    after = await running.lead(lead["id"])
    assert after["status"] == "junk" and after["junk_reason"] == reason
    card = await act(running, path, "petrov", view="card", reason=reason)
    assert 'id="card"' in card and "Брак" in card


async def test_a_forbidden_reassign_is_a_russian_message(any_db_service: Running) -> None:
    running = any_db_service
    held = await two_leads(running)
    theirs = held["petrov"]
    html = await act(
        running, f"/leads/{theirs['id']}/reassign", "ivanova", view="row", manager="ivanova"
    )
    assert "Заявка не найдена или недоступна вам." in html
    assert (await running.lead(theirs["id"]))["assignee"] == "petrov"
    unknown = await act(
        running, f"/leads/{theirs['id']}/reassign", "head", view="row", manager="nobody"
    )
    assert "Проверьте введённые данные." in unknown
    done = await act(
        running, f"/leads/{theirs['id']}/reassign", "head", view="card", manager="ivanova"
    )
    assert "Заявка передана: Анна Иванова." in done
    assert (await running.lead(theirs["id"]))["assignee"] == "ivanova"


async def test_the_card_explains_a_duplicate_and_confirms_it(any_db_service: Running) -> None:
    running = any_db_service
    async with running.services.storage.transaction() as uow:
        [olga] = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(name="Щукина Ольга Петровна", phones=("+74951112233",)), "RU"
                )
            ],
            utcnow(),
        )
    lead = await submit(running, name="Olga Shchukina", phone="+7 903 777-66-55")
    assert lead["duplicate_check"]["decision"] == "review"
    status, html = await page(running, f"/leads/{lead['id']}", "head")
    assert status == 200
    for text in (
        "Возможный дубль",
        "Это он",
        "Это другой человек",
        "У клиента",
        "Щукина Ольга Петровна",
    ):
        assert text in html
    done = await act(
        running, f"/leads/{lead['id']}/match/confirm", "head", view="card", contact_id=str(olga)
    )
    assert "Заявка привязана к клиенту." in done and "Это он" not in done
    assert (await running.lead(lead["id"]))["contact_id"] == olga
    again = await act(
        running, f"/leads/{lead['id']}/match/confirm", "head", view="card", contact_id=str(olga)
    )
    assert 'class="notice' in again


async def test_a_plain_form_post_acts_and_returns_to_the_page(service: Running) -> None:
    lead = (await two_leads(service))["ivanova"]
    async with service.client.post(
        f"/leads/{lead['id']}/take",
        data={"view": "card"},
        headers=service.auth("ivanova"),
        allow_redirects=False,
    ) as r:
        assert r.status == 303 and r.headers["Location"] == f"/leads/{lead['id']}"
    assert (await service.lead(lead["id"]))["status"] == "in_work"


async def test_what_a_client_typed_is_escaped_on_every_page(service: Running) -> None:
    lead = await submit(
        service, name="<script>alert(1)</script>", phone="+79160000099", comment="<b>жирный</b>"
    )
    for path in ("/", f"/leads/{lead['id']}"):
        _, html = await page(service, path, "head")
        assert "<script>alert(1)</script>" not in html and "<b>жирный</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
