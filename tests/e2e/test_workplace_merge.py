"""Объединить контакты in the browser's terms over HTTP: heads only, the field-by-field choice,
CSRF on the form, and the undo that gives both contacts back."""

from __future__ import annotations

import re

from crm_core.model import Contact
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_workplace import page, submit
from tests.e2e.test_workplace_clients import add_client
from workplace.auth.service import set_password

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "пароль-руководителя"


async def contact(running: Running, contact_id: int) -> Contact:
    """A contact as stored."""
    async with running.services.storage.reader() as uow:
        found = await uow.identity.get_contact(contact_id)
    assert found is not None
    return found


async def post(
    running: Running, path: str, login: str | None, **form: str
) -> tuple[int, str, str]:
    """A plain form post (bearer token as `login`, or the client's session cookie with None):
    (status, Location, body)."""
    headers = running.auth(login) if login else {}
    async with running.client.post(path, data=form, headers=headers, allow_redirects=False) as r:
        return r.status, r.headers.get("Location", ""), await r.text()


async def two_clients(running: Running) -> tuple[int, int]:
    """The same person stored twice: a with an e-mail and ivanova's, b with another phone."""
    a = await add_client(running, "Смирнов Олег", "+79031110001", "oleg@smirnov.ru", "ivanova")
    b = await add_client(running, "Олег Смирнов", "+79031110002", owner="ivanova")
    return a, b


async def test_only_a_head_is_offered_the_merge(any_db_service: Running) -> None:
    running = any_db_service
    a, b = await two_clients(running)
    _, card = await page(running, f"/clients/contacts/{a}", "head")
    assert f'href="/clients/contacts/{a}/merge"' in card and "Объединить с…" in card
    status, card = await page(running, f"/clients/contacts/{a}", "ivanova")
    assert status == 200 and "Объединить с…" not in card
    status, html = await page(running, f"/clients/contacts/{a}/merge", "ivanova")
    assert status == 403 and "только руководитель" in html
    status, _, html = await post(
        running, f"/clients/contacts/{a}/merge", "ivanova", merged_id=str(b)
    )
    assert status == 403 and "только руководитель" in html
    assert (await contact(running, b)).merged_into_id is None


async def test_the_head_finds_the_other_contact_and_compares_fields(
    any_db_service: Running,
) -> None:
    running = any_db_service
    a, b = await two_clients(running)
    status, html = await page(running, f"/clients/contacts/{a}/merge?q=8+903+111-00-02", "head")
    assert status == 200 and f'href="/clients/contacts/{a}/merge?with={b}"' in html
    status, html = await page(running, f"/clients/contacts/{a}/merge?with={b}", "head")
    assert status == 200
    name_row = html[
        html.index('data-field="name"') : html.index("</tr>", html.index('data-field="name"'))
    ]
    assert "Смирнов Олег" in name_row and "Олег Смирнов" in name_row
    assert 'name="choice_name" value="survivor" checked' in name_row
    phones = html[
        html.index('data-field="phones"') : html.index("</tr>", html.index('data-field="phones"'))
    ]
    assert "объединятся" in phones and "+7 903 111-00-01, +7 903 111-00-02" in phones
    assert 'data-field="owner"' not in html  # both are ivanova's: nothing to choose
    assert "Объединить</button>" in html


async def test_merge_then_undo_gives_both_contacts_back(any_db_service: Running) -> None:
    running = any_db_service
    a, b = await two_clients(running)
    lead = await submit(running, name="Олег", phone="8 903 111-00-02")
    assert lead["contact_id"] == b
    status, location, _ = await post(
        running, f"/clients/contacts/{a}/merge", "head", merged_id=str(b), choice_name="merged"
    )
    assert status == 303
    merge_id = int(location.rsplit("=", 1)[1])
    assert location == f"/clients/contacts/{a}?merge={merge_id}"
    merged, survivor = await contact(running, b), await contact(running, a)
    assert merged.merged_into_id == a and survivor.name == "Олег Смирнов"
    assert set(survivor.phones) == {"+79031110001", "+79031110002"}
    assert (await running.lead(lead["id"]))["contact_id"] == a
    _, card = await page(running, location, "head")
    assert "Контакты объединены" in card and "Отменить объединение" in card
    assert f'action="/clients/merges/{merge_id}/undo"' in card
    _, card = await page(running, location, "ivanova")
    assert "Отменить объединение" not in card
    status, _, html = await post(running, f"/clients/merges/{merge_id}/undo", "ivanova")
    assert status == 403 and (await contact(running, b)).merged_into_id == a

    status, location, _ = await post(running, f"/clients/merges/{merge_id}/undo", "head")
    assert status == 303 and location == f"/clients/contacts/{a}?undone={merge_id}"
    restored_a, restored_b = await contact(running, a), await contact(running, b)
    assert restored_a.name == "Смирнов Олег" and restored_a.phones == ("+79031110001",)
    assert restored_b.merged_into_id is None and restored_b.phones == ("+79031110002",)
    assert (await running.lead(lead["id"]))["contact_id"] == b
    _, card = await page(running, location, "head")
    assert "Объединение отменено" in card and f'href="/clients/contacts/{b}"' in card
    status, _, html = await post(running, f"/clients/merges/{merge_id}/undo", "head")
    assert status == 409 and "Это объединение уже отменено." in html


async def test_a_merged_away_contact_cannot_be_merged_again(service: Running) -> None:
    a, b = await two_clients(service)
    c = await add_client(service, "Третий Олег", "+79031110003", owner="ivanova")
    status, _, _ = await post(service, f"/clients/contacts/{a}/merge", "head", merged_id=str(b))
    assert status == 303
    status, _, html = await post(service, f"/clients/contacts/{c}/merge", "head", merged_id=str(b))
    assert status == 409 and "уже объединён" in html
    assert (await contact(service, c)).merged_into_id is None
    status, _, html = await post(service, f"/clients/contacts/{a}/merge", "head", merged_id=str(a))
    assert status == 409 and "с самим собой" in html


async def test_the_merge_form_needs_its_csrf_token(service: Running) -> None:
    a, b = await two_clients(service)
    await set_password(service.services.storage, "head", PASSWORD, utcnow())
    async with service.client.get("/login", allow_redirects=False) as r:
        found = TOKEN_FIELD.search(await r.text())
    assert found
    login = {"login": "head", "password": PASSWORD, "csrf_token": found.group(1), "next": ""}
    async with service.client.post("/login", data=login, allow_redirects=False) as r:
        assert r.status == 303
    path = f"/clients/contacts/{a}/merge"
    status, _, html = await post(service, path, None, merged_id=str(b))
    assert status == 403 and "Ничего не изменено" in html
    status, _, _ = await post(service, path, None, merged_id=str(b), csrf_token="forged")
    assert status == 403 and (await contact(service, b)).merged_into_id is None
    async with service.client.get(f"{path}?with={b}", allow_redirects=False) as r:
        assert r.status == 200
        token = TOKEN_FIELD.search(await r.text())
    assert token
    status, _, _ = await post(service, path, None, merged_id=str(b), csrf_token=token.group(1))
    assert status == 303 and (await contact(service, b)).merged_into_id == a
