"""Duplicate decisions over HTTP: a repeat lead is linked, review is confirmed or rejected,
contacts are merged and the merge undone."""

from __future__ import annotations

from typing import Any

from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.e2e.conftest import Running

FORM_URL = "/api/v1/forms/site"


async def seed(running: Running, *people: RawIdentity) -> list[int]:
    """Contacts already in the CRM."""
    async with running.services.storage.transaction() as uow:
        return await add_contacts(uow, [prepare_contact(p, "RU") for p in people], utcnow())


async def submit(running: Running, **fields: str) -> dict[str, Any]:
    """Post a form and wait for its lead."""
    async with running.client.post(FORM_URL, json=fields) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]
    return await running.wait_for_matched(intake_id)


async def post(running: Running, url: str, body: object, login: str = "head") -> Any:
    async with running.client.post(url, json=body, headers=running.auth(login)) as response:
        return response.status, await response.json()


async def test_repeat_lead_is_linked_with_an_explanation(any_db_service: Running) -> None:
    [anna] = await seed(
        any_db_service, RawIdentity(name="Анна Смирнова", phones=("+7 916 555-44-33",))
    )
    lead = await submit(any_db_service, name="Аня", phone="8 (916) 555-44-33")
    assert lead["contact_id"] == anna and lead["is_repeat"] is True
    check = lead["duplicate_check"]
    assert check["decision"] == "auto"
    fields = {e["field"] for e in check["explanation"]["candidates"][0]["evidence"]}
    assert {"phone", "first_name"} <= fields


async def test_review_confirmed_then_the_new_phone_links_by_itself(
    any_db_service: Running,
) -> None:
    running = any_db_service
    [olga] = await seed(
        running, RawIdentity(name="Щукина Ольга Петровна", phones=("+74951112233",))
    )
    lead = await submit(running, name="Olga Shchukina", phone="+7 903 777-66-55")
    assert lead["duplicate_check"]["decision"] == "review"
    assert lead["contact_id"] is None
    assert lead["duplicate_check"]["explanation"]["candidates"][0]["id"] == olga
    status, body = await post(
        running, f"/api/v1/leads/{lead['id']}/match/confirm", {"contact_id": olga}
    )
    assert status == 200 and body["contact_id"] == olga and body["is_repeat"] is True
    async with running.client.get(f"/api/v1/contacts/{olga}", headers=running.auth()) as r:
        contact = await r.json()
    assert "+79037776655" in contact["phones"]
    again = await submit(running, phone="+7 903 777 66 55", name="Ольга")
    assert again["duplicate_check"]["decision"] == "auto" and again["contact_id"] == olga


async def test_rejection_is_never_proposed_again(any_db_service: Running) -> None:
    running = any_db_service
    [ivan] = await seed(
        running, RawIdentity(name="Петров Иван Сергеевич", phones=("+74951112233",))
    )
    first = await submit(running, name="Петров Иван Сергеевич", email="ivan@example.org")
    assert first["duplicate_check"]["decision"] == "review"
    status, body = await post(
        running, f"/api/v1/leads/{first['id']}/match/reject", {"contact_id": ivan}
    )
    assert status == 200 and body["duplicate_check"]["decision"] == "new"
    second = await submit(running, name="Иван Петров", email="IVAN@example.org")
    assert second["contact_id"] is None
    proposed = second["duplicate_check"]["explanation"]["candidates"]
    assert all(c["entity"] != "contact" for c in proposed)
    assert second["duplicate_of"] == first["id"]  # the same person's open lead, not Ivan


async def test_bad_decision_requests_name_the_field(service: Running) -> None:
    [contact] = await seed(service, RawIdentity(name="Анна", phones=("+79165554433",)))
    lead = await submit(service, name="Аня", phone="+79165554433")
    url = f"/api/v1/leads/{lead['id']}/match/confirm"
    assert (await post(service, url, {}))[1]["field"] == "contact_id"
    status, body = await post(service, url, {"contact_id": contact + 100})
    assert status == 404 and body["field"] == "contact_id"
    status, _ = await post(service, "/api/v1/leads/999999/match/reject", {"contact_id": contact})
    assert status == 404
    async with service.client.post(url, json={"contact_id": contact}) as response:
        assert response.status == 401


async def test_merge_keeps_every_identity_and_undo_restores(any_db_service: Running) -> None:
    running = any_db_service
    first, second = await seed(
        running,
        RawIdentity(name="Иван Петров", phones=("+79161234567",)),
        RawIdentity(name="Петров Иван Сергеевич", emails=("ivan.petrov@mail.ru",)),
    )
    lead = await submit(running, name="Иван", email="ivan.petrov@mail.ru")
    assert lead["contact_id"] == second
    status, body = await post(
        running,
        "/api/v1/contacts/merge",
        {"survivor_id": first, "merged_id": second, "fields": {"name": "merged"}},
    )
    assert status == 201, body
    merged = body["contact"]
    assert merged["name"] == "Петров Иван Сергеевич"
    assert merged["phones"] == ["+79161234567"] and merged["emails"] == ["ivan.petrov@mail.ru"]
    moved = await running.lead(lead["id"])
    assert moved["contact_id"] == first
    by_email = await submit(running, name="Иван", email="ivan.petrov@mail.ru")
    assert by_email["contact_id"] == first
    status, body = await post(running, f"/api/v1/contacts/merges/{body['merge_id']}/undo", {})
    assert status == 200 and body["restored"]["id"] == second
    assert (await running.lead(lead["id"]))["contact_id"] == second
    async with running.client.get(f"/api/v1/contacts/{first}", headers=running.auth()) as r:
        assert (await r.json())["emails"] == []
    status, _ = await post(running, f"/api/v1/contacts/merges/{body['merge_id']}/undo", {})
    assert status == 409


