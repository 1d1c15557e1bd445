"""Managers' journeys end to end: `leadintake serve` in a subprocess on SQLite and on
PostgreSQL, Chromium signed in through the /login form, forms posted over HTTP.

One server per database for the module; every journey brings its own leads (phones of its
own), so the journeys do not depend on each other's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from intake.clock import utcnow
from tests.browser.served import PASSWORD, Served, serve
from tests.browser.test_kanban import drag
from tests.browser.test_triage import NARROW, WIDE, accept_dialogs, shoot

MOSCOW = ZoneInfo("Europe/Moscow")
# How long a new lead may take to show up in an open Входящие without a reload.
LIVE_MS = 5000


pytestmark = [
    # The session's Chromium serves every journey; the first journey also waits for the
    # server's start (migrate, passwords).
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(240),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`leadintake serve` on each database, for every journey of the module."""
    yield from serve(request.param, tmp_path_factory.mktemp(f"serve-{request.param}"))


def phones(code: int) -> Iterator[str]:
    """Mobile numbers of one journey (its own operator code), as a website visitor types
    them."""
    for n in count(1):
        yield f"+7 ({code}) 555-{n // 100:02d}-{n % 100:02d}"


async def snap(page: Page, folder: Path, served: Served, name: str) -> None:
    """A screenshot of a journey's step, per database."""
    await shoot(page, folder, f"journey-{name}-{served.kind}")


def menu(page: Page, label: str) -> Locator:
    """A section's link in the top menu."""
    return page.get_by_role("navigation", name="Разделы").get_by_role("link", name=label)


async def appears(page: Page, row: Locator) -> None:
    """A new lead's row shows up in the open Входящие without a reload."""
    await expect(row).to_be_visible(timeout=LIVE_MS)


async def test_sign_in_and_out(browser: Browser, served: Served, screenshots: Path) -> None:
    context = await browser.new_context(base_url=served.base, viewport=WIDE, locale="ru-RU")
    page = await context.new_page()
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login$"))
    await expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    await page.get_by_label("Логин").fill("ivanova")
    await page.get_by_label("Пароль").fill("не тот пароль")
    await page.get_by_role("button", name="Войти").click()
    await expect(page.get_by_role("alert")).to_have_text("Неверный логин или пароль")
    await page.get_by_label("Пароль").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()
    await expect(page.get_by_role("heading", name="Входящие")).to_be_visible()
    await expect(page.get_by_text("Анна Иванова")).to_be_visible()
    for label in ("Входящие", "Сделки", "Мои задачи", "Клиенты", "Отчёты"):
        await expect(menu(page, label)).to_be_visible()
    await snap(page, screenshots, served, "signed-in")

    await page.get_by_role("button", name="Выйти").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.goto("/tasks")
    await expect(page).to_have_url(re.compile(r"/login\?next=/tasks$"))
    await context.close()


