"""Настройки → Менеджеры over HTTP: adding a manager with an invite link or a first password,
the invite link's one use and expiry, edits refused with the checker's reason or as stale,
deactivation with a hand-over, API tokens issued and revoked, heads only."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, CookieJar, DummyCookieJar

from crm_core.invites import INVITE_TTL
from intake.auth import create_token
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_tokens import status_of
from tests.e2e.test_workplace import page, submit
from workplace.auth.invites import invite_link
from workplace.pages.flash import FLASH_COOKIE

PAGE = "/settings/managers"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r"<code data-secret>([^<]+)</code>")
NEW_PASSWORD = "новый-пароль-сидорова"


async def post(running: Running, path: str, as_: str = "head", **form: str) -> tuple[int, str]:
    """A form posted as a login (a bearer token needs no CSRF token); status and page."""
    async with running.client.post(
        path, data=form, headers=running.auth(as_), allow_redirects=False
    ) as r:
        return r.status, await r.text()


async def post_and_follow(
    running: Running, path: str, as_: str = "head", **form: str
) -> tuple[int, str]:
    """A form that issues something, posted as a login: it answers 303 (Post/Redirect/Get)
    and the page it leads to shows what was issued; the status of the post and that page."""
    async with running.client.post(
        path, data=form, headers=running.auth(as_), allow_redirects=False
    ) as r:
        if r.status != 303:
            return r.status, await r.text()
        target = r.headers["Location"]
    async with running.client.get(target, headers=running.auth(as_)) as r:
        assert r.status == 200
        return 303, await r.text()


def secret_of(page_html: str) -> str:
    """The value shown once on a page (an invite link, a password, a token)."""
    found = SECRET.search(page_html)
    assert found, page_html
    return html.unescape(found.group(1))


def new_manager(**changes: str) -> dict[str, str]:
    """The «Добавить менеджера» form: Сидоров, weekdays 09:00-18:00, by invite."""
    form = {
        "login": "sidorov",
        "name": "Сидор Сидоров",
        "role": "manager",
        "email": "sidorov@example.ru",
        "timezone": "Asia/Yekaterinburg",
        "hours": "schedule",
        "access": "invite",
    }
    form |= {f"day{i}": "09:00-18:00" for i in range(5)} | {"day5": "", "day6": ""}
    return form | changes


async def api_manager(running: Running, login: str) -> dict[str, Any]:
    async with running.client.get(
        f"/api/v1/settings/managers/{login}", headers=running.auth("head")
    ) as r:
        assert r.status == 200
        body: dict[str, Any] = await r.json()
        return body


def browser(base: str) -> ClientSession:
    """A client keeping cookies like a browser (also those of 127.0.0.1)."""
    return ClientSession(base, cookie_jar=CookieJar(unsafe=True))


async def open_invite(base: str, path: str) -> tuple[int, str, ClientSession]:
    """The invite page in a fresh browser-like session (no bearer token, no session)."""
    session = browser(base)
    async with session.get(path) as r:
        return r.status, await r.text(), session


async def set_password_by_link(
    running: Running, path: str, password: str = NEW_PASSWORD, repeat: str | None = None
) -> tuple[int, str]:
    base = str(running.client.make_url("/"))
    status, text, session = await open_invite(base, path)
    try:
        if status != 200:
            return status, text
        token = TOKEN_FIELD.search(text)
        assert token
        data = {"csrf_token": token.group(1), "password": password, "repeat": repeat or password}
        async with session.post(path, data=data) as r:
            return r.status, await r.text()
    finally:
        await session.close()


async def sign_in(running: Running, login: str, password: str) -> int:
    """Sign in through /login in a fresh session; the answer's status (303: signed in)."""
    async with browser(str(running.client.make_url("/"))) as session:
        async with session.get("/login") as r:
            token = TOKEN_FIELD.search(await r.text())
        assert token
        data = {"login": login, "password": password, "csrf_token": token.group(1), "next": "/"}
        async with session.post("/login", data=data, allow_redirects=False) as r:
            return r.status


