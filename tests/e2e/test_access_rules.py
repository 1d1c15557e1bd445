"""The access rules over HTTP, on both databases: clients a manager owns or works with,
duplicate decisions limited to the detector's proposals, converted leads never re-linked."""

from __future__ import annotations

from typing import Any

from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from dedupe.profile import RawIdentity
from intake.clock import utcnow
from tests.e2e.conftest import Running


async def manager_id(running: Running, login: str) -> int:
    """A manager's database id."""
    async with running.services.storage.reader() as uow:
        manager = await uow.managers.get_by_login(login)
    assert manager is not None
    return manager.id


async def seed_contact(running: Running, name: str, phone: str, owner: str | None) -> int:
    """A contact already in the CRM, owned by a login (or nobody)."""
    owner_id = await manager_id(running, owner) if owner else None
    async with running.services.storage.transaction() as uow:
        [contact] = await add_contacts(
            uow,
            [prepare_contact(RawIdentity(name=name, phones=(phone,)), "RU", owner_id=owner_id)],
            utcnow(),
        )
    return contact


async def seed_company(running: Running, name: str, owner: str) -> int:
    """A company already in the CRM, owned by a login."""
    owner_id = await manager_id(running, owner)
    async with running.services.storage.transaction() as uow:
        [company] = await add_companies(
            uow, [prepare_company(RawIdentity(company=name), "RU", owner_id=owner_id)], utcnow()
        )
    return company


async def call(
    running: Running, method: str, path: str, login: str, body: Any = None
) -> tuple[int, Any]:
    """A route as a login calls it: status and JSON."""
    async with running.client.request(
        method, path, json=body, headers=running.auth(login)
    ) as response:
        return response.status, await response.json()


async def lead_of(running: Running, owner: str, **fields: str) -> dict[str, Any]:
    """A form lead, once the detector has decided on it, given to `owner`."""
    async with running.client.post("/api/v1/forms/site", json=fields) as response:
        assert response.status == 202, await response.text()
        intake_id = (await response.json())["intake_id"]
    lead = await running.wait_for_matched(intake_id)
    if lead["assignee"] != owner:
        path = f"/api/v1/leads/{lead['id']}/reassign"
        status, lead = await call(running, "POST", path, "head", {"manager": owner})
        assert status == 200, lead
    return lead


async def test_a_manager_reads_a_client_she_owns_or_works_with(any_db_service: Running) -> None:
    running = any_db_service
    client = await seed_contact(running, "Борис Годунов", "+79035551111", "petrov")
    firm = await seed_company(running, "ООО Годунов", "petrov")
    own = await seed_contact(running, "Вера Иванова", "+79035552222", "ivanova")
    paths = (f"/api/v1/contacts/{client}", f"/api/v1/companies/{firm}")
    for path in paths:
        assert (await call(running, "GET", path, "ivanova"))[0] == 404
        assert (await call(running, "GET", path, "head"))[0] == 200
    assert (await call(running, "GET", f"/api/v1/contacts/{own}", "ivanova"))[0] == 200

    # Ivanova works the client's new request: a lead of hers linked to his contact and company.
    lead = await lead_of(running, "ivanova", name="Борис Годунов", phone="+7 903 555-11-11")
    assert lead["contact_id"] == client
    async with running.services.storage.transaction() as uow:
        await uow.identity.set_company({"leads": [lead["id"]]}, firm, utcnow())
    for path in paths:
        status, body = await call(running, "GET", path, "ivanova")
        assert status == 200, body
    # Seeing his client is not owning it: merging it into hers stays his or a head's call.
    merge = {"survivor_id": own, "merged_id": client}
    status, body = await call(running, "POST", "/api/v1/contacts/merge", "ivanova", merge)
    assert (status, body["error"]) == (403, "forbidden")


