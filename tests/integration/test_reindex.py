"""`leadintake dedupe reindex` on both databases: an index written by an older detector (no
corporate-domain keys on contacts and open leads, stale company keys) is brought up to date
in batches, the key counts stay exact, and a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from config import Settings
from crm_core.contacts import add_companies, add_contacts, prepare_company, prepare_contact
from crm_core.model import LeadContactDetails
from crm_core.reindexing import reindex_all
from crm_core.storage import Storage
from crm_core.storage.sqlite import SqliteStorage
from dedupe.keys import TOTAL_KEY, Entity, KeyKind, key
from dedupe.profile import RawIdentity
from tests.e2e.test_cli import run_cli
from tests.integration.test_shared_number_matching import matched_lead

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DOMAIN = key(KeyKind.DOMAIN, "vektor-group.ru")
STALE = key(KeyKind.COMPANY, "stale")


async def old_index(storage: Storage) -> tuple[list[int], int, int]:
    """Three contacts, a company and an open lead, indexed as an older release did."""
    people = [
        RawIdentity(name=f"Сотрудник{n} Игорь", emails=(f"worker{n}@vektor-group.ru",))
        for n in range(3)
    ]
    async with storage.transaction() as uow:
        contacts = await add_contacts(uow, [prepare_contact(p, "RU") for p in people], T0)
        [company] = await add_companies(
            uow, [prepare_company(RawIdentity(company="ТД «Север»"), "RU")], T0
        )
    lead = await open_lead(storage)
    async with storage.transaction() as uow:
        for entity, ids in ((Entity.CONTACT, contacts), (Entity.LEAD, [lead])):
            keyed = await uow.identity.keys_of(entity, ids)
            await uow.identity.unindex(entity, ids)
            await uow.identity.index(entity, [(i, k - {DOMAIN}) for i, k in keyed.items()])
        await uow.identity.unindex(Entity.COMPANY, [company])
        await uow.identity.index(Entity.COMPANY, [(company, {STALE})])
    return contacts, company, lead


async def open_lead(storage: Storage) -> int:
    """A new person's lead from a corporate address (indexed as an open lead)."""
    contact = LeadContactDetails(name="Новиков Пётр", email="novikov@vektor-group.ru")
    lead, match = await matched_lead(storage, contact, "webform", "reindex-1")
    assert match.contact_id is None and match.duplicate_of_id is None
    return lead


async def test_reindex_adds_domain_keys_and_drops_stale_ones(storage: Storage) -> None:
    contacts, company, lead = await old_index(storage)
    async with storage.reader() as uow:
        before = await uow.identity.key_counts([DOMAIN, STALE, TOTAL_KEY])
    assert (DOMAIN, Entity.CONTACT) not in before and before[(STALE, Entity.COMPANY)] == 1

    report = await reindex_all(storage.transaction, batch=2)

    assert report.checked == {Entity.CONTACT: 3, Entity.COMPANY: 1, Entity.LEAD: 1}
    assert report.changed == {Entity.CONTACT: 3, Entity.COMPANY: 1, Entity.LEAD: 1}
    async with storage.reader() as uow:
        counts = await uow.identity.key_counts([DOMAIN, STALE, TOTAL_KEY])
        company_keys = (await uow.identity.keys_of(Entity.COMPANY, [company]))[company]
        lead_keys = (await uow.identity.keys_of(Entity.LEAD, [lead]))[lead]
        found = await uow.identity.find([DOMAIN])
    assert counts[(DOMAIN, Entity.CONTACT)] == 3 and counts[(DOMAIN, Entity.LEAD)] == 1
    assert (STALE, Entity.COMPANY) not in counts
    assert counts[(TOTAL_KEY, Entity.CONTACT)] == before[(TOTAL_KEY, Entity.CONTACT)] == 3
    assert counts[(TOTAL_KEY, Entity.COMPANY)] == 1
    assert STALE not in company_keys and key(KeyKind.COMPANY, "север") in company_keys
    assert DOMAIN in lead_keys
    assert sorted(i for _, e, i in found if e is Entity.CONTACT) == contacts

    again = await reindex_all(storage.transaction, batch=2)

    assert again.changed == {Entity.CONTACT: 0, Entity.COMPANY: 0, Entity.LEAD: 0}
    async with storage.reader() as uow:
        assert await uow.identity.key_counts([DOMAIN, STALE, TOTAL_KEY]) == counts


async def test_the_cli_reindexes_the_configured_database(settings: Settings) -> None:
    storage = SqliteStorage(settings.database.sqlite_path)
    await storage.open()
    try:
        await storage.migrate()
        contacts, _, _ = await old_index(storage)
    finally:
        await storage.close()

    result = run_cli("--config", settings.source, "dedupe", "reindex", "--batch-size", "2")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "reindex: contacts=3 changed=3 companies=1 changed=1 leads=1 changed=1"
    )
    await storage.open()
    try:
        async with storage.reader() as uow:
            found = await uow.identity.find([DOMAIN])
    finally:
        await storage.close()
    assert sorted(i for _, e, i in found if e is Entity.CONTACT) == contacts
