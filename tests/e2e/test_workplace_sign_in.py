"""Signing in to the workplace over HTTP: the form, cookies, CSRF, sign-out, the wait."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import ClientResponse

from config import Settings
from intake.clock import utcnow
from tests.conftest import storage_of_kind
from tests.e2e.conftest import Running, run_service
from workplace.auth.service import set_password

PASSWORD = "пароль-ивановой"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _with_password(running: Running, login: str = "ivanova") -> None:
    await set_password(running.services.storage, login, PASSWORD, utcnow())


async def _form_token(running: Running, query: str = "") -> str:
    async with running.client.get(f"/login{query}", allow_redirects=False) as r:
        assert r.status == 200
        page = await r.text()
    found = TOKEN_FIELD.search(page)
    assert found, page
    return found.group(1)


async def _post_login(
    running: Running, login: str, password: str, next_path: str = "", token: str | None = None
) -> ClientResponse:
    token = token if token is not None else await _form_token(running)
    data = {"login": login, "password": password, "csrf_token": token, "next": next_path}
    return await running.client.post("/login", data=data, allow_redirects=False)


async def _sign_in(running: Running, next_path: str = "") -> ClientResponse:
    response = await _post_login(running, "ivanova", PASSWORD, next_path)
    assert response.status == 303, await response.text()
    return response


async def _page_token(running: Running) -> str:
    async with running.client.get("/account", allow_redirects=False) as r:
        assert r.status == 200
        found = TOKEN_FIELD.search(await r.text())
    assert found
    return found.group(1)


async def test_the_sign_in_form_is_russian_with_login_and_password_fields(
    service: Running,
) -> None:
    async with service.client.get("/login") as r:
        assert r.status == 200
        assert r.content_type == "text/html"
        page = await r.text()
        cookie = r.cookies["leadintake_login_csrf"]
    for text in ("Вход", "Логин", "Пароль", "Войти"):
        assert text in page
    assert 'name="login"' in page and 'name="password"' in page
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


async def test_a_page_without_sign_in_goes_to_the_form_and_back_after_it(
    any_db_service: Running,
) -> None:
    running = any_db_service
    await _with_password(running)
    async with running.client.get("/account?tab=1", allow_redirects=False) as r:
        assert r.status == 302
        location = urlsplit(r.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query) == {"next": ["/account?tab=1"]}
    response = await _sign_in(running, "/account?tab=1")
    assert response.headers["Location"] == "/account?tab=1"
    cookie = response.cookies["leadintake_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]
    async with running.client.get("/account") as r:
        assert r.status == 200
        assert "Анна Иванова" in await r.text()


async def test_wrong_password_and_unknown_login_get_the_same_message(service: Running) -> None:
    await _with_password(service)
    wrong = await _post_login(service, "ivanova", "не тот пароль")
    unknown = await _post_login(service, "ghost", PASSWORD)
    for response in (wrong, unknown):
        assert response.status == 401
        assert "Неверный логин или пароль" in await response.text()
        assert "leadintake_session" not in response.cookies


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
async def test_next_never_leaves_the_site(service: Running, target: str) -> None:
    await _with_password(service)
    response = await _sign_in(service, target)
    assert response.headers["Location"] == "/"


async def test_the_sign_in_form_needs_its_double_submit_token(service: Running) -> None:
    await _with_password(service)
    await _form_token(service)
    forged = await _post_login(service, "ivanova", PASSWORD, token="forged-token-" + "x" * 30)
    assert forged.status == 403
    assert "leadintake_session" not in forged.cookies
    service.client.session.cookie_jar.clear()
    no_cookie = await _post_login(service, "ivanova", PASSWORD, token="a" * 43)
    assert no_cookie.status == 403


async def test_after_five_wrong_passwords_the_next_attempt_must_wait(service: Running) -> None:
    await _with_password(service)
    for _ in range(5):
        assert (await _post_login(service, "ivanova", "guess")).status == 401
    throttled = await _post_login(service, "ivanova", PASSWORD)
    assert throttled.status == 429
    assert throttled.headers["Retry-After"] == "1"
    assert "Слишком много попыток, попробуйте через 1 с" in await throttled.text()
    assert "leadintake_session" not in throttled.cookies


async def test_a_forged_csrf_token_is_refused_and_nothing_changes(
    any_db_service: Running,
) -> None:
    running = any_db_service
    await _with_password(running)
    await _sign_in(running)
    token = await _page_token(running)
    for data, headers in (
        ({}, {}),
        ({"csrf_token": "forged"}, {}),
        ({}, {"X-CSRF-Token": "forged"}),
        ({"csrf_token": token[:-1] + ("1" if token.endswith("0") else "0")}, {}),
    ):
        async with running.client.post(
            "/logout", data=data, headers=headers, allow_redirects=False
        ) as r:
            assert r.status == 403
            assert "Ничего не изменено" in await r.text()
    async with running.client.get("/account", allow_redirects=False) as r:
        assert r.status == 200  # still signed in: the forged sign-out changed nothing


async def test_a_multipart_form_with_unreadable_part_headers_is_refused_not_a_server_error(
    service: Running,
) -> None:
    await _with_password(service)
    await _sign_in(service)
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="\x1a"\r\n\r\nx\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    async with service.client.post(
        "/logout",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        allow_redirects=False,
    ) as r:
        assert r.status == 403  # no readable CSRF token: nothing changes
    async with service.client.get("/account", allow_redirects=False) as r:
        assert r.status == 200


async def test_sign_out_ends_the_session_on_the_server(any_db_service: Running) -> None:
    running = any_db_service
    await _with_password(running)
    response = await _sign_in(running)
    secret = response.cookies["leadintake_session"].value
    token = await _page_token(running)
    async with running.client.post(
        "/logout", headers={"X-CSRF-Token": token}, allow_redirects=False
    ) as r:
        assert r.status == 303
        assert r.headers["Location"] == "/login"
    # The old cookie, replayed, opens nothing.
    async with running.client.get(
        "/account", cookies={"leadintake_session": secret}, allow_redirects=False
    ) as r:
        assert r.status == 302


async def test_an_api_bearer_token_is_a_sign_in_too_and_needs_no_csrf(service: Running) -> None:
    async with service.client.get(
        "/account", headers=service.auth("petrov"), allow_redirects=False
    ) as r:
        assert r.status == 200
        assert "Пётр Петров" in await r.text()
    async with service.client.post(
        "/logout", headers=service.auth("petrov"), allow_redirects=False
    ) as r:
        assert r.status == 303


async def test_htmx_requests_without_sign_in_redirect_the_whole_page(service: Running) -> None:
    headers = {"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1/account"}
    async with service.client.get("/account", headers=headers, allow_redirects=False) as r:
        assert r.status == 204
        assert r.headers["HX-Redirect"] == "/login?next=/account"


async def test_the_session_cookie_is_secure_behind_an_https_public_url(
    write_config: Callable[[str], Settings], tmp_path: object
) -> None:
    settings = write_config("")
    settings = replace(settings, http=replace(settings.http, public_url="https://crm.example.ru"))
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,  # type: ignore[arg-type]
        run_service(settings, storage) as running,
    ):
        await _with_password(running)
        async with running.client.get("/login") as r:
            form_cookie = r.cookies["leadintake_login_csrf"]
        assert form_cookie["secure"]
        # The test client speaks http, so its jar keeps Secure cookies to itself: send it.
        data = {"login": "ivanova", "password": PASSWORD, "csrf_token": form_cookie.value}
        async with running.client.post(
            "/login",
            data=data,
            cookies={"leadintake_login_csrf": form_cookie.value},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            cookie = response.cookies["leadintake_session"]
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