async def review_lead(running: Running, owner: str) -> tuple[dict[str, Any], int]:
    """A lead the detector sent to review with one proposed contact, and that contact."""
    olga = await seed_contact(running, "Щукина Ольга Петровна", "+74951112233", "petrov")
    lead = await lead_of(running, owner, name="Olga Shchukina", phone="+7 903 777-66-55")
    assert lead["duplicate_check"]["decision"] == "review", lead["duplicate_check"]
    assert [c["id"] for c in lead["duplicate_check"]["explanation"]["candidates"]] == [olga]
    return lead, olga


async def test_a_manager_confirms_only_a_contact_the_detector_proposed(
    any_db_service: Running,
) -> None:
    running = any_db_service
    lead, olga = await review_lead(running, "ivanova")
    hers = await seed_contact(running, "Вера Иванова", "+79035552222", "ivanova")
    confirm = f"/api/v1/leads/{lead['id']}/match/confirm"
    for contact_id in (hers, 999_999):
        for action in ("confirm", "reject"):
            path = f"/api/v1/leads/{lead['id']}/match/{action}"
            status, body = await call(running, "POST", path, "ivanova", {"contact_id": contact_id})
            assert (status, body["error"], body["field"]) == (
                422,
                "contact_not_proposed",
                "contact_id",
            ), body
    async with running.client.get(f"/api/v1/contacts/{hers}", headers=running.auth()) as r:
        assert "+79037776655" not in (await r.json())["phones"]

    status, body = await call(running, "POST", confirm, "ivanova", {"contact_id": olga})
    assert status == 200 and body["contact_id"] == olga, body


async def test_a_head_confirms_any_contact(any_db_service: Running) -> None:
    running = any_db_service
    lead, _ = await review_lead(running, "ivanova")
    other = await seed_contact(running, "Ольга Щукина", "+79035553333", "ivanova")
    path = f"/api/v1/leads/{lead['id']}/match/confirm"
    status, body = await call(running, "POST", path, "head", {"contact_id": other})
    assert status == 200 and body["contact_id"] == other, body


async def test_a_converted_lead_is_never_relinked(any_db_service: Running) -> None:
    running = any_db_service
    lead, olga = await review_lead(running, "ivanova")
    path = f"/api/v1/leads/{lead['id']}"
    status, converted = await call(running, "POST", f"{path}/convert", "ivanova", {})
    assert status == 201 and converted["contact_id"] != olga, converted
    for login in ("ivanova", "head"):
        for action in ("confirm", "reject"):
            status, body = await call(
                running, "POST", f"{path}/match/{action}", login, {"contact_id": olga}
            )
            assert (status, body["error"], body["field"]) == (409, "lead_converted", "status")
            assert "converted" in body["message"]
    after = (await call(running, "GET", path, "head"))[1]
    assert after["contact_id"] == converted["contact_id"] and after["status"] == "converted"
    async with running.client.get(f"/api/v1/contacts/{olga}", headers=running.auth()) as r:
        assert (await r.json())["phones"] == ["+74951112233"]


async def test_a_lead_is_converted_only_into_a_client_the_manager_may_see(
    any_db_service: Running,
) -> None:
    running = any_db_service
    his = await seed_contact(running, "Борис Годунов", "+79035551111", "petrov")
    firm = await seed_company(running, "ООО Годунов", "petrov")
    hers = await seed_contact(running, "Вера Иванова", "+79035552222", "ivanova")
    lead = await lead_of(running, "ivanova", name="Вера", phone="+7 916 123-00-00")
    path = f"/api/v1/leads/{lead['id']}/convert"
    for body, field in (({"contact_id": his}, "contact_id"), ({"company_id": firm}, "company_id")):
        status, answer = await call(running, "POST", path, "ivanova", body)
        assert (status, answer["error"], answer["field"]) == (404, "not_found", field), answer
    async with running.client.get(f"/api/v1/contacts/{his}", headers=running.auth()) as r:
        assert (await r.json())["phones"] == ["+79035551111"]
    status, answer = await call(running, "POST", path, "ivanova", {"contact_id": hers})
    assert status == 201 and answer["contact_id"] == hers, answer