async def test_an_invited_manager_sets_a_password_once_and_signs_in(
    any_db_service: Running,
) -> None:
    running = any_db_service
    status, text = await post_and_follow(running, PAGE, **new_manager())
    assert status == 303, text
    assert "Менеджер «Сидор Сидоров» добавлен." in text
    link = secret_of(text)
    # Shown once: the list again (a refresh) shows no link and adds nobody.
    _, again = await page(running, PAGE, "head")
    assert link not in again and "добавлен" not in again
    assert link.startswith(running.services.settings.http.public_url + "/invite/")
    path = urlsplit(link).path
    stored = await api_manager(running, "sidorov")
    assert stored["working_hours"] == {"mon-fri": "09:00-18:00"}
    assert stored["timezone"] == "Asia/Yekaterinburg" and stored["updated_by"] == "head"
    # The manager's page shows the hours as stored, so saving the profile keeps them.
    _, card = await page(running, f"{PAGE}/sidorov", "head")
    assert card.count('value="09:00-18:00"') == 5 and 'name="day5" value=""' in card
    # Only the link's hash is kept.
    token = path.rsplit("/", 1)[-1]
    async with running.services.storage.reader() as uow:
        found = await uow.credentials.for_login("sidorov")
    assert found is not None and found[1] is None
    # A mistyped repeat or a short password uses nothing up.
    status, text = await set_password_by_link(running, path, repeat="другой-пароль-1")
    assert status == 422 and "Пароли не совпадают" in text
    status, text = await set_password_by_link(running, path, password="short")
    assert status == 422 and "Пароль слишком короткий" in text
    status, text = await set_password_by_link(running, path)
    assert status == 200 and "Пароль задан" in text and "sidorov" in text
    assert await sign_in(running, "sidorov", NEW_PASSWORD) == 303
    # Used once: the link opens nothing any more, and cannot set another password.
    status, text = await set_password_by_link(running, path, password="чужой-пароль-123")
    assert status == 410 and "уже задан" in text
    async with browser(str(running.client.make_url("/"))) as session:
        async with session.post(path, data={"password": "x" * 10, "repeat": "x" * 10}) as r:
            assert r.status == 410
    assert await sign_in(running, "sidorov", "чужой-пароль-123") == 401
    assert await sign_in(running, "sidorov", NEW_PASSWORD) == 303
    assert token not in str(await api_manager(running, "sidorov"))
    _, listing = await page(running, PAGE, "head")
    assert 'data-login="sidorov"' in listing and "пароль задан" in listing


async def test_an_expired_or_replaced_invite_is_refused(any_db_service: Running) -> None:
    running = any_db_service
    storage = running.services.storage
    url = running.services.settings.http.public_url
    old = await invite_link(storage, url, "petrov", "head", utcnow() - INVITE_TTL - timedelta(1))
    status, text = await set_password_by_link(running, urlsplit(old).path)
    assert status == 410 and "Срок действия ссылки истёк" in text
    first = await invite_link(storage, url, "petrov", "head", utcnow())
    second = await invite_link(storage, url, "petrov", "head", utcnow())
    status, text = await set_password_by_link(running, urlsplit(first).path)
    assert status == 410 and "Ссылка недействительна" in text  # replaced by the newer one
    status, _ = await set_password_by_link(running, "/invite/not-a-real-token")
    assert status == 410
    async with storage.reader() as uow:
        found = await uow.credentials.for_login("petrov")
    assert found is not None and found[1] is None  # no link set a password
    status, _ = await set_password_by_link(running, urlsplit(second).path)
    assert status == 200
    assert await sign_in(running, "petrov", NEW_PASSWORD) == 303


async def test_a_first_password_is_shown_once_and_signs_in(service: Running) -> None:
    status, text = await post_and_follow(
        service, PAGE, **new_manager(access="password", hours="always")
    )
    assert status == 303
    password = secret_of(text)
    assert len(password) >= 16
    assert await sign_in(service, "sidorov", password) == 303
    assert (await api_manager(service, "sidorov"))["working_hours"] is None
    _, again = await page(service, PAGE, "head")
    assert password not in again


async def test_a_refused_manager_shows_the_checker_reason_next_to_the_field(
    any_db_service: Running,
) -> None:
    running = any_db_service
    status, text = await post(running, PAGE, **new_manager(login="Bad Login"))
    assert status == 422
    assert 'id="error-login"' in text
    assert "Только строчные латинские буквы, цифры" in html.unescape(text)
    assert 'value="Сидор Сидоров"' in text  # what was typed stays
    status, text = await post(running, PAGE, **new_manager(day0="9-18"))
    assert status == 422 and 'id="error-working_hours"' in text
    assert "не в формате ЧЧ:ММ-ЧЧ:ММ" in html.unescape(text)
    status, text = await post(running, PAGE, **new_manager(timezone="Mars/Base"))
    assert status == 422 and "Неизвестный часовой пояс" in html.unescape(text)
    status, text = await post(running, PAGE, **new_manager(login="petrov"))
    assert status == 409 and "Логин «petrov» уже занят." in html.unescape(text)
    async with running.client.get("/api/v1/settings/managers", headers=running.auth()) as r:
        logins = [m["login"] for m in (await r.json())["items"]]
    assert logins == ["head", "ivanova", "petrov"]


