"""The managers' bot cards on SQLite and PostgreSQL: remembered when sent, closed (one edit
queued, in the change's transaction) when the lead is no longer new and theirs, never twice;
the card pressed in the bot queues no edit of itself; later messages thread under the card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crm_core.bot_cards import (
    card_of_message,
    close_pressed_card,
    remember_card,
    thread_of,
)
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.lifecycle import junk_lead, reassign_lead, take_lead
from crm_core.model import Manager
from crm_core.notifications import NotificationChannel, NotificationKind
from crm_core.storage import Storage
from crm_core.storage.outbox import SqlOutboxRepository
from crm_core.storage.ports import BotCard
from tests.integration.test_sales_flow import PIPELINES, T0
from tests.integration.test_triage_events import REASONS, assigned, team

CHAT = {"ivanova": "1001", "petrov": "1002"}


def card_of(manager: Manager, lead_id: int, message_id: int) -> BotCard:
    chat = CHAT[manager.login]
    return BotCard(lead_id, manager.id, chat, message_id, f"<b>Заявка №{lead_id}</b>", T0)


async def remember(storage: Storage, card: BotCard) -> None:
    async with storage.transaction() as uow:
        assert await remember_card(uow, card, T0)


async def edits(storage: Storage, manager: Manager) -> list[tuple[str, dict[str, Any]]]:
    """The card edits queued for a manager: (chat, payload)."""
    async with storage.reader() as uow:
        outbox = uow.outbox
        assert isinstance(outbox, SqlOutboxRepository)
        rows = [await outbox.get(i) for i in range(1, await outbox.last_id() + 1)]
    closed = [
        m
        for m in rows
        if m is not None
        and m.kind is NotificationKind.LEAD_CARD_CLOSED
        and m.manager_id == manager.id
    ]
    assert all(m.channel is NotificationChannel.TELEGRAM for m in closed)
    return [(m.address, m.payload) for m in closed]


async def test_a_card_taken_by_someone_else_is_closed_once(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, head = staff["ivanova"], staff["head"]
    lead = await assigned(storage, 1, ivanova)
    await remember(storage, card_of(ivanova, lead.id, 71))
    assert await edits(storage, ivanova) == []  # new and hers: the card stands

    async with storage.transaction() as uow:
        await take_lead(uow, lead.id, head, T0)
    [(chat, payload)] = await edits(storage, ivanova)
    assert chat == "1001"
    assert payload == {
        "lead_id": lead.id,
        "message_id": 71,
        "card": f"<b>Заявка №{lead.id}</b>",
        "status": "in_work",
        "assignee": head.name,
        "actor": head.name,
        "reason": None,
    }
    # A later change of the same lead edits nothing more: the card is closed.
    async with storage.transaction() as uow:
        await convert_lead(uow, lead.id, head, ConvertRequest(), PIPELINES, "RU", T0)
    assert len(await edits(storage, ivanova)) == 1
    # It stays the thread of the lead in her chat (and only in her chat).
    async with storage.reader() as uow:
        assert await thread_of(uow, lead.id, ivanova.id, "1001") == 71
        assert await thread_of(uow, lead.id, ivanova.id, "9999") is None
        found = await card_of_message(uow, "1001", 71)
    assert found is not None and found.lead_id == lead.id and found.closed_at == T0


async def test_junk_reassign_and_convert_close_the_card_with_who_did_it(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, petrov, head = staff["ivanova"], staff["petrov"], staff["head"]
    junked, passed, converted = [await assigned(storage, n, ivanova) for n in (1, 2, 3)]
    for n, lead in enumerate((junked, passed, converted)):
        await remember(storage, card_of(ivanova, lead.id, 80 + n))
    async with storage.transaction() as uow:
        await junk_lead(uow, junked.id, ivanova, "spam", REASONS, T0)
        await reassign_lead(uow, passed.id, head, petrov, T0)
        await convert_lead(uow, converted.id, ivanova, ConvertRequest(), PIPELINES, "RU", T0)
    got = {
        p["message_id"]: (p["status"], p["assignee"], p["actor"], p["reason"])
        for _, p in await edits(storage, ivanova)
    }
    assert got == {
        80: ("junk", ivanova.name, ivanova.name, "spam"),
        81: ("new", petrov.name, head.name, None),
        82: ("converted", ivanova.name, ivanova.name, None),
    }
    assert await edits(storage, petrov) == []  # she had the card, not he


async def test_the_pressed_card_queues_no_edit_of_itself(storage: Storage) -> None:
    staff = await team(storage)
    ivanova = staff["ivanova"]
    lead = await assigned(storage, 1, ivanova)
    await remember(storage, card_of(ivanova, lead.id, 90))
    async with storage.transaction() as uow:
        await close_pressed_card(uow, card_of(ivanova, lead.id, 90), T0)
        await take_lead(uow, lead.id, ivanova, T0)
    assert await edits(storage, ivanova) == []
    # Pressed before the notifier noted the card: noted closed, and noting it later (the
    # lead no longer hers to take) queues no edit either.
    early = await assigned(storage, 2, ivanova)
    async with storage.transaction() as uow:
        await close_pressed_card(uow, card_of(ivanova, early.id, 91), T0)
        await take_lead(uow, early.id, ivanova, T0)
    await remember(storage, card_of(ivanova, early.id, 91))
    assert await edits(storage, ivanova) == []
    async with storage.reader() as uow:
        noted = await card_of_message(uow, "1001", 91)
    assert noted is not None and noted.closed_at == T0


async def test_a_card_that_arrives_after_the_change_is_closed_at_once(storage: Storage) -> None:
    staff = await team(storage)
    ivanova, petrov = staff["ivanova"], staff["petrov"]
    lead = await assigned(storage, 1, ivanova)
    # The lead was reassigned while her card was on its way to Telegram.
    async with storage.transaction() as uow:
        await reassign_lead(uow, lead.id, ivanova, petrov, T0)
    await remember(storage, card_of(ivanova, lead.id, 95))
    [(_, payload)] = await edits(storage, ivanova)
    # Who did it comes from the audit log.
    assert (payload["message_id"], payload["assignee"], payload["actor"]) == (
        95,
        petrov.name,
        ivanova.name,
    )
    # His card (sent after the change) fits the lead and stands.
    await remember(storage, card_of(petrov, lead.id, 96))
    assert await edits(storage, petrov) == []


async def test_a_newer_card_replaces_the_older_one(storage: Storage) -> None:
    staff = await team(storage)
    ivanova = staff["ivanova"]
    lead = await assigned(storage, 1, ivanova)
    await remember(storage, card_of(ivanova, lead.id, 100))
    async with storage.transaction() as uow:
        await close_pressed_card(uow, card_of(ivanova, lead.id, 100), T0)
    later = card_of(ivanova, lead.id, 101)
    await remember(storage, BotCard(**{**_fields(later), "sent_at": T0 + timedelta(hours=1)}))
    async with storage.reader() as uow:
        assert await card_of_message(uow, "1001", 100) is None
        card = await uow.bot_cards.get(lead.id, ivanova.id)
        assert await thread_of(uow, lead.id, ivanova.id, "1001") == 101
    assert card is not None and card.closed_at is None  # open again: a fresh card


def _fields(card: BotCard) -> dict[str, Any]:
    return {name: getattr(card, name) for name in BotCard.__slots__}
