"""One person's open leads joined by a request that ties them together (issue 16), and the
join undone from its journal, on real storage."""

from __future__ import annotations

import pytest

from crm_core.chains import join_chain, undo_lead_join
from crm_core.errors import MergeError
from crm_core.inbound import Sender, Submission, handle_message, handle_request, prepare
from crm_core.model import Lead
from crm_core.sales import ActivityKind, NewActivity, RecordKind
from crm_core.storage import Storage
from dedupe.decision import Decision, Verdict
from dedupe.keys import Entity
from tests.integration.test_inbound import PHONE, SETUP, T0, leads, stored

VK_ID = "61234987"
VK_KEY = f"vk:{VK_ID}"


async def submission(
    storage: Storage, external_id: str, channel: str, text: str, sender: Sender
) -> Submission:
    return Submission(
        inbox_id=await stored(storage, channel, external_id),
        channel=channel,
        source="sales",
        received_at=T0,
        sender=sender,
        comment=text,
    )


async def message(storage: Storage, external_id: str, channel: str, text: str, **who: str) -> int:
    """Handle one message; the lead (new or open) it went to."""
    ids = {k: v for k, v in who.items() if k in ("telegram_id", "vk_id")}
    sender = Sender(name=who.get("name"), phone=who.get("phone"), messenger_ids=ids)
    prep = prepare(await submission(storage, external_id, channel, text, sender), SETUP)
    async with storage.transaction() as uow:
        [handled] = await handle_message(uow, [prep], T0, SETUP)
    assert handled.lead_id is not None
    return handled.lead_id


async def lead_form(storage: Storage, external_id: str = "form-1") -> int:
    """The VK lead-ads form: the phone of the Telegram lead and the VK id of the VK lead."""
    sender = Sender(
        first_name="Иван",
        last_name="Петров",
        patronymic="Сергеевич",
        phone=PHONE,
        email="ivan.petrov@mail.ru",
        messenger_ids={"vk_id": VK_ID},
    )
    prep = prepare(await submission(storage, external_id, "vk", "Замер окон", sender), SETUP)
    async with storage.transaction() as uow:
        [handled] = await handle_request(uow, [prep], T0, SETUP)
    assert handled.lead_id is not None
    return handled.lead_id


async def chain(storage: Storage) -> tuple[int, int, int]:
    """Telegram (with the phone), then VK, then the form: (telegram, vk, form) lead ids."""
    telegram = await message(
        storage, "t1", "telegram", "Сколько стоят окна?", telegram_id="42", name="Иван Петров"
    )
    assert await message(storage, "t2", "telegram", "", telegram_id="42", phone=PHONE) == telegram
    assert f"p:{PHONE}" in await keys(storage, telegram)  # the contact button's phone finds it
    vk = await message(storage, "v1", "vk", "Нужны окна", vk_id=VK_ID)
    async with storage.transaction() as uow:
        await uow.sales.add_activity(note(vk, "Перезвонить вечером"), T0)
    return telegram, vk, await lead_form(storage)


def note(lead_id: int, text: str) -> NewActivity:
    return NewActivity(RecordKind.LEAD, lead_id, ActivityKind.NOTE, text, T0, "ivanova", None)


async def lead(storage: Storage, lead_id: int) -> Lead:
    async with storage.reader() as uow:
        found = await uow.leads.get(lead_id)
    assert found is not None
    return found


async def keys(storage: Storage, lead_id: int) -> set[str]:
    async with storage.reader() as uow:
        return (await uow.identity.keys_of(Entity.LEAD, [lead_id])).get(lead_id, set())


async def texts(storage: Storage, lead_id: int) -> list[str]:
    async with storage.reader() as uow:
        return [a.text or "" for a in await uow.sales.activities_of(RecordKind.LEAD, lead_id)]