async def test_a_form_appears_live_then_take_junk_and_reassign(
    browser: Browser, served: Served, screenshots: Path
) -> None:
    numbers = phones(916)
    context = await served.sign_in(browser, "ivanova")
    page = await context.new_page()
    accept_dialogs(page)
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Входящие")).to_be_visible()

    fresh = await served.lead_for(
        "ivanova",
        numbers,
        name="Мария Соколова",
        email="maria@sokolova.ru",
        comment="Хотим подключить 20 рабочих мест до конца месяца",
    )
    row = page.locator(f"#lead-{fresh['id']}")
    await appears(page, row)
    await expect(row).to_contain_text("Мария Соколова")
    await expect(row).to_contain_text("maria@sokolova.ru")
    await snap(page, screenshots, served, "triage")
    await page.set_viewport_size(NARROW)
    await snap(page, screenshots, served, "triage-360")
    await page.set_viewport_size(WIDE)
    await row.get_by_role("button", name="Взять в работу").click()
    await expect(row).to_contain_text("Заявка взята в работу.")
    await expect(row.get_by_role("button", name="Взять в работу")).to_have_count(0)
    assert (await served.lead(fresh["id"]))["status"] == "in_work"

    spam = await served.lead_for("ivanova", numbers, name="Спам Спамов", comment="Купи")
    junk_row = page.locator(f"#lead-{spam['id']}")
    await appears(page, junk_row)
    await junk_row.locator("summary", has_text="Брак").click()
    await junk_row.locator("select[name=reason]").select_option(label="Спам")
    await junk_row.get_by_role("button", name="Отметить как брак").click()
    await expect(junk_row).to_contain_text("Заявка закрыта как брак")
    closed = await served.lead(spam["id"])
    assert closed["status"] == "junk" and closed["junk_reason"] == "spam"

    other = await served.lead_for("ivanova", numbers, name="Олег", comment="Доставка?")
    pass_row = page.locator(f"#lead-{other['id']}")
    await appears(page, pass_row)
    await pass_row.locator("summary", has_text="Передать").click()
    await pass_row.locator("select[name=manager]").select_option("petrov")
    await snap(page, screenshots, served, "reassign")
    await pass_row.get_by_role("button", name="Передать менеджеру").click()
    await expect(pass_row).to_contain_text("Заявка передана")
    assert (await served.lead(other["id"]))["assignee"] == "petrov"

    await page.reload()
    for lead in (fresh, spam, other):
        await expect(page.locator(f"#lead-{lead['id']}")).to_have_count(0)
    await context.close()


async def test_review_a_duplicate_with_its_explanation_and_confirm(
    browser: Browser, served: Served, screenshots: Path
) -> None:
    numbers = phones(903)
    phone = next(numbers)
    first = await served.submit(name="Щукина Ольга", phone=phone, company="ООО Ромашка")
    await served.api("POST", f"/api/v1/leads/{first['id']}/take", body={})
    made = await served.api("POST", f"/api/v1/leads/{first['id']}/convert", body={})
    # The same phone spelled differently, a different first name: a manager decides.
    digits = re.sub(r"\D", "", phone)
    spelled = f"8 {digits[1:4]} {digits[4:7]} {digits[7:9]} {digits[9:]}"
    second = await served.submit(name="Щукина Ирина", phone=spelled, comment="Счёт на оплату")
    assert second["duplicate_check"]["decision"] == "review"
    assert second["contact_id"] is None

    context = await served.sign_in(browser, "head")
    page = await context.new_page()
    await page.goto("/")
    await page.locator(f"#lead-{second['id']} a.lead-title").click()
    await expect(page).to_have_url(re.compile(rf"/leads/{second['id']}$"))
    evidence = page.locator("table.evidence")
    await expect(evidence).to_contain_text("Щукина Ольга")
    await expect(evidence).to_contain_text("телефон совпал")
    await expect(evidence).to_contain_text("другое имя")
    await snap(page, screenshots, served, "duplicate")
    await page.get_by_role("button", name="Это он").click()
    await expect(page.locator("#card")).to_contain_text("Заявка привязана к клиенту.")
    await expect(page.get_by_role("button", name="Это он")).to_have_count(0)
    await expect(page.get_by_role("button", name="Это другой человек")).to_have_count(0)
    assert (await served.lead(second["id"]))["contact_id"] == made["contact_id"]
    await context.close()