async def test_a_stale_edit_is_refused_as_changed_by_someone_else(any_db_service: Running) -> None:
    running = any_db_service
    form = {
        "version": "1",
        "name": "Пётр Петрович",
        "role": "manager",
        "timezone": "Europe/Moscow",
        "hours": "always",
        "telegram_chat_id": "700100",
    }
    status, text = await post(running, f"{PAGE}/petrov", **form)
    assert status == 200 and "Изменения сохранены." in text
    petrov = await api_manager(running, "petrov")
    assert petrov["name"] == "Пётр Петрович" and petrov["telegram_chat_id"] == "700100"
    status, text = await post(running, f"{PAGE}/petrov", **(form | {"name": "Другое имя"}))
    assert status == 409 and "изменено другим пользователем" in text
    status, text = await post(
        running,
        f"{PAGE}/petrov/absences",
        version="1",
        kind="vacation",
        **{"from": "2027-01-01", "to": "2027-01-05"},
    )
    assert status == 409 and "изменено другим пользователем" in text
    assert (await api_manager(running, "petrov"))["name"] == "Пётр Петрович"


async def test_a_vacation_is_added_shown_in_the_calendar_and_removed(
    any_db_service: Running,
) -> None:
    running = any_db_service
    fields = {"from": "2027-01-04", "to": "2027-01-08"}
    status, text = await post(
        running, f"{PAGE}/ivanova/absences", version="1", kind="vacation", note="Сочи", **fields
    )
    assert status == 200, text
    assert "Отсутствие добавлено." in text
    [absence] = (await api_manager(running, "ivanova"))["absences"]
    assert absence == {
        "from": "2027-01-04T00:00:00+03:00",
        "to": "2027-01-09T00:00:00+03:00",
        "note": "Отпуск: Сочи",
    }
    status, text = await page(running, f"{PAGE}/ivanova?month=2027-01", "head")
    assert status == 200
    marked = re.findall(r'data-day="(2027-01-\d\d)" class="absent', text)
    assert marked == [f"2027-01-0{d}" for d in range(4, 9)]
    status, text = await post(
        running,
        f"{PAGE}/ivanova/absences",
        version="2",
        kind="sick",
        **{"from": "2027-02-03", "to": "2027-02-01"},
    )
    assert status == 422 and 'id="error-to"' in text
    assert "Окончание должно быть не раньше начала." in text
    status, text = await post(
        running,
        f"{PAGE}/ivanova/absences/remove",
        version="2",
        index="0",
        **{"from": "2027-01-04T00:00:00+03:00"},
    )
    assert status == 200 and "Отсутствие удалено." in text
    assert (await api_manager(running, "ivanova"))["absences"] == []


async def test_deactivating_hands_the_open_leads_to_the_chosen_manager(
    any_db_service: Running,
) -> None:
    running = any_db_service
    leads = [await submit(running, name=f"Клиент {n}", phone=f"+7916444000{n}") for n in range(3)]
    held = [lead["id"] for lead in leads if lead["assignee"] == "ivanova"]
    assert held, "the queue gave ivanova none of the leads"
    status, text = await post(running, f"{PAGE}/ivanova/deactivate", hand_over_to="nobody")
    assert status == 404 and 'id="error-hand_over_to"' in text
    assert (await api_manager(running, "ivanova"))["active"] is True
    status, text = await post(running, f"{PAGE}/ivanova/deactivate", hand_over_to="head")
    assert status == 200, text
    assert f"Передано менеджеру Ольга Руководитель: заявок {len(held)}, сделок 0." in text
    assert "Вернуть в работу" in text
    for lead_id in held:
        assert (await running.lead(lead_id))["assignee"] == "head"
    status, text = await post(running, f"{PAGE}/ivanova/activate", version="2")
    assert status == 200 and "Менеджер снова в работе." in text
    assert (await api_manager(running, "ivanova"))["active"] is True


async def test_deactivating_by_the_queue_rules_leaves_no_lead_without_an_owner(
    any_db_service: Running,
) -> None:
    running = any_db_service
    leads = [await submit(running, name=f"Клиент {n}", phone=f"+7916333000{n}") for n in range(4)]
    held = [lead["id"] for lead in leads if lead["assignee"] == "petrov"]
    assert held, "the queue gave petrov none of the leads"
    status, text = await post(running, f"{PAGE}/petrov/deactivate", hand_over_to="")
    assert status == 200, text
    assert f"Передано по правилам очередей: заявок {len(held)}, сделок 0." in text
    for lead in leads:
        assert (await running.lead(lead["id"]))["assignee"] == "ivanova"
    _, listing = await page(running, PAGE, "head")
    assert "неактивен" in listing[listing.index('data-login="petrov"') :]