async def test_merge_needs_rights_and_sane_input(service: Running) -> None:
    first, second = await seed(
        service,
        RawIdentity(name="Иван Петров", phones=("+79161234567",)),
        RawIdentity(name="Пётр Иванов", phones=("+79161234568",)),
    )
    url = "/api/v1/contacts/merge"
    # Contacts nobody owns and no lead of his links to are not petrov's to see, let alone merge.
    status, body = await post(service, url, {"survivor_id": first, "merged_id": second}, "petrov")
    assert (status, body["field"]) == (404, "survivor_id")
    status, body = await post(service, url, {"survivor_id": first, "merged_id": first})
    assert status == 422 and body["field"] == "merged_id"
    status, body = await post(
        service, url, {"survivor_id": first, "merged_id": second, "fields": {"inn": "merged"}}
    )
    assert status == 422 and body["field"] == "fields"


async def test_second_message_of_a_new_person_joins_their_open_lead(
    any_db_service: Running,
) -> None:
    running = any_db_service
    first = await submit(running, name="Мария Котова", phone="+7 916 000-11-22")
    assert first["duplicate_check"]["decision"] == "new" and first["duplicate_of"] is None
    second = await submit(running, name="Маша", phone="8 916 000 11 22", email="kotova@mail.ru")
    assert second["duplicate_check"]["decision"] == "auto"
    assert second["duplicate_of"] == first["id"] and second["contact_id"] is None
    # Her e-mail, learned from the second message, now leads to the same open lead.
    third = await submit(running, name="Мария", email="Kotova@Mail.ru")
    assert third["duplicate_of"] == first["id"]
    stranger = await submit(running, name="Олег", phone="+7 916 000-11-23")
    assert stranger["duplicate_of"] is None


async def test_leads_waiting_for_review_can_be_listed(service: Running) -> None:
    [olga] = await seed(
        service, RawIdentity(name="Щукина Ольга Петровна", phones=("+74951112233",))
    )
    review = await submit(service, name="Ольга Щукина", email="olga@example.org")
    await submit(service, name="Пётр", phone="+79990001111")
    listed = await service.leads(query="duplicate_check=review")
    assert [lead["id"] for lead in listed] == [review["id"]]
    await post(service, f"/api/v1/leads/{review['id']}/match/confirm", {"contact_id": olga})
    assert await service.leads(query="duplicate_check=review") == []
    of_olga = await service.leads(query=f"contact_id={olga}")
    assert [lead["id"] for lead in of_olga] == [review["id"]]
    async with service.client.get(
        "/api/v1/leads?duplicate_check=maybe", headers=service.auth()
    ) as response:
        assert response.status == 400
        assert (await response.json())["field"] == "duplicate_check"


async def test_company_merge_moves_contacts_and_undo_restores(any_db_service: Running) -> None:
    running = any_db_service
    async with running.services.storage.transaction() as uow:
        romashka, dupe = await add_companies(
            uow,
            [
                prepare_company(RawIdentity(company="ООО «Ромашка»", inn="7707083893"), "RU"),
                prepare_company(
                    RawIdentity(company="Romashka LLC", phones=("+7 495 111-22-33",)), "RU"
                ),
            ],
            utcnow(),
        )
        [olga] = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(name="Ольга", phones=("+79160000001",)), "RU", company_id=dupe
                )
            ],
            utcnow(),
        )
    status, body = await post(
        running, "/api/v1/companies/merge", {"survivor_id": romashka, "merged_id": dupe}
    )
    assert status == 201, body
    assert body["company"]["inn"] == "7707083893"
    assert body["company"]["phones"] == ["+74951112233"]
    async with running.client.get(f"/api/v1/contacts/{olga}", headers=running.auth()) as r:
        assert (await r.json())["company_id"] == romashka
    # The merged company's phone now finds the survivor.
    lead = await submit(running, name="Игорь", phone="+7 495 111 22 33")
    assert lead["company_id"] == romashka
    status, undone = await post(running, f"/api/v1/companies/merges/{body['merge_id']}/undo", {})
    assert status == 200 and undone["restored"]["id"] == dupe
    async with running.client.get(f"/api/v1/contacts/{olga}", headers=running.auth()) as r:
        assert (await r.json())["company_id"] == dupe
    async with running.client.get(f"/api/v1/companies/{romashka}", headers=running.auth()) as r:
        assert (await r.json())["phones"] == []
    status, _ = await post(running, f"/api/v1/contacts/merges/{body['merge_id']}/undo", {})
    assert status == 404  # a company merge is not undone through the contacts route
