"""Настройки → Формы over HTTP: the head adds a site form on the page (a signed-in session
posting with its CSRF token) and it takes leads at once; the last submission and its fate;
the snippet's HTML posts a lead as a browser would; the secret is shown once, then masked."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from intake.clock import utcnow
from intake.form_snippets import SECRET_PLACEHOLDER
from tests.e2e.conftest import Running
from tests.e2e.test_form_rate_limit import limited  # noqa: F401 - a fixture
from tests.e2e.test_settings_managers import PHONES, call
from tests.e2e.test_workplace import page
from tests.e2e.test_workplace_sign_in import PASSWORD, TOKEN_FIELD, _post_login
from workplace.auth.service import set_password
from workplace.pages.shared import local_time

FORMS = "/api/v1/settings/forms"
SECRET_SHOWN = re.compile(r'<code id="form-secret" class="secret-value">([^<]+)</code>')


async def signed_in_head(running: Running) -> str:
    """Sign the test client in as the head (a session cookie); the page's CSRF token."""
    await set_password(running.services.storage, "head", PASSWORD, utcnow())
    response = await _post_login(running, "head", PASSWORD)
    assert response.status == 303, await response.text()
    async with running.client.get("/settings/forms") as r:
        assert r.status == 200
        found = TOKEN_FIELD.search(await r.text())
    assert found
    return found.group(1)


async def add_form(running: Running, token: str, **fields: str) -> tuple[int, str]:
    """Post «Добавить форму» as the signed-in head."""
    data = {
        "csrf_token": token,
        "honeypot_fields": "_gotcha, hp_website",
        "secret_action": "none",
        **fields,
    }
    async with running.client.post("/settings/forms", data=data, allow_redirects=False) as r:
        return r.status, await r.text()


