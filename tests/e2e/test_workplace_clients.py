"""Клиенты over HTTP: search by any spelling of a phone, e-mail, INN, name; who sees what."""

from __future__ import annotations

from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_workplace import page, submit

INN = "7707083893"


async def manager_id(running: Running, login: str) -> int:
    """The stored id of a manager."""
    async with running.services.storage.reader() as uow:
        managers = await uow.managers.list()
    return next(m.id for m in managers if m.login == login)


async def add_client(
    running: Running, name: str, phone: str, email: str = "", owner: str | None = None
) -> int:
    """A contact stored (and indexed) the way imports and conversions store them."""
    owner_id = await manager_id(running, owner) if owner else None
    raw = RawIdentity(name=name, phones=(phone,), emails=(email,) if email else ())
    async with running.services.storage.transaction() as uow:
        [contact_id] = await add_contacts(
            uow, [prepare_contact(raw, "RU", owner_id=owner_id)], utcnow()
        )
    return contact_id


async def search(running: Running, query: str, login: str) -> str:
    """The Клиенты page for a query, as a login."""
    async with running.client.get(
        "/clients", params={"q": query}, headers=running.auth(login)
    ) as r:
        assert r.status == 200
        return await r.text()


async def test_a_phone_written_any_way_finds_the_contact(any_db_service: Running) -> None:
    running = any_db_service
    contact = await add_client(
        running, "Петров Иван", "+79161234567", "Ivan.Petrov@Example.ru", owner="ivanova"
    )
    link = f'href="/clients/contacts/{contact}"'
    for query in ("8 (916) 123-45-67", "+7 916 1234567", "9161234567", "89161234567"):
        assert link in await search(running, query, "ivanova"), query
    assert link in await search(running, "IVAN.PETROV@example.RU", "ivanova")
    for query in ("петров", "Иван", "ПЕТРОВ ИВАН"):
        assert link in await search(running, query, "ivanova"), query
    html = await search(running, "8 (916) 123-45-67", "ivanova")
    assert "+7 916 123-45-67" in html and "ivan.petrov@example.ru" in html
    assert "Анна Иванова" in html
    assert link not in await search(running, "+7 916 765-43-21", "ivanova")
    assert "ничего не нашлось" in await search(running, "Сидоров", "ivanova")


async def test_a_company_is_found_by_inn_and_name(any_db_service: Running) -> None:
    running = any_db_service
    raw = RawIdentity(company="ООО «Ромашка»", inn=INN)
    async with running.services.storage.transaction() as uow:
        [company] = await add_companies(uow, [prepare_company(raw, "RU")], utcnow())
    for query in (INN, "ромашка"):
        html = await search(running, query, "head")
        assert f'href="/clients/companies/{company}"' in html and f"ИНН {INN}" in html, query
    worker = RawIdentity(
        name="Соколов Игорь", phones=("+79165550101",), telegram_username="sokolov_i"
    )
    async with running.services.storage.transaction() as uow:
        [contact] = await add_contacts(
            uow, [prepare_contact(worker, "RU", company_id=company)], utcnow()
        )
    status, card = await page(running, f"/clients/companies/{company}", "head")
    assert status == 200 and INN in card and "Ромашка" in card
    assert f'href="/clients/contacts/{contact}"' in card
    status, _ = await page(running, f"/clients/companies/{company}", "ivanova")
    assert status == 404  # nobody's: the head's only, until a lead links a manager
    lead = await submit(running, name="Игорь Соколов", phone="8 916 555 01 01")
    assert lead["contact_id"] == contact
    _, card = await page(running, f"/clients/companies/{company}", "head")
    assert f'href="/leads/{lead["id"]}"' in card
    status, card = await page(running, f"/clients/contacts/{contact}", "head")
    assert status == 200 and f'href="/clients/companies/{company}"' in card
    assert "sokolov_i" in card and "Telegram" in card


async def test_an_unowned_contact_is_the_heads_only(any_db_service: Running) -> None:
    running = any_db_service
    unowned = await add_client(running, "Ничейный Клиент", "+79035550011")
    theirs = await add_client(running, "Чужой Клиент", "+79035550022", owner="petrov")
    for contact, phone in ((unowned, "8 903 555-00-11"), (theirs, "89035550022")):
        link = f'href="/clients/contacts/{contact}"'
        assert link not in await search(running, phone, "ivanova")
        assert link in await search(running, phone, "head")
        status, html = await page(running, f"/clients/contacts/{contact}", "ivanova")
        assert status == 404 and "Не найдено" in html
        status, _ = await page(running, f"/clients/contacts/{contact}", "head")
        assert status == 200
    assert "Ничейный" not in await search(running, "Клиент", "ivanova")
    status, _ = await page(running, "/clients/contacts/999999", "head")
    assert status == 404


async def test_the_contact_card_lists_its_leads(any_db_service: Running) -> None:
    running = any_db_service
    contact = await add_client(
        running, "Орлова Мария", "+79167770011", "maria@orlova.ru", owner="ivanova"
    )
    lead = await submit(running, name="Мария Орлова", phone="8 916 777-00-11")
    assert lead["contact_id"] == contact
    status, html = await page(running, f"/clients/contacts/{contact}", "ivanova")
    assert status == 200
    for text in (
        "Орлова Мария",
        "+7 916 777-00-11",
        "maria@orlova.ru",
        f'href="/leads/{lead["id"]}"',
    ):
        assert text in html, text


async def test_what_was_typed_and_stored_is_escaped(service: Running) -> None:
    contact = await add_client(
        service, "<script>alert(1)</script>", "+79160000077", owner="ivanova"
    )
    html = await search(service, "<script>", "ivanova")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _, card = await page(service, f"/clients/contacts/{contact}", "ivanova")
    assert "<script>alert(1)</script>" not in card and "&lt;script&gt;" in card
    html = await search(service, '"><b>x</b>%_', "ivanova")
    assert "<b>x</b>" not in html and "ничего не нашлось" in html
