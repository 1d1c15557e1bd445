"""Настройки → Справочники over HTTP: the head adds a junk reason, a phone line and an
extension with the page's forms (CSRF token included); refusals are shown; heads only."""

from __future__ import annotations

from tests.e2e.conftest import Running
from tests.e2e.test_workplace_queues import error_at, get, post, sign_in

PAGE = "/settings/lists"


async def test_the_head_edits_the_lists_with_the_page(any_db_service: Running) -> None:
    running = any_db_service
    token = await sign_in(running)
    status, html = await get(running, PAGE)
    assert status == 200, html
    assert 'href="/settings/lists" class="active"' in html and "Причины брака" in html
    assert 'data-key="spam"' in html

    status, html = await post(
        running,
        f"{PAGE}/junk-reasons",
        [("csrf_token", token), ("key", "too_far"), ("name", "Далеко ехать")],
    )
    assert status == 303, html
    assert running.services.sales.junk_reasons["too_far"] == "Далеко ехать"

    line = [("csrf_token", token), ("line", "+7 (495) 765-43-21"), ("source", "site")]
    status, html = await post(running, f"{PAGE}/lines", [*line, ("queue", "nope")])
    assert status == 422
    assert "queue" in error_at(html, "form")
    status, html = await post(running, f"{PAGE}/lines", [*line, ("queue", "main")])
    assert status == 303, html
    route = running.services.settings.telephony.line("84957654321")
    assert route is not None and route.queue == "main" and route.source == "site"

    status, html = await post(
        running,
        f"{PAGE}/extensions",
        [("csrf_token", token), ("extension", "107"), ("login", "petrov")],
    )
    assert status == 303, html
    assert running.services.settings.telephony.manager_for_extension("107") == "petrov"
    _, html = await get(running, PAGE)
    assert 'data-key="too_far"' in html and 'data-key="74957654321"' in html
    assert 'data-key="107"' in html

    # A stale row is refused; the row's delete works with the version read.
    status, html = await post(
        running,
        f"{PAGE}/junk-reasons/too_far",
        [("csrf_token", token), ("version", "9"), ("name", "x")],
    )
    assert status == 422 and "изменено другим пользователем" in error_at(html, "form")
    status, _ = await post(
        running, f"{PAGE}/junk-reasons/too_far/delete", [("csrf_token", token), ("version", "1")]
    )
    assert status == 303
    assert "too_far" not in running.services.sales.junk_reasons

    # Without the CSRF token nothing changes.
    status, _ = await post(running, f"{PAGE}/junk-reasons", [("key", "x"), ("name", "x")])
    assert status == 403


async def test_a_manager_cannot_open_the_lists(service: Running) -> None:
    await sign_in(service, "ivanova")
    status, _ = await get(service, PAGE)
    assert status == 403