async def last_row(running: Running, key: str) -> str:
    """The text of the form's «Последняя заявка» cell on the list."""
    status, html = await page(running, "/settings/forms", "head")
    assert status == 200
    start = html.index(f'data-form="{key}"')
    cell_start = html.index(">", html.index('class="form-last"', start)) + 1
    cell = html[cell_start : html.index("</tr>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()


async def post_lead(
    running: Running, key: str, data: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    async with running.client.post(
        f"/api/v1/forms/{key}", data=data, headers=headers or {}, allow_redirects=False
    ) as r:
        body = await r.json() if r.content_type == "application/json" else {}
        return r.status, {**body, "location": r.headers.get("Location")}


async def test_a_form_added_on_the_page_takes_a_lead_into_its_queue_at_once(
    any_db_service: Running,
) -> None:
    running = any_db_service
    status, body = await call(
        running,
        "POST",
        "/api/v1/settings/queues",
        {"key": "vip", "name": "VIP", "managers": ["petrov"], "fallback": "head"},
    )
    assert status == 201, body
    token = await signed_in_head(running)
    status, html = await add_form(
        running,
        token,
        key="landing-vip",
        name="Лендинг VIP",
        queue="vip",
        pipeline="main",
        consent_text_version="pd-2026-02",
        redirect_url="https://example.ru/spasibo",
        field_map="Телефон_клиента = phone",
        secret_action="new",
    )
    assert status == 200, html
    assert "Форма добавлена" in html and "Код для сайта" in html
    secret = SECRET_SHOWN.search(html)
    assert secret, "a generated secret is shown in full right after creation"
    secret_text = secret.group(1)
    assert len(secret_text) >= 32
    # Shown once: the form's page and the API show it masked from now on.
    _, again = await page(running, "/settings/forms/landing-vip", "head")
    assert secret_text not in again and f"••••{secret_text[-4:]}" in again
    status, stored = await call(running, "GET", f"{FORMS}/landing-vip")
    assert stored["data"]["secret"] == f"••••{secret_text[-4:]}"
    assert stored["data"]["field_map"] == {"Телефон_клиента": "phone"}
    # A lead at once, no restart: its own queue, routed to the queue's member.
    status, answer = await post_lead(
        running,
        "landing-vip",
        {"name": "Гость", "Телефон_клиента": next(PHONES), "api_key": secret_text},
    )
    assert status == 303 and answer["location"] == "https://example.ru/spasibo", answer
    leads = await running.wait_for_leads(1)
    lead = next(lead for lead in leads if lead["source"] == "landing-vip")
    assert lead["queue"] == "vip" and lead["assignee"] == "petrov", lead
    # Without the page's CSRF token the same post is refused.
    async with running.client.post(
        "/settings/forms", data={"key": "forged", "name": "x"}, allow_redirects=False
    ) as r:
        assert r.status == 403
    assert (await call(running, "GET", f"{FORMS}/forged"))[0] == 404


async def test_the_last_submission_and_its_fate_are_shown(any_db_service: Running) -> None:
    running = any_db_service
    token = await signed_in_head(running)
    status, html = await add_form(running, token, key="contacts", name="Контакты")
    assert status == 200, html
    assert "заявок ещё не было" in await last_row(running, "contacts")
    status, answer = await post_lead(running, "contacts", {"phone": next(PHONES)})
    assert status == 202, answer
    assert (await last_row(running, "contacts")).startswith("принята")
    status, _ = await post_lead(running, "contacts", {"phone": next(PHONES), "hp_website": "x"})
    assert status == 200
    assert await last_row(running, "contacts") == (
        f"отклонена {await _time_of(running)} заполнено поле-ловушка для ботов: поле hp_website"
    )
    status, _ = await post_lead(running, "contacts", {"name": "Без телефона"})
    assert status == 422
    assert "отклонена" in (row := await last_row(running, "contacts")) and "неверные данные" in row
    # A wrong secret, on a form that has one (the file's `secured`).
    status, _ = await post_lead(running, "secured", {"phone": next(PHONES), "api_key": "nope"})
    assert status == 401
    assert "неверный секрет" in await last_row(running, "secured")
    # Every instance sees it: the note reaches the database within a second or so.
    assert (await _stored_last(running, "secured", "rejected")).reason == "bad_secret"
    assert (await _stored_last(running, "contacts", "rejected")).reason == "invalid"


async def test_a_rate_limited_submission_is_shown_as_such(limited: Running) -> None:  # noqa: F811
    statuses = [(await post_lead(limited, "strict", {"phone": next(PHONES)}))[0] for _ in "abc"]
    assert statuses == [202, 202, 429]
    assert "превышен лимит частоты" in await last_row(limited, "strict")
    stored = await _stored_last(limited, "strict", "rejected")
    assert stored.reason == "rate_limited" and stored.http_status == 429


async def _time_of(running: Running) -> str:
    last = running.services.form_log.seen()["contacts"]
    return local_time(last.received_at)


async def _stored_last(running: Running, key: str, outcome: str) -> Any:
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        async with running.services.storage.reader() as uow:
            found = (await uow.form_submissions.last()).get(key)
        if found is not None and found.outcome == outcome:
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.05)


class Inputs(HTMLParser):
    """The form's action and its fields as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = found["action"]
        elif tag in ("input", "textarea") and "name" in found:
            self.fields.append({"tag": tag, **found})


async def test_the_snippets_html_posts_a_lead(any_db_service: Running) -> None:
    running = any_db_service
    status, created = await call(
        running,
        "POST",
        FORMS,
        {
            "key": "promo",
            "name": "Промо",
            "consent_text_version": "pd-7",
            "redirect_url": "https://example.ru/thanks",
        },
    )
    assert status == 201, created
    status, found = await call(running, "GET", f"{FORMS}/promo/snippet")
    assert status == 200, found
    assert found["tilda_webhook_url"] == "http://127.0.0.1:8080/api/v1/forms/promo"
    assert found["public_html"] is True and found["warning"] is None
    assert found["secret_field"] is None and found["server_example"] is None
    data, action = _as_a_visitor_fills(found["html"])
    assert set(data) >= {"name", "phone", "email", "comment", "consent", "consent_version"}
    assert action == found["tilda_webhook_url"]
    async with running.client.post(urlsplit(action).path, data=data, allow_redirects=False) as r:
        assert r.status == 303, await r.text()
        assert r.headers["Location"] == "https://example.ru/thanks"
    leads = await running.wait_for_leads(1)
    lead = await running.lead(next(x for x in leads if x["source"] == "promo")["id"])
    assert [(c["given"], c["text_version"]) for c in lead["consents"]] == [(True, "pd-7")]
    # The snippet is the head's.
    assert (await call(running, "GET", f"{FORMS}/promo/snippet", login="ivanova"))[0] == 403


def _as_a_visitor_fills(html_form: str) -> tuple[dict[str, str], str]:
    """The fields a browser posts from the snippet's form, and where it posts them."""
    parsed = Inputs()
    parsed.feed(html_form)
    typed = {
        "name": "Мария",
        "phone": "+7 916 700-00-01",
        "email": "maria@example.ru",
        "comment": "Перезвоните",
    }
    data: dict[str, str] = {}
    for field in parsed.fields:
        name, kind = field["name"], field.get("type", "")
        if name in typed:
            data[name] = typed[name]
        elif kind in ("checkbox", "hidden"):
            data[name] = field["value"]  # the visitor ticks the consent
        else:
            data[name] = ""  # the honeypot stays empty
    return data, parsed.action


async def test_a_form_with_a_secret_gets_no_public_html_but_the_server_request(
    any_db_service: Running,
) -> None:
    running = any_db_service
    status, created = await call(
        running,
        "POST",
        FORMS,
        {"key": "backend", "name": "С бэкенда", "generate_secret": True},
    )
    assert status == 201, created
    secret = created["secret"]
    assert created["data"]["secret"] == f"••••{secret[-4:]}"
    status, found = await call(running, "GET", f"{FORMS}/backend/snippet")
    assert status == 200, found
    assert secret not in str(found)
    assert found["public_html"] is False and found["html"] == ""
    assert found["secret_field"] == "api_key" and found["secret_header"] == "X-Api-Key"
    assert "с сервера на сервер" in found["warning"] and "поле-ловушка" in found["warning"]
    # Why no public HTML: the endpoint refuses a browser's post without the secret.
    async with running.client.post(
        "/api/v1/forms/backend", data={"phone": "+7 916 700-00-02"}, allow_redirects=False
    ) as r:
        assert r.status == 401
    # The server's request as shown, with the secret in place of the placeholder, is taken.
    example = found["server_example"]
    header = re.search(r"-H '(X-Api-Key): (\S+)'", example)
    body = re.search(r"-d '(\{.*\})'", example)
    assert header and header.group(2) == SECRET_PLACEHOLDER and body
    async with running.client.post(
        "/api/v1/forms/backend",
        data=body.group(1).encode(),
        headers={"X-Api-Key": secret, "Content-Type": "application/json"},
        allow_redirects=False,
    ) as r:
        assert r.status in (200, 202), await r.text()
    leads = await running.wait_for_leads(1)
    assert any(x["source"] == "backend" for x in leads)
    # A PUT of the document as read (secret masked) keeps the secret.
    status, current = await call(running, "GET", f"{FORMS}/backend")
    body_doc = {**current["data"], "name": "С бэкенда 2", "version": current["version"]}
    status, changed = await call(running, "PUT", f"{FORMS}/backend", body_doc)
    assert status == 200, changed
    assert running.services.settings.form("backend").secret == secret  # type: ignore[union-attr]


async def test_a_key_that_is_not_url_safe_is_named_next_to_the_field(service: Running) -> None:
    running = service
    token = await signed_in_head(running)
    status, html = await add_form(running, token, key="Моя форма!", name="Моя")
    assert status == 422
    assert 'id="key-error"' in html and "только строчные латинские буквы" in html
    assert 'value="Моя форма!"' in html, "what was typed stays in the field"
    status, html = await add_form(running, token, key="site", name="Ещё сайт")
    assert status == 422 and "Форма с таким ключом уже есть" in html
    status, html = await add_form(running, token, key="ok-key", field_map="просто текст")
    assert status == 422 and "Строка 1" in html
    status, html = await page(running, "/settings/forms", "ivanova")
    assert status == 403


async def test_edit_and_delete_on_the_page(service: Running) -> None:
    running = service
    token = await signed_in_head(running)
    await add_form(running, token, key="temp", name="Временная", secret_action="new")
    _, html = await page(running, "/settings/forms/temp", "head")
    version = re.search(r'name="version" value="(\d+)"', html)
    assert version
    data = {
        "csrf_token": token,
        "version": version.group(1),
        "name": "Временная 2",
        "queue": "main",
        "pipeline": "main",
        "honeypot_fields": "_gotcha",
        "secret_action": "keep",
    }
    async with running.client.post("/settings/forms/temp", data=data, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/settings/forms/temp?saved=1"
    form = running.services.settings.form("temp")
    assert form is not None and form.name == "Временная 2" and form.secret is not None
    # The same version again is stale.
    async with running.client.post("/settings/forms/temp", data=data, allow_redirects=False) as r:
        assert r.status == 422 and "изменено другим пользователем" in await r.text()
    assert (await post_lead(running, "temp", {"phone": next(PHONES)}))[0] == 401
    assert "неверный секрет" in await last_row(running, "temp")
    _, html = await page(running, "/settings/forms/temp", "head")
    version = re.search(r'name="version" value="(\d+)"', html)
    assert version
    async with running.client.post(
        "/settings/forms/temp/delete",
        data={"csrf_token": token, "version": version.group(1)},
        allow_redirects=False,
    ) as r:
        assert r.status == 303
    assert running.services.settings.form("temp") is None
    assert (await post_lead(running, "temp", {"phone": next(PHONES)}))[0] == 404
    # A new form under the deleted one's key starts without its last submission.
    status, _ = await add_form(running, token, key="temp", name="Снова")
    assert status == 200
    assert await last_row(running, "temp") == "заявок ещё не было"
