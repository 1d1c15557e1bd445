"""The workplace's browser-side walls: page headers, and searches that keep data out of URLs."""

from __future__ import annotations

from tests.e2e.conftest import Running
from tests.e2e.test_workplace_clients import add_client
from tests.e2e.test_workplace_sign_in import _page_token, _sign_in, _with_password
from workplace.security_headers import CONTENT_SECURITY_POLICY


async def test_pages_forbid_framing_and_foreign_scripts(service: Running) -> None:
    for path in ("/login", "/static/app.css"):
        async with service.client.get(path) as r:
            assert r.status == 200
            assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert r.headers["X-Frame-Options"] == "DENY"
            assert r.headers["Referrer-Policy"] == "same-origin"
            assert r.headers["X-Content-Type-Options"] == "nosniff"
    # A redirect to sign in is a page answer too.
    async with service.client.get("/deals", allow_redirects=False) as r:
        assert r.status == 302 and r.headers["X-Frame-Options"] == "DENY"
    async with service.client.get("/api/v1/leads", headers=service.auth()) as r:
        assert r.status == 200 and "Content-Security-Policy" not in r.headers


async def test_the_search_form_posts_so_a_phone_stays_out_of_the_url(service: Running) -> None:
    contact = await add_client(service, "Петров Иван", "+79161234567", owner="ivanova")
    await _with_password(service)
    await _sign_in(service)
    async with service.client.get("/clients") as r:
        page = await r.text()
    assert 'method="post" action="/clients"' in page
    token = await _page_token(service)
    data = {"q": "8 (916) 123-45-67", "csrf_token": token}
    async with service.client.post("/clients", data=data, allow_redirects=False) as r:
        assert r.status == 200
        assert f'href="/clients/contacts/{contact}"' in await r.text()
    # Without the page's token the search is refused like any other forged post.
    async with service.client.post("/clients", data={"q": "9161234567"}) as r:
        assert r.status == 403
