"""The duplicate detector against the persistent index on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_core.contacts import (
    add_companies,
    add_contacts,
    keyed_contact,
    prepare_company,
    prepare_contact,
    store_contacts,
)
from crm_core.storage import Storage
from dedupe.decision import Decision, Thresholds, Verdict
from dedupe.detector import Detector
from dedupe.keys import (
    REJECTIONS_KEY,
    RETRIEVAL_CAPS,
    TOTAL_KEY,
    Entity,
    kind_of,
    lookup_keys,
    person_keys,
    rejection_keys,
)
from dedupe.ports import candidates_by_steps
from dedupe.profile import RawIdentity, build_profile

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


async def load_base(storage: Storage) -> dict[str, int]:
    """A small client base: a family sharing a phone, an office, a namesake."""
    async with storage.transaction() as uow:
        [romashka] = await add_companies(
            uow,
            [
                prepare_company(
                    RawIdentity(
                        company="ООО «Ромашка»",
                        inn="7707083893",
                        phones=("+7 495 111-22-33",),
                        emails=("info@romashka.ru",),
                        website="https://www.romashka.ru/",
                    ),
                    "RU",
                )
            ],
            T0,
        )
        people = {
            "ivan": RawIdentity(
                name="Петров Иван Сергеевич",
                phones=("+7 916 123-45-67",),
                emails=("ivan.petrov@mail.ru",),
            ),
            "maria": RawIdentity(name="Петрова Мария", phones=("+7 916 123-45-67",)),
            "olga": RawIdentity(
                name="Ольга Щукина",
                phones=("+7 495 111-22-33",),
                emails=("info@romashka.ru", "o.schukina@romashka.ru"),
                company="Ромашка",
            ),
            "namesake": RawIdentity(name="Иван Петров", phones=("+7 903 000-00-01",)),
            "tg": RawIdentity(name="Юрий Кац", telegram_id="123456789"),
        }
        ids = await add_contacts(
            uow,
            [
                prepare_contact(raw, "RU", company_id=romashka if key == "olga" else None)
                for key, raw in people.items()
            ],
            T0,
        )
    return {**dict(zip(people, ids, strict=True)), "romashka": romashka}


async def detect(storage: Storage, raw: RawIdentity) -> Decision:
    async with storage.transaction() as uow:
        return await Detector(Thresholds()).detect(build_profile(raw, "RU"), uow.identity)


async def test_unique_phone_in_another_spelling_links_automatically(storage: Storage) -> None:
    ids = await load_base(storage)
    decision = await detect(storage, RawIdentity(name="Ваня", phones=("8 (916) 123-45-67",)))
    assert decision.verdict is Verdict.AUTO
    assert decision.contact_id == ids["ivan"]
    explained = decision.explanation()
    fields = {e["field"] for e in explained["candidates"][0]["evidence"]}
    assert {"phone", "first_name"} <= fields
    assert explained["reason"]


async def test_family_phone_with_another_first_name_is_not_linked(storage: Storage) -> None:
    ids = await load_base(storage)
    decision = await detect(storage, RawIdentity(name="Петров Олег", phones=("+79161234567",)))
    assert decision.verdict is not Verdict.AUTO
    maria = await detect(storage, RawIdentity(name="Мария", phones=("+79161234567",)))
    assert maria.verdict is Verdict.AUTO and maria.contact_id == ids["maria"]


async def test_name_alone_is_never_automatic(storage: Storage) -> None:
    ids = await load_base(storage)
    decision = await detect(storage, RawIdentity(name="Ольга Щукина", phones=("+79990001122",)))
    assert decision.verdict is Verdict.REVIEW
    assert decision.contact_id == ids["olga"]


async def test_latin_spelling_and_role_mailbox(storage: Storage) -> None:
    ids = await load_base(storage)
    decision = await detect(
        storage, RawIdentity(name="Olga Shchukina", emails=("O.Schukina@Romashka.ru",))
    )
    assert decision.verdict is Verdict.AUTO and decision.contact_id == ids["olga"]
    assert decision.company_id == ids["romashka"]
    colleague = await detect(
        storage, RawIdentity(name="Анна Белова", emails=("info@romashka.ru",))
    )
    assert colleague.verdict is Verdict.NEW
    assert colleague.company_id == ids["romashka"]


async def test_messenger_id_links_and_inn_finds_the_company(storage: Storage) -> None:
    ids = await load_base(storage)
    decision = await detect(storage, RawIdentity(name="Юра", telegram_id="123456789"))
    assert decision.verdict is Verdict.AUTO and decision.contact_id == ids["tg"]
    company = await detect(
        storage, RawIdentity(name="Сергей Новиков", company="Ромашка", inn="7707083893")
    )
    assert company.verdict is Verdict.NEW and company.company_id == ids["romashka"]


async def test_phone_in_free_text_is_evidence(storage: Storage) -> None:
    ids = await load_base(storage)
    decision = await detect(
        storage, RawIdentity(name="Иван Петров", text="Перезвоните мне на 8 916 123 45 67")
    )
    assert decision.verdict is Verdict.AUTO and decision.contact_id == ids["ivan"]


async def test_rejection_is_remembered_for_that_identity(storage: Storage) -> None:
    ids = await load_base(storage)
    lead = RawIdentity(name="Ольга Щукина", phones=("+79990001122",))
    async with storage.transaction() as uow:
        await uow.identity.reject(ids["olga"], rejection_keys(build_profile(lead, "RU")), T0)
    again = await detect(storage, lead)
    assert again.verdict is Verdict.NEW
    with_her_email = await detect(
        storage, RawIdentity(name="Ольга Щукина", emails=("o.schukina@romashka.ru",))
    )
    assert with_her_email.verdict is Verdict.AUTO and with_her_email.contact_id == ids["olga"]


async def test_one_candidates_call_reads_what_the_separate_calls_read(storage: Storage) -> None:
    ids = await load_base(storage)
    lead = build_profile(
        RawIdentity(
            name="Петров Иван",
            phones=("+7 916 123-45-67", "+7 495 111-22-33"),
            emails=("ivan.petrov@mail.ru",),
            company="ООО Ромашка",
            inn="7707083893",
            telegram_id="123456789",
        )
    )
    caps = {k: RETRIEVAL_CAPS[kind_of(k)] for k in lookup_keys(lead)}
    caps.update({TOTAL_KEY: 0, REJECTIONS_KEY: 0})
    async with storage.transaction() as uow:
        await uow.identity.reject(ids["maria"], rejection_keys(lead), T0)
        found = await uow.identity.candidates(caps, rejection_keys(lead))
        by_steps = await candidates_by_steps(uow.identity, caps, rejection_keys(lead))
    assert set(found.contacts) == {ids[k] for k in ("ivan", "maria", "olga", "namesake", "tg")}
    assert set(found.companies) == {ids["romashka"]}
    assert found.rejected == {ids["maria"]}
    assert sorted(found.rows) == sorted(by_steps.rows)
    assert (found.counts, found.contacts, found.companies, found.open_leads, found.rejected) == (
        by_steps.counts,
        by_steps.contacts,
        by_steps.companies,
        by_steps.open_leads,
        by_steps.rejected,
    )


async def test_counts_follow_index_and_unindex(storage: Storage) -> None:
    ids = await load_base(storage)
    async with storage.transaction() as uow:
        before = await uow.identity.key_counts(["p:+79161234567"])
        assert before[("p:+79161234567", Entity.CONTACT)] == 2
        assert await uow.identity.contacts_total() == 5
        await uow.identity.unindex(Entity.CONTACT, [ids["maria"]])
        after = await uow.identity.key_counts(["p:+79161234567"])
        assert after[("p:+79161234567", Entity.CONTACT)] == 1
        assert await uow.identity.contacts_total() == 4
        profile = build_profile(RawIdentity(name="Петрова Мария", phones=("+79161234567",)))
        await uow.identity.index(Entity.CONTACT, [(ids["maria"], person_keys(profile))])
    decision = await detect(storage, RawIdentity(phones=("+79161234567",)))
    assert decision.verdict is Verdict.REVIEW  # two people share it, no name to choose


async def test_indexing_the_same_keys_twice_counts_them_once(storage: Storage) -> None:
    ids = await load_base(storage)
    profile = build_profile(RawIdentity(name="Петров Иван Сергеевич", phones=("+79161234567",)))
    async with storage.transaction() as uow:
        await uow.identity.index(Entity.CONTACT, [(ids["ivan"], person_keys(profile))])
        counts = await uow.identity.key_counts(["p:+79161234567"])
        total = await uow.identity.contacts_total()
    assert counts[("p:+79161234567", Entity.CONTACT)] == 2
    assert total == 5


async def test_staged_records_are_indexed_at_the_merge_as_indexing_would(
    storage: Storage,
) -> None:
    people = [
        RawIdentity(name="Петров Иван Сергеевич", phones=("+7 916 123-45-67",)),
        RawIdentity(name="Петрова Мария", phones=("+7 916 123-45-67",), emails=("m@vector.ru",)),
        RawIdentity(name="Юрий Кац", telegram_id="123456789"),
        RawIdentity(),  # no keys: not counted among the indexed records
    ]
    keyed = [keyed_contact(prepare_contact(raw, "RU")) for raw in people]
    async with storage.transaction() as uow:
        first = await store_contacts(uow, keyed[:2], T0, staged=True)
        # Staged records are stored but not yet found.
        assert await uow.identity.key_counts(["p:+79161234567"]) == {}
        assert await uow.identity.keys_of(Entity.CONTACT, first) == {}
        await uow.identity.merge_staged()  # a backlog larger than the index: owner index rebuilt
    async with storage.transaction() as uow:
        second = await store_contacts(uow, keyed[2:], T0, staged=True)
        await uow.identity.merge_staged()  # a small one beside the index
    ids = [*first, *second]
    async with storage.transaction() as uow:
        counts = await uow.identity.key_counts(["p:+79161234567", "dom:vector.ru", "tg:123456789"])
        keys = await uow.identity.keys_of(Entity.CONTACT, ids)
        total = await uow.identity.contacts_total()
        await uow.identity.unindex(Entity.CONTACT, [ids[0]])
        after = await uow.identity.key_counts(["p:+79161234567"])
    assert counts == {
        ("p:+79161234567", Entity.CONTACT): 2,
        ("dom:vector.ru", Entity.CONTACT): 1,
        ("tg:123456789", Entity.CONTACT): 1,
    }
    assert keys == {i: set(k) for i, (_, k) in zip(ids, keyed, strict=True) if k}
    assert total == 3
    assert after == {("p:+79161234567", Entity.CONTACT): 1}
    decision = await detect(storage, RawIdentity(name="Юра Кац", telegram_id="123456789"))
    assert decision.verdict is Verdict.AUTO and decision.contact_id == ids[2]


async def test_a_large_backlog_beside_indexed_records_adds_to_their_counts(
    storage: Storage,
) -> None:
    people = [
        RawIdentity(name="Петров Иван", phones=("+7 916 123-45-67",)),
        RawIdentity(name="Петрова Мария", phones=("+7 916 123-45-67",)),
        RawIdentity(name="Петров Олег", phones=("+7 916 123-45-67",), emails=("o@vector.ru",)),
    ]
    keyed = [keyed_contact(prepare_contact(raw, "RU")) for raw in people]
    async with storage.transaction() as uow:
        first = await store_contacts(uow, keyed[:1], T0)
    async with storage.transaction() as uow:
        # More staged keys than indexed records: the index is rebuilt, the counts added to.
        await store_contacts(uow, keyed[1:], T0, staged=True)
        await uow.identity.merge_staged()
    async with storage.transaction() as uow:
        counts = await uow.identity.key_counts(["p:+79161234567", "dom:vector.ru"])
        total = await uow.identity.contacts_total()
        await uow.identity.unindex(Entity.CONTACT, first)
        after = await uow.identity.key_counts(["p:+79161234567"])
    assert counts == {
        ("p:+79161234567", Entity.CONTACT): 3,
        ("dom:vector.ru", Entity.CONTACT): 1,
    }
    assert total == 3
    assert after == {("p:+79161234567", Entity.CONTACT): 2}