async def test_convert_then_drag_the_deal_to_lost_approved_by_the_head(
    browser: Browser, served: Served, screenshots: Path
) -> None:
    numbers = phones(926)
    lead = await served.lead_for(
        "ivanova", numbers, name="Ирина Волкова", company="ООО Лютик", comment="Опт: 500 штук"
    )
    context = await served.sign_in(browser, "ivanova")
    page = await context.new_page()
    await page.goto("/")
    await page.locator(f"#lead-{lead['id']}").get_by_role("link", name="Конвертировать").click()
    form = page.locator("#convert form")
    await expect(form).to_be_visible()
    await form.locator("select[name=pipeline]").select_option(label="Оптовые продажи")
    await form.locator("input[name=title]").fill("Опт для Лютика")
    await form.get_by_role("button", name="Создать сделку").click()
    await page.wait_for_url(re.compile(r"/deals/\d+$"))
    deal_id = int(page.url.rsplit("/", 1)[1])
    converted = await served.lead(lead["id"])
    assert converted["status"] == "converted" and converted["deal_id"] == deal_id

    await menu(page, "Сделки").click()
    await page.get_by_role("link", name="Оптовые продажи").click()
    await expect(page.locator("h1")).to_have_text("Сделки")
    notice = page.locator("#board-notice")
    qualification = page.locator('.deal-list[data-stage="qualification"]')
    proposal = page.locator('.deal-list[data-stage="proposal"]')
    contract = page.locator('.deal-list[data-stage="contract"]')
    await expect(qualification.locator(f"#deal-{deal_id}")).to_be_visible()

    await drag(page, deal_id, "proposal")
    await expect(notice).to_have_text("Сделка переведена на этап «Предложение».")
    await expect(proposal.locator(f"#deal-{deal_id}")).to_be_visible()

    await drag(page, deal_id, "won")  # strict order: the contract comes first
    await expect(notice).to_have_text("Этапы идут по порядку: сначала «Договор».")
    await expect(proposal.locator(f"#deal-{deal_id}")).to_be_visible()
    await snap(page, screenshots, served, "kanban-refused")

    await drag(page, deal_id, "contract")  # the contract needs an amount: fill it, retry
    await expect(notice).to_contain_text("заполните: Сумма")
    await expect(proposal.locator(f"#deal-{deal_id}")).to_be_visible()
    move_form = page.locator("#move-form")
    await move_form.locator('input[name="amount"]').fill("480 000")
    await snap(page, screenshots, served, "kanban-fill")
    await move_form.get_by_role("button", name="Повторить").click()
    await expect(contract.locator(f"#deal-{deal_id}")).to_be_visible()
    await expect(move_form).to_be_hidden()

    await drag(page, deal_id, "lost")  # a reason first, then the head's word
    await expect(notice).to_have_text("Укажите причину, по которой сделка провалена.")
    await expect(contract.locator(f"#deal-{deal_id}")).to_be_visible()
    await move_form.locator('select[name="reason"]').select_option("Нет бюджета")
    await move_form.get_by_role("button", name="Повторить").click()
    await expect(notice).to_have_text("Запрос на закрытие сделки отправлен руководителю.")
    await expect(contract.locator(f"#deal-{deal_id} .pending")).to_contain_text("Нет бюджета")
    deal = await served.api("GET", f"/api/v1/deals/{deal_id}")
    assert deal["amount"] == "480000.00" and deal["stage"] == "contract"

    head = await served.sign_in(browser, "head")
    head_page = await head.new_page()
    await head_page.goto("/deals?pipeline=b2b")
    pending = head_page.locator(f"#deal-{deal_id} .pending")
    await expect(pending).to_contain_text("Ждёт закрытия: Нет бюджета")
    await snap(head_page, screenshots, served, "kanban-approval")
    await pending.get_by_role("button", name="Одобрить").click()
    await expect(head_page.locator(f"#deal-{deal_id}")).to_have_count(0)
    deal = await served.api("GET", f"/api/v1/deals/{deal_id}")
    assert deal["stage"] == "lost"
    await head.close()
    await context.close()


