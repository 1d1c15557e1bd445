"""Настройки → Очереди over HTTP: the head signs in, edits queues with the page's forms (CSRF
token included), sees refusals next to their fields and the routing preview; heads only."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_sales_e2e import submit_lead
from tests.e2e.test_settings_documents import QUEUES, read
from tests.e2e.test_settings_managers import PHONES, call
from tests.e2e.test_workplace import page
from workplace.auth.service import set_password

PAGE = "/settings/queues"
PASSWORD = "пароль-руководителя"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(running: Running, login: str = "head") -> str:
    """Sign in with the login form (a session cookie); the page's CSRF token."""
    await set_password(running.services.storage, login, PASSWORD, utcnow())
    async with running.client.get("/login", allow_redirects=False) as r:
        found = TOKEN_FIELD.search(await r.text())
    assert found
    data = {"login": login, "password": PASSWORD, "csrf_token": found.group(1), "next": ""}
    async with running.client.post("/login", data=data, allow_redirects=False) as r:
        assert r.status == 303, await r.text()
    status, html = await get(running, "/account")
    assert status == 200, html
    token = TOKEN_FIELD.search(html)
    assert token
    return token.group(1)


async def get(running: Running, path: str = PAGE) -> tuple[int, str]:
    async with running.client.get(path, allow_redirects=False) as r:
        return r.status, await r.text()


async def post(running: Running, path: str, data: list[tuple[str, str]]) -> tuple[int, str]:
    async with running.client.post(path, data=data, allow_redirects=False) as r:
        return r.status, await r.text()


def card(html: str, key: str) -> str:
    """The HTML of one queue's card."""
    start = html.index(f'id="queue-{key}"')
    return html[start : html.index("</section>", start)]


def error_at(html: str, field: str) -> str:
    found = re.search(rf'data-field="{field}"[^>]*>([^<]+)<', html)
    assert found, f"no error at {field}"
    return html_lib.unescape(found.group(1))


def form(token: str, version: int, **fields: Any) -> list[tuple[str, str]]:
    data = [("csrf_token", token), ("version", str(version))]
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        data.extend((name.replace("__", "."), str(v)) for v in values)
    return data


async def test_the_head_edits_a_queue_with_the_page_and_the_next_lead_follows(
    any_db_service: Running,
) -> None:
    running = any_db_service
    token = await sign_in(running)
    _, html = await get(running)
    main = card(html, "main")
    assert "1. Входящие" in main and "Анна Иванова" in main and "Пётр Петров" in main
    assert "Следующую заявку получит:" in main
    assert 'name="csrf_token"' in main
    assert "Форма «Сайт»" in html and "Настройки: очереди" in html
    assert 'href="/settings/queues" class="active"' in html
    before = await read(running, f"{QUEUES}/main")
    changed = form(
        token,
        before["version"],
        name="Входящие",
        member="petrov",
        weight__petrov="2",
        capacity__petrov="5",
        fallback="head",
        timeout_minutes="15",
        channel=["telegram", "vk"],
    )
    # Without the session's CSRF token nothing changes.
    status, text = await post(running, f"{PAGE}/main", changed[1:])
    assert status == 403 and "Ничего не изменено" in text
    assert (await read(running, f"{QUEUES}/main"))["version"] == before["version"]
    status, _ = await post(running, f"{PAGE}/main", changed)
    assert status == 303
    after = await read(running, f"{QUEUES}/main")
    assert after["data"] == {
        "key": "main",
        "name": "Входящие",
        "managers": [{"login": "petrov", "weight": 2, "capacity": 5}],
        "fallback": "head",
        "acceptance_timeout": "15m",
        "channels": ["telegram", "vk"],
    }
    assert after["updated_by"] == "head"
    _, html = await get(running, f"{PAGE}?saved=main")
    main = card(html, "main")
    assert "сохранена" in html
    assert "по очереди: Пётр Петров на смене, загрузка 1/5" in main
    assert "15 мин" in main and "Telegram, ВКонтакте" in main
    lead = await submit_lead(running, "Клиент", next(PHONES))
    assert lead["assignee"] == "petrov"
    _, html = await get(running)
    assert "загрузка 2/5" in card(html, "main")


async def test_refusals_are_shown_next_to_their_fields_and_change_nothing(
    any_db_service: Running,
) -> None:
    running = any_db_service
    token = await sign_in(running)
    current = await read(running, f"{QUEUES}/main")
    version = current["version"]
    base = {"name": "Входящие", "member": ["ivanova", "petrov"]}
    status, html = await post(
        running, f"{PAGE}/main", form(token, version, **base, fallback="petrov")
    )
    assert status == 422
    assert error_at(card(html, "main"), "fallback") == (
        "Резервом очереди может быть только руководитель, а «Пётр Петров» — менеджер."
    )
    status, html = await post(
        running, f"{PAGE}/main", form(token, version, **base, weight__ivanova="много")
    )
    assert status == 422
    assert error_at(card(html, "main"), "managers") == "Вес менеджера ivanova — целое число от 1."
    status, html = await post(running, f"{PAGE}/main", form(token, version + 7, **base))
    assert status == 422
    assert "изменено другим пользователем" in error_at(card(html, "main"), "form")
    assert (await read(running, f"{QUEUES}/main"))["version"] == version
    # A new queue, a form sending to it, and a delete refused while the form names it.
    status, html = await post(
        running,
        PAGE,
        [
            ("csrf_token", token),
            ("key", "vip"),
            ("name", "VIP"),
            ("member", "ivanova"),
            ("weight.ivanova", "3"),
        ],
    )
    assert status == 303, html
    vip = await read(running, f"{QUEUES}/vip")
    assert vip["data"]["managers"] == [{"login": "ivanova", "weight": 3}]
    status, body = await call(
        running,
        "POST",
        "/api/v1/settings/forms",
        {"key": "vip-form", "name": "VIP-форма", "queue": "vip"},
    )
    assert status == 201, body
    status, html = await post(running, f"{PAGE}/vip/delete", form(token, vip["version"]))
    assert status == 422
    refusal = error_at(card(html, "vip"), "form")
    assert refusal.startswith("Очередь нельзя удалить: в неё направляет заявки форма «VIP-форма».")
    assert "Форма «VIP-форма»" in html  # listed among the routes, with its preview
    status, _ = await call(running, "DELETE", "/api/v1/settings/forms/vip-form")
    assert status == 200
    status, _ = await post(running, f"{PAGE}/vip/delete", form(token, vip["version"]))
    assert status == 303
    status, _ = await call(running, "GET", f"{QUEUES}/vip")
    assert status == 404


async def test_a_manager_gets_the_forbidden_page(service: Running) -> None:
    status, html = await page(service, PAGE, "ivanova")
    assert status == 403
    assert "Настройки очередей доступны только руководителю отдела продаж." in html
    token = await sign_in(service, "ivanova")
    status, _ = await post(service, f"{PAGE}/main", form(token, 1, name="x", member="ivanova"))
    assert status == 403
    assert (await read(service, f"{QUEUES}/main"))["version"] == 1