async def test_a_form_tying_two_open_leads_joins_them_into_the_earliest(
    storage: Storage,
) -> None:
    telegram, vk, form = await chain(storage)

    survivor, joined, made = [await lead(storage, i) for i in (telegram, vk, form)]
    assert made.match is not None and made.match.decision == "auto"
    assert made.match.duplicate_of_id == telegram
    assert "объединены в №" in made.match.explanation["reason"]
    assert joined.match is not None and joined.match.duplicate_of_id == telegram
    assert joined.assignee_id == survivor.assignee_id and joined.accept_by is None
    assert survivor.data.contact.messenger_ids == {"telegram_id": "42", "vk_id": VK_ID}
    assert survivor.data.contact.email == "ivan.petrov@mail.ru"
    assert {f"p:{PHONE}", VK_KEY} <= await keys(storage, telegram)
    assert await keys(storage, vk) == set()
    on_survivor = await texts(storage, telegram)
    assert any(t.startswith(f"Нужны окна (заявка №{vk}, vk") for t in on_survivor)
    assert "Перезвонить вечером" in on_survivor  # the joined lead's own activity moved
    assert await texts(storage, vk) == []
    # The person's next VK message goes onto the one open lead.
    assert await message(storage, "v2", "vk", "Когда замер?", vk_id=VK_ID) == telegram
    async with storage.reader() as uow:
        [entry] = await uow.leads.joins_of(vk)
        audit = await uow.audit.for_entity("lead", telegram)
    assert (entry.survivor_id, entry.joined_id, entry.by_lead_id) == (telegram, vk, form)
    assert "lead_joined" in [a.action for a in audit]


async def test_undoing_a_join_restores_both_leads(storage: Storage) -> None:
    telegram, vk, _form = await chain(storage)
    async with storage.reader() as uow:
        [entry] = await uow.leads.joins_of(vk)

    async with storage.transaction() as uow:
        restored = await undo_lead_join(uow, entry.id, "head", T0)
    with pytest.raises(MergeError) as again:
        async with storage.transaction() as uow:
            await undo_lead_join(uow, entry.id, "head", T0)

    assert again.value.status == 409
    assert restored.id == vk and restored.match is not None
    assert restored.match.duplicate_of_id is None
    survivor = await lead(storage, telegram)
    assert survivor.data.contact.messenger_ids == {"telegram_id": "42"}
    assert survivor.data.contact.email == "ivan.petrov@mail.ru"  # from the form, not the join
    assert VK_KEY not in await keys(storage, telegram)
    assert VK_KEY in await keys(storage, vk)
    assert await texts(storage, vk) == ["Перезвонить вечером"]
    assert not any(f"заявка №{vk}" in t for t in await texts(storage, telegram))
    async with storage.reader() as uow:
        [closed] = await uow.leads.joins_of(vk)
    assert closed.undone_at is not None
    # The VK id leads to the VK lead again.
    assert await message(storage, "v3", "vk", "Алло", vk_id=VK_ID) == vk
    # The same form again does not join what a head split.
    await lead_form(storage, "form-2")
    split = (await lead(storage, vk)).match
    assert split is not None and split.duplicate_of_id is None
    async with storage.reader() as uow:
        assert len(await uow.leads.joins_of(vk)) == 1


async def test_open_leads_sharing_a_number_are_never_joined(storage: Storage) -> None:
    ivan = await message(storage, "a", "telegram", "Окна", telegram_id="1", name="Иван Петров")
    await message(storage, "a2", "telegram", "", telegram_id="1", phone=PHONE)
    olga = await message(
        storage, "b", "telegram", "Двери", telegram_id="2", name="Ольга Смирнова", phone=PHONE
    )
    assert olga != ivan  # another first name on the same phone: review, not one lead
    asked = Decision(Verdict.REVIEW, None, None, 0.9, "две заявки", chain=(ivan, olga))

    async with storage.transaction() as uow:
        answer = await join_chain(uow, asked, T0)

    assert answer == asked
    assert [x.match.duplicate_of_id for x in await leads(storage) if x.match] == [None, None]


async def test_a_message_tying_two_open_leads_joins_them_and_goes_onto_the_survivor(
    storage: Storage,
) -> None:
    telegram = await message(
        storage, "t1", "telegram", "Окна", telegram_id="42", name="Иван Петров", phone=PHONE
    )
    vk = await message(storage, "v1", "vk", "Нужны окна", vk_id=VK_ID)

    went_to = await message(storage, "v2", "vk", "Мой телефон", vk_id=VK_ID, phone=PHONE)

    assert went_to == telegram
    assert len(await leads(storage)) == 2  # the message made no lead
    joined = (await lead(storage, vk)).match
    assert joined is not None and joined.duplicate_of_id == telegram
    assert "Мой телефон" in await texts(storage, telegram)
    async with storage.reader() as uow:
        [entry] = await uow.leads.joins_of(vk)
    assert entry.by_lead_id is None