async def test_add_a_task_on_the_card_and_close_it_in_my_tasks(
    browser: Browser, served: Served, screenshots: Path
) -> None:
    lead = await served.lead_for("ivanova", phones(905), name="Пётр Зайцев", comment="Звоните")
    context = await served.sign_in(browser, "ivanova")
    page = await context.new_page()
    await page.goto("/")
    await page.locator(f"#lead-{lead['id']} a.lead-title").click()
    card = page.locator("#card")
    due = (utcnow() + timedelta(hours=2)).astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")
    await card.locator("summary", has_text="Новая задача").click()
    await card.get_by_label("Что сделать").fill("Отправить прайс Петру")
    await card.get_by_label("Срок").fill(due)
    await card.get_by_role("button", name="Добавить задачу").click()
    await expect(card).to_contain_text("Задача добавлена.")
    [task] = (await served.lead(lead["id"]))["tasks"]

    await menu(page, "Мои задачи").click()
    await expect(page.get_by_role("heading", name="Мои задачи")).to_be_visible()
    row = page.locator(f"#task-{task['id']}")
    await expect(row).to_contain_text("Отправить прайс Петру")
    await snap(page, screenshots, served, "tasks")
    await row.get_by_role("button", name="Выполнено").click()
    await expect(row).to_contain_text("Задача выполнена.")
    [closed] = (await served.lead(lead["id"]))["tasks"]
    assert closed["done"] is True
    await page.reload()
    await expect(page.locator(f"#task-{task['id']}")).to_have_count(0)
    await context.close()


async def test_search_a_client_by_a_phone_written_differently(
    browser: Browser, served: Served, screenshots: Path
) -> None:
    lead = await served.lead_for(
        "petrov", phones(985), name="Дарья Кузнецова", email="daria@kuznetsova.ru"
    )
    context = await served.sign_in(browser, "petrov")
    page = await context.new_page()
    await page.goto(f"/leads/{lead['id']}?convert=1")
    await page.locator("#convert form").get_by_role("button", name="Создать сделку").click()
    await page.wait_for_url(re.compile(r"/deals/\d+$"))
    contact_id = (await served.lead(lead["id"]))["contact_id"]
    assert contact_id is not None

    digits = re.sub(r"\D", "", lead["phone"])
    await menu(page, "Клиенты").click()
    await expect(page.get_by_role("heading", name="Клиенты")).to_be_visible()
    await page.get_by_role("searchbox").fill(f"8{digits[1:]}")
    await page.get_by_role("button", name="Найти").click()
    found = page.locator("#found-contacts")
    await expect(found.get_by_role("link", name="Дарья Кузнецова")).to_be_visible()
    await page.set_viewport_size(NARROW)
    await snap(page, screenshots, served, "clients-360")
    await page.set_viewport_size(WIDE)
    await found.get_by_role("link", name="Дарья Кузнецова").click()
    await expect(page).to_have_url(re.compile(rf"/clients/contacts/{contact_id}$"))
    await expect(page.locator("#client-leads")).to_contain_text(f"Заявка №{lead['id']}")
    await context.close()


async def test_open_both_reports(browser: Browser, served: Served, screenshots: Path) -> None:
    # Numbers of its own (a lead made a deal), so both reports have data whatever ran before.
    lead = await served.submit(name="Глеб Орлов", phone=next(phones(915)), comment="Счёт")
    await served.api("POST", f"/api/v1/leads/{lead['id']}/take", {})
    await served.api("POST", f"/api/v1/leads/{lead['id']}/convert", {"pipeline": "main"})
    context = await served.sign_in(browser, "head")
    page = await context.new_page()
    await page.goto("/")
    await menu(page, "Отчёты").click()
    await expect(page.locator("h1")).to_have_text("Отчёты")
    funnel, quality = page.locator("#report-funnel"), page.locator("#report-quality")
    await expect(funnel.locator("h2")).to_have_text("Воронка продаж: Основные продажи")
    await expect(funnel.locator("#chart-funnel svg")).to_be_visible()
    await expect(funnel.locator("#chart-conversion svg")).to_be_visible()
    await expect(quality.locator("h2")).to_have_text("Качество заявок по каналам и формам")
    await expect(quality.locator("#chart-quality svg")).to_be_visible()
    await expect(quality.locator("tbody th").first).to_contain_text("Форма на сайте")
    await snap(page, screenshots, served, "reports")
    await page.set_viewport_size(NARROW)
    await snap(page, screenshots, served, "reports-360")
    await page.set_viewport_size(WIDE)
    await page.locator('select[name="pipeline"]').select_option(label="Оптовые продажи")
    await expect(funnel.locator("h2")).to_have_text("Воронка продаж: Оптовые продажи")
    await context.close()
