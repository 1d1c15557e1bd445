"""A known person writes from a new company (same mobile, new e-mail): the contact moves to
it, and the company it left stays in its history, its timeline and its card."""

from __future__ import annotations

from typing import Any

from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.e2e.conftest import Running
from tests.e2e.test_duplicates_api import post, submit
from tests.e2e.test_workplace import page

VEKTOR_INN = "7707083893"
MOBILE = "+79161234567"


async def known_person(running: Running) -> tuple[int, int]:
    """Игорь Зябликов of ООО «Вектор»: (contact id, company id)."""
    async with running.services.storage.transaction() as uow:
        [vektor] = await add_companies(
            uow,
            [prepare_company(RawIdentity(company="ООО «Вектор»", inn=VEKTOR_INN), "RU")],
            utcnow(),
        )
        [contact] = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(
                        name="Зябликов Игорь Петрович",
                        phones=(MOBILE,),
                        emails=("zyablikov@vektor-group.ru",),
                        company="ООО «Вектор»",
                    ),
                    "RU",
                    company_id=vektor,
                )
            ],
            utcnow(),
        )
    return contact, vektor


async def contact_json(running: Running, contact_id: int) -> dict[str, Any]:
    async with running.client.get(
        f"/api/v1/contacts/{contact_id}", headers=running.auth()
    ) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def test_a_job_change_moves_the_contact_and_keeps_the_old_company(
    any_db_service: Running,
) -> None:
    running = any_db_service
    contact_id, vektor = await known_person(running)

    lead = await submit(
        running,
        name="Игорь Зябликов",
        phone="8 (916) 123-45-67",
        email="i.zyablikov@romashka-trade.ru",
        company="ООО «Ромашка»",
    )

    check = lead["duplicate_check"]
    assert (check["decision"], lead["contact_id"]) == ("auto", contact_id)
    assert check["explanation"]["previous_company_id"] == vektor
    new_company = lead["company_id"]
    assert new_company is not None and new_company != vektor
    contact = await contact_json(running, contact_id)
    assert (contact["company_id"], contact["company"]) == (new_company, "ООО «Ромашка»")
    [past] = contact["previous_companies"]
    assert (past["id"], past["name"]) == (vektor, "ООО «Вектор»")
    notes = [a["text"] for a in contact["activities"] if a["kind"] == "note"]
    assert notes == ["Сменил(а) компанию: ООО «Вектор» → ООО «Ромашка»"]
    async with running.client.get(
        f"/api/v1/companies/{new_company}", headers=running.auth()
    ) as response:
        assert (await response.json())["name"] == "ООО «Ромашка»"

    status, html = await page(running, f"/clients/contacts/{contact_id}", "head")
    assert status == 200
    assert "Прежние компании" in html and f'href="/clients/companies/{vektor}"' in html
    assert "Сменил(а) компанию: ООО «Вектор» → ООО «Ромашка»" in html

    # The person writes again from the new company: nothing more moves.
    again = await submit(running, name="Игорь Зябликов", phone="+7 916 123 45 67")
    assert (again["contact_id"], again["company_id"]) == (contact_id, new_company)
    assert len((await contact_json(running, contact_id))["previous_companies"]) == 1


async def test_a_job_change_to_a_known_company_links_that_company(service: Running) -> None:
    running = service
    contact_id, vektor = await known_person(running)
    async with running.services.storage.transaction() as uow:
        [romashka] = await add_companies(
            uow, [prepare_company(RawIdentity(company="АО «Ромашка»"), "RU")], utcnow()
        )

    lead = await submit(
        running, name="Игорь Зябликов", phone="8 916 123-45-67", company="Romashka JSC"
    )

    assert (lead["contact_id"], lead["company_id"]) == (contact_id, romashka)
    contact = await contact_json(running, contact_id)
    assert contact["company_id"] == romashka
    assert [p["id"] for p in contact["previous_companies"]] == [vektor]


async def test_a_contact_without_a_job_change_has_no_previous_companies(
    service: Running,
) -> None:
    running = service
    contact_id, vektor = await known_person(running)

    lead = await submit(running, name="Игорь", phone="8 916 123-45-67", company="Вектор")

    assert (lead["contact_id"], lead["company_id"]) == (contact_id, vektor)
    contact = await contact_json(running, contact_id)
    assert contact["previous_companies"] == [] and contact["company_id"] == vektor
    status, html = await page(running, f"/clients/contacts/{contact_id}", "head")
    assert status == 200 and "Прежние компании" not in html


async def test_rejecting_the_link_undoes_the_job_change(any_db_service: Running) -> None:
    running = any_db_service
    contact_id, vektor = await known_person(running)
    lead = await submit(
        running,
        name="Игорь Зябликов",
        phone="8 (916) 123-45-67",
        email="i.zyablikov@romashka-trade.ru",
        company="ООО «Ромашка»",
    )
    assert lead["contact_id"] == contact_id
    assert (await contact_json(running, contact_id))["company_id"] != vektor

    status, body = await post(
        running, f"/api/v1/leads/{lead['id']}/match/reject", {"contact_id": contact_id}
    )

    assert status == 200, body
    contact = await contact_json(running, contact_id)
    assert (contact["company_id"], contact["company"]) == (vektor, "ООО «Вектор»")
    assert contact["previous_companies"] == []
    notes = [a["text"] for a in contact["activities"] if a["kind"] == "note"]
    assert any(n.startswith("Смена компании отменена (обращение №") for n in notes), notes


async def test_confirming_a_lead_from_another_company_moves_the_contact(
    any_db_service: Running,
) -> None:
    running = any_db_service
    contact_id, vektor = await known_person(running)
    # Only the name and another identified company: never linked automatically.
    lead = await submit(
        running,
        name="Зябликов Игорь Петрович",
        email="zyablikov@romashka-trade.ru",
        company="ООО «Ромашка»",
        inn="7702070139",
    )
    check = lead["duplicate_check"]
    assert lead["contact_id"] is None and contact_id in [
        c["id"] for c in check["explanation"]["candidates"]
    ]
    # The head knows better: it is him, at a new job.
    status, body = await post(
        running, f"/api/v1/leads/{lead['id']}/match/confirm", {"contact_id": contact_id}
    )
    assert status == 200, body
    contact = await contact_json(running, contact_id)
    assert contact["company_id"] not in (None, vektor)
    assert [p["id"] for p in contact["previous_companies"]] == [vektor]
