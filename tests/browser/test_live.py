"""The live workplace in a real browser, on SQLite and PostgreSQL: a form posted over HTTP
appears in Входящие without a reload, a taken lead leaves the head's list, and a ringing
client shows the "Звонит клиент" card with a link to their lead."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from config import Settings
from intake.clock import utcnow
from tests.browser.test_triage import NARROW, WIDE, shoot, submit, with_deadline
from tests.e2e.conftest import Running
from tests.e2e.test_telephony_hooks import post, telephony_settings, zadarma_body, zadarma_headers
from workplace.auth.cookies import SESSION_COOKIE
from workplace.auth.service import SignedIn, set_password, sign_in
from workplace.auth.session import session_policy

PASSWORD = "живой-пароль-1"
# Long enough for a worker pass and the live feed's poll on a busy machine.
LIVE = 15_000


@pytest.fixture
def service_settings(tmp_path: Path) -> Settings:
    """Telephony on (calls show live) and 30 minutes to take a lead."""
    return with_deadline(telephony_settings(tmp_path))


async def signed_in(
    browser: Browser, running: Running, login: str, viewport: dict[str, int] = WIDE
) -> BrowserContext:
    """A browser context holding a session cookie of `login` (no token anywhere)."""
    storage = running.services.storage
    await set_password(storage, login, PASSWORD, utcnow())
    opened = await sign_in(
        storage, login, PASSWORD, utcnow(), session_policy(running.services.settings)
    )
    assert isinstance(opened, SignedIn)
    base = str(running.client.make_url("/"))
    context = await browser.new_context(
        base_url=base, locale="ru-RU", timezone_id="Europe/Moscow", viewport=viewport
    )
    await context.add_cookies(
        [{"name": SESSION_COOKIE, "value": opened.secret, "url": base, "httpOnly": True}]
    )
    return context


async def pbx(running: Running, name: str) -> None:
    """Zadarma posts one of its call events (a captured wire fixture)."""
    answer = await post(
        running, "/hooks/telephony/zadarma", zadarma_body(name), zadarma_headers(name)
    )
    assert answer.status == 200


async def open_live(context: BrowserContext, path: str = "/") -> Page:
    """A page whose event stream is connected (so nothing posted after it is missed)."""
    page = await context.new_page()
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/events")) as stream:
        await page.goto(path)
    assert (await stream.value).status == 200
    return page


async def test_a_posted_form_appears_live_in_the_managers_triage(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    pages: dict[str, Page] = {}
    for login in ("ivanova", "petrov"):
        pages[login] = await open_live(await signed_in(browser, running, login))
        await expect(pages[login].get_by_text("Новых заявок нет.")).to_be_visible()

    lead = await submit(
        running, name="Живой Клиент", phone="+7 926 700-10-20", comment="Перезвоните мне"
    )
    page = pages[lead["assignee"]]
    row = page.locator(f"#lead-{lead['id']}")
    await expect(row).to_contain_text("Живой Клиент", timeout=LIVE)
    await expect(row.locator(".countdown")).to_contain_text("осталось")
    await expect(page.locator("#triage-count")).to_have_text("1")
    await expect(row.get_by_role("button", name="Взять в работу")).to_be_visible()
    await shoot(page, screenshots, "live-triage")

    # The row came without a reload and works: its action answers in place.
    await row.get_by_role("button", name="Взять в работу").click()
    await expect(row).to_contain_text("Заявка взята в работу.")
    assert (await running.lead(lead["id"]))["status"] == "in_work"
    for context in {p.context for p in pages.values()}:
        await context.close()


async def test_a_lead_taken_by_its_manager_leaves_the_heads_triage(
    browser: Browser, running: Running
) -> None:
    stays = await submit(running, name="Остаётся", phone="+7 926 700-10-21")
    lead = await submit(running, name="Уходит", phone="+7 926 700-10-22")
    head = await open_live(await signed_in(browser, running, "head"))
    row = head.locator(f"#lead-{lead['id']}")
    await expect(row).to_contain_text("Уходит")
    await expect(head.locator("#triage-count")).to_have_text("2")

    manager = await open_live(await signed_in(browser, running, lead["assignee"], NARROW))
    mine = manager.locator(f"#lead-{lead['id']}")
    await mine.get_by_role("button", name="Взять в работу").click()
    await expect(mine).to_contain_text("Заявка взята в работу.")

    await expect(row).to_have_count(0, timeout=LIVE)
    await expect(head.locator(f"#lead-{stays['id']}")).to_contain_text("Остаётся")
    await expect(head.locator("#triage-count")).to_have_text("1")
    # The manager's own row keeps its message: nothing refreshed it away.
    await expect(mine).to_contain_text("Заявка взята в работу.")
    await head.context.close()
    await manager.context.close()


async def test_a_ringing_client_shows_the_call_card_with_a_link(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    # The Zadarma fixtures' caller is +7 916 123-45-67: a client with an open lead.
    lead = await submit(running, name="Мария Звонкова", phone="+7 916 123-45-67")
    page = await open_live(await signed_in(browser, running, lead["assignee"]), "/tasks")
    await expect(page.locator(".call-card")).to_have_count(0)

    await pbx(running, "notify_start.form")
    card = page.locator(".call-card")
    await expect(card).to_be_visible(timeout=LIVE)
    await expect(card).to_contain_text("Звонит клиент")
    await expect(card).to_contain_text(f"Заявка №{lead['id']}")
    await expect(card).to_contain_text("Телефон: +7 916 123-45-67")
    link = card.get_by_role("link", name=f"Открыть заявку №{lead['id']}")
    await expect(link).to_have_attribute("href", f"/leads/{lead['id']}")
    await shoot(page, screenshots, "live-call")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "live-call-360")
    await page.set_viewport_size(WIDE)

    await link.click()
    await expect(page).to_have_url(str(running.client.make_url(f"/leads/{lead['id']}")))
    await expect(page.get_by_text("Мария Звонкова").first).to_be_visible()
    await page.context.close()


async def test_the_call_card_closes_by_hand(browser: Browser, running: Running) -> None:
    lead = await submit(running, name="Пётр Закрыв", phone="+7 916 123-45-67")
    page = await open_live(await signed_in(browser, running, lead["assignee"], NARROW))
    await pbx(running, "notify_start.form")
    card = page.locator(".call-card")
    await expect(card).to_be_visible(timeout=LIVE)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"]
    await card.get_by_role("button", name="Закрыть").click()
    await expect(card).to_have_count(0)
    await page.context.close()


async def test_the_call_card_goes_when_the_call_ends(browser: Browser, running: Running) -> None:
    lead = await submit(running, name="Ирина Коротко", phone="+7 916 123-45-67")
    page = await open_live(await signed_in(browser, running, lead["assignee"]))
    await pbx(running, "notify_start.form")
    await expect(page.locator(".call-card")).to_be_visible(timeout=LIVE)
    # The hang-up: the call joins the lead's timeline and the client_called event closes
    # the card (well before it would hide by itself after two minutes).
    await pbx(running, "notify_end.form")
    await expect(page.locator(".call-card")).to_have_count(0, timeout=LIVE)
    await page.context.close()


async def test_a_new_lead_on_another_page_shows_a_toast(
    browser: Browser, running: Running
) -> None:
    pages = {
        login: await open_live(await signed_in(browser, running, login, NARROW), "/tasks")
        for login in ("ivanova", "petrov")
    }
    lead = await submit(running, name="Тост Тостов", phone="+7 926 700-10-23")
    toast = pages[lead["assignee"]].locator(".live-toast")
    await expect(toast).to_contain_text("Новая заявка", timeout=LIVE)
    await expect(toast).to_contain_text(f"заявка №{lead['id']}")
    link = toast.get_by_role("link", name=f"Открыть заявку №{lead['id']}")
    await expect(link).to_have_attribute("href", f"/leads/{lead['id']}")
    for page in pages.values():
        await page.context.close()
