"""Входящие and the lead card in a real browser, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, Page, expect

from config import Settings
from crm_core.contacts import add_contacts, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_missed_call import call_leads
from tests.e2e.test_telephony_hooks import post, telephony_settings, zadarma_body, zadarma_headers

FORM_URL = "/api/v1/forms/site"
WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 360, "height": 780}


@pytest.fixture
def service_settings(tmp_path: Path) -> Settings:
    """Telephony on (missed calls are urgent leads) and 30 minutes to take a lead (the
    countdown)."""
    return with_deadline(telephony_settings(tmp_path))


def with_deadline(settings: Settings) -> Settings:
    """Every queue gives its manager 30 minutes to take a lead."""
    queues = tuple(replace(q, acceptance_timeout=timedelta(minutes=30)) for q in settings.queues)
    return replace(settings, queues=queues)


async def missed_call(running: Running) -> dict[str, Any]:
    """A missed call from a new number posted by the PBX: an urgent lead."""
    name = "notify_end_no_answer.form"
    answer = await post(
        running, "/hooks/telephony/zadarma", zadarma_body(name), zadarma_headers(name)
    )
    assert answer.status == 200
    [lead] = await call_leads(running)
    return lead


async def submit(running: Running, **fields: str) -> dict[str, Any]:
    """A website form posted over HTTP, and its lead once the worker has made it."""
    async with running.client.post(FORM_URL, json=fields) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]
    return await running.wait_for_matched(intake_id)


async def signed_in(browser: Browser, running: Running, login: str, **kw: Any) -> BrowserContext:
    """A browser context of a manager (the API token for now; sign-in comes with sessions)."""
    return await browser.new_context(
        base_url=str(running.client.make_url("/")),
        extra_http_headers=running.auth(login),
        locale="ru-RU",
        timezone_id="Europe/Moscow",
        **kw,
    )


async def shoot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> None:
    """A screenshot (full-page unless told otherwise) at the page's width.

    Written aside and renamed into place: under pytest-xdist the same test on the other
    database may save the same name at the same moment in another worker.
    """
    path = folder / f"{name}.png"
    aside = path.with_name(f".{name}.{os.getpid()}.png")
    aside.write_bytes(await page.screenshot(full_page=full_page))
    aside.replace(path)


def accept_dialogs(page: Page) -> None:
    """Say yes to the confirmation a destructive action asks for."""

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)


async def test_take_and_junk_from_triage(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    first = await submit(
        running,
        name="Мария Соколова",
        phone="+7 916 123-45-67",
        email="maria@example.ru",
        comment="Хотим подключить 20 рабочих мест до конца месяца, пришлите коммерческое "
        "предложение и условия оплаты по безналу. Перезвоните после 14:00.",
    )
    second = await submit(running, name="Спам Спамов", phone="+7 999 000-00-00", comment="Купи")
    await submit(running, name="Игорь", email="igor@example.org", comment="Сколько стоит?")
    urgent = await missed_call(running)
    context = await signed_in(browser, running, "head", viewport=WIDE)
    page = await context.new_page()
    accept_dialogs(page)
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Входящие")).to_be_visible()
    row = page.locator(f"#lead-{first['id']}")
    await expect(row).to_contain_text("Мария Соколова")
    await expect(row).to_contain_text("maria@example.ru")
    await expect(row.locator(".countdown")).to_contain_text("осталось")
    first_row = page.locator(".lead-row").first
    await expect(first_row).to_have_id(f"lead-{urgent['id']}")
    await expect(first_row).to_contain_text("Срочно")
    await shoot(page, screenshots, "triage-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "triage-360")
    await page.set_viewport_size(WIDE)

    await row.get_by_role("button", name="Взять в работу").click()
    await expect(row).to_contain_text("Заявка взята в работу.")
    await expect(row.get_by_role("button", name="Взять в работу")).to_have_count(0)
    assert (await running.lead(first["id"]))["status"] == "in_work"

    junk_row = page.locator(f"#lead-{second['id']}")
    await junk_row.locator("summary", has_text="Брак").click()
    reason = next(iter(running.services.sales.junk_reasons))
    await junk_row.locator("select[name=reason]").select_option(reason)
    await junk_row.get_by_role("button", name="Отметить как брак").click()
    await expect(junk_row).to_contain_text("Заявка закрыта как брак")
    after = await running.lead(second["id"])
    assert after["status"] == "junk" and after["junk_reason"] == reason

    await page.reload()
    await expect(page.locator(f"#lead-{first['id']}")).to_have_count(0)
    await expect(page.locator(f"#lead-{second['id']}")).to_have_count(0)
    await context.close()


async def test_a_manager_sees_a_new_form_and_reassigns_it(
    browser: Browser, running: Running, screenshots: Path
) -> None:
    lead = await submit(running, name="Олег", phone="+7 926 555-11-22")
    owner = lead["assignee"]
    other = "petrov" if owner == "ivanova" else "ivanova"
    context = await signed_in(browser, running, owner, viewport=NARROW)
    page = await context.new_page()
    await page.goto("/")
    row = page.locator(f"#lead-{lead['id']}")
    await expect(row).to_contain_text("Олег")
    await row.locator("summary", has_text="Передать").click()
    await row.locator("select[name=manager]").select_option(other)
    await shoot(page, screenshots, "triage-reassign-360")
    await row.get_by_role("button", name="Передать менеджеру").click()
    await expect(row).to_contain_text("Заявка передана")
    await shoot(page, screenshots, "triage-after-reassign-360")
    assert (await running.lead(lead["id"]))["assignee"] == other
    await context.close()


async def test_confirm_a_duplicate_on_the_lead_card(
    browser: Browser, running: Running, screenshots: Path
) -> None:
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
    lead = await submit(
        running,
        name="Olga Shchukina",
        phone="+7 903 777-66-55",
        email="olga@example.ru",
        company="ООО Ромашка",
        comment="Нужна консультация по тарифам",
        consent="yes",
        utm_source="yandex",
        utm_campaign="winter",
    )
    assert lead["duplicate_check"]["decision"] == "review"
    async with running.client.post(
        "/api/v1/activities",
        json={
            "entity": "lead",
            "entity_id": lead["id"],
            "kind": "note",
            "text": "Звонила, занято",
        },
        headers=running.auth("head"),
    ) as r:
        assert r.status == 201, await r.text()
    context = await signed_in(browser, running, "head", viewport=WIDE)
    page = await context.new_page()
    await page.goto("/")
    await page.locator(f"#lead-{lead['id']} a.lead-title").click()
    await expect(page).to_have_url(f"{running.client.make_url('/')}leads/{lead['id']}")
    await expect(page.locator("table.evidence")).to_contain_text("Щукина Ольга Петровна")
    await expect(page.locator("#card")).to_contain_text("версия текста 2026-01")
    await expect(page.locator("#card")).to_contain_text("Звонила, занято")
    await shoot(page, screenshots, "lead-card-1366")
    await page.set_viewport_size(NARROW)
    await shoot(page, screenshots, "lead-card-360")
    await page.set_viewport_size(WIDE)
    await page.get_by_role("button", name="Это он").click()
    await expect(page.locator("#card")).to_contain_text("Заявка привязана к клиенту.")
    await expect(page.get_by_role("button", name="Это он")).to_have_count(0)
    assert (await running.lead(lead["id"]))["contact_id"] == olga
    await context.close()