async def test_the_head_issues_and_revokes_a_manager_token_with_its_last_use(
    any_db_service: Running,
) -> None:
    running = any_db_service
    status, text = await post(running, f"{PAGE}/petrov/tokens", token_name="")
    assert status == 422 and 'id="error-token_name"' in text
    status, text = await post_and_follow(
        running, f"{PAGE}/petrov/tokens", token_name="интеграция с 1С"
    )
    assert status == 303 and "Токен выпущен." in text
    token = secret_of(text)
    assert await status_of(running, token) == 200
    _, text = await page(running, f"{PAGE}/petrov", "head")
    assert token not in text and "data-secret" not in text  # shown once
    row = text[text.index("интеграция с 1С") :]
    row = row[: row.index("</tr>")]
    assert "не использовался" not in row and "Отозвать" in row
    token_id = re.search(r'data-token-id="(\d+)"', text)
    assert token_id
    status, text = await post(running, f"{PAGE}/petrov/tokens/{token_id.group(1)}/revoke")
    assert status == 200 and "Токен отозван." in text
    assert await status_of(running, token) == 401
    status, _ = await post(running, f"{PAGE}/ivanova/tokens/{token_id.group(1)}/revoke")
    assert status == 404


async def test_a_manager_gets_403_and_changes_nothing(service: Running) -> None:
    for path in (PAGE, f"{PAGE}/petrov"):
        status, text = await page(service, path, "ivanova")
        assert status == 403 and "Недостаточно прав" in text
    status, _ = await post(service, PAGE, "ivanova", **new_manager())
    assert status == 403
    status, _ = await post(service, f"{PAGE}/petrov/tokens", "ivanova", token_name="мой")
    assert status == 403
    async with service.client.get("/api/v1/settings/managers", headers=service.auth()) as r:
        assert "sidorov" not in await r.text()


async def test_a_signed_in_head_posts_with_the_csrf_token_only(service: Running) -> None:
    from workplace.auth.service import set_password

    await set_password(service.services.storage, "head", NEW_PASSWORD, utcnow())
    base = str(service.client.make_url("/"))
    async with browser(base) as session:
        async with session.get("/login") as r:
            token = TOKEN_FIELD.search(await r.text())
        assert token
        data = {"login": "head", "password": NEW_PASSWORD, "csrf_token": token.group(1)}
        async with session.post("/login", data=data) as r:
            assert r.status == 200
        async with session.get(PAGE) as r:
            page_token = TOKEN_FIELD.search(await r.text())
        assert page_token
        async with session.post(PAGE, data=new_manager()) as r:
            assert r.status == 403
        async with session.post(PAGE, data=new_manager(csrf_token=page_token.group(1))) as r:
            # Redirected to the list, which shows the invite link this once.
            assert r.status == 200 and r.history[0].status == 303
            link = secret_of(await r.text())
        async with session.get(PAGE) as r:
            assert link not in await r.text()


async def test_the_issued_token_is_shown_only_to_the_sign_in_that_issued_it(
    service: Running,
) -> None:
    running = service
    form, head_auth = {"token_name": "интеграция с 1С"}, running.auth("head")
    issued = await running.client.post(
        f"{PAGE}/petrov/tokens", data=form, headers=head_auth, allow_redirects=False
    )
    issued.release()
    assert issued.status == 303 and issued.headers["Location"] == f"{PAGE}/petrov"
    flash = issued.cookies[FLASH_COOKIE]
    assert flash["path"] == "/settings" and flash["httponly"] and flash["max-age"] == "120"
    raw, _, signature = flash.value.partition(".")
    another_head_token = await create_token(running.services.storage, "head")
    base = str(running.client.make_url("/"))

    async def shown(cookie: str, token: str) -> bool:
        async with ClientSession(base, cookie_jar=DummyCookieJar()) as session:
            headers = {"Authorization": f"Bearer {token}", "Cookie": f"{FLASH_COOKIE}={cookie}"}
            async with session.get(f"{PAGE}/petrov", headers=headers) as r:
                assert r.status == 200
                return "data-secret" in await r.text()

    head = head_auth["Authorization"].removeprefix("Bearer ")
    forged = base64.urlsafe_b64encode(
        json.dumps({"path": f"{PAGE}/petrov", "notice": "", "value": "li_fake"}).encode()
    ).decode()
    assert not await shown(f"{forged}.{signature}", head)  # altered: not signed by us
    assert not await shown(flash.value, another_head_token)  # another sign-in's cookie
    assert await shown(f"{raw}.{signature}", head)
