"""Messenger identities of any kind find the person, like a Telegram id does; 0012 moved
the old per-messenger columns into the identities table."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from channels.model import EventKind, InboundEvent, PersonDetails
from crm_core.contacts import add_contacts, prepare_contact
from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.deals import move_deal
from crm_core.model import Identity
from crm_core.sales import RecordKind
from crm_core.storage import Storage
from crm_core.storage.migrations import load_migrations
from dedupe.decision import Thresholds, Verdict
from dedupe.detector import Detector
from dedupe.profile import RawIdentity, build_profile
from tests.conftest import pg_schema
from tests.integration.test_followups import add, drain, leads
from tests.integration.test_sales_flow import PIPELINES, team

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
AVITO = {"avito_id": "98765"}


def avito_message(
    external_id: str, text: str, messenger_ids: dict[str, str] | None = None
) -> dict[str, Any]:
    """A message from an Avito account: no phone, no e-mail, only the account id."""
    return InboundEvent(
        channel="avito",
        source="avito",
        external_id=external_id,
        received_at=T0,
        person=PersonDetails(name="Иван", messenger_ids=messenger_ids or AVITO),
        comment=text,
        kind=EventKind.MESSAGE,
    ).to_json()


async def test_an_avito_id_links_to_the_contact_like_a_telegram_id(storage: Storage) -> None:
    async with storage.transaction() as uow:
        [tg, avito] = await add_contacts(
            uow,
            [
                prepare_contact(RawIdentity(name="Юрий Кац", telegram_id="123456789"), "RU"),
                prepare_contact(
                    RawIdentity(name="Иван Петров", messengers=(("avito_id", "98765"),)), "RU"
                ),
            ],
            T0,
        )
        stored = await uow.identity.get_contact(avito)
    assert stored is not None and stored.identities == (Identity("avito_id", "98765"),)
    for lead, expected in (
        (RawIdentity(name="Юра", telegram_id="123456789"), tg),
        (RawIdentity(name="Ваня", messengers=(("avito_id", "98765"),)), avito),
    ):
        async with storage.transaction() as uow:
            decision = await Detector(Thresholds()).detect(build_profile(lead, "RU"), uow.identity)
        assert decision.verdict is Verdict.AUTO and decision.contact_id == expected


async def test_the_next_avito_message_after_a_closed_deal_is_a_repeat_of_the_contact(
    storage: Storage,
) -> None:
    staff = await team(storage)
    await add(storage, avito_message("a1", "Товар ещё продаётся?"))
    await drain(storage)
    [first] = await leads(storage)
    async with storage.transaction() as uow:
        done = await convert_lead(
            uow, first.id, staff["head"], ConvertRequest(), PIPELINES, "RU", T0
        )
        await move_deal(uow, done.deal_id or 0, "won", staff["head"], None, PIPELINES, T0)
        contact = await uow.identity.get_contact(done.contact_id or 0)
    assert contact is not None and Identity("avito_id", "98765") in contact.identities

    await add(storage, avito_message("a2", "Хочу ещё один"))
    await drain(storage)
    _, repeat = await leads(storage)
    assert repeat.contact_id == done.contact_id
    assert repeat.match is not None and repeat.match.is_repeat
    assert repeat.match.decision == "auto"


async def test_avito_messages_before_the_worker_ran_make_one_lead(storage: Storage) -> None:
    await add(
        storage,
        avito_message("b1", "Здравствуйте"),
        avito_message("other", "Я другой человек", {"avito_id": "11111"}),
        avito_message("b2", "Сколько стоит?"),
    )
    await drain(storage)
    person, other = await leads(storage)
    assert person.data.comment == "Здравствуйте" and other.data.comment == "Я другой человек"
    async with storage.reader() as uow:
        texts = [a.text for a in await uow.sales.activities_of(RecordKind.LEAD, person.id)]
    assert texts == ["Сколько стоит?"]


async def test_contacts_keep_several_ids_of_a_kind_and_update_them(storage: Storage) -> None:
    async with storage.transaction() as uow:
        [cid] = await add_contacts(
            uow,
            [
                prepare_contact(
                    RawIdentity(
                        name="Иван",
                        telegram_id="42",
                        messengers=(("telegram_id", "43"), ("whatsapp_id", "7916@c.us")),
                    ),
                    "RU",
                )
            ],
            T0,
        )
        contact = await uow.identity.get_contact(cid)
        assert contact is not None
        assert contact.identity("telegram_id") == "42"
        assert [i.value for i in contact.identities if i.kind == "telegram_id"] == ["42", "43"]
        kept = (Identity("telegram_id", "43"), Identity("vk_id", "7"))
        await uow.identity.update_contact(replace(contact, identities=kept), T0)
        again = await uow.identity.get_contact(cid)
    assert again is not None and again.identities == kept


CONTACTS_BEFORE_0012 = [
    (1, "Пётр", "123456789", "psidorov", None),
    (2, "Ольга", None, None, "5550001"),
    (3, "Без мессенджеров", None, None, None),
]


def _old_rows() -> list[tuple[Any, ...]]:
    return [(i, name, tg, tu, vk, T0, T0) for i, name, tg, tu, vk in CONTACTS_BEFORE_0012]


EXPECTED_AFTER_0012 = [
    (1, "telegram_id", "123456789"),
    (1, "telegram_username", "psidorov"),
    (2, "vk_id", "5550001"),
]


def test_migration_0012_moves_the_messenger_columns_on_sqlite(tmp_path: Path) -> None:
    migrations = load_migrations("sqlite")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        for migration in migrations:
            if migration.version == 12:
                db.executemany(
                    "INSERT INTO contacts (id, name, telegram_id, telegram_username, vk_id,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(*r[:5], r[5].isoformat(), r[6].isoformat()) for r in _old_rows()],
                )
            if migration.version <= 12:
                db.executescript(migration.sql)
        moved = db.execute(
            "SELECT entity_id, kind, value FROM identities WHERE entity = 'contact'"
            " ORDER BY entity_id, id"
        ).fetchall()
        columns = {r[1] for r in db.execute("PRAGMA table_info(contacts)")}
    assert moved == EXPECTED_AFTER_0012
    assert not columns & {"telegram_id", "telegram_username", "vk_id"}


async def test_migration_0012_moves_the_messenger_columns_on_postgres() -> None:
    migrations = load_migrations("postgres")
    async with pg_schema() as (url, schema):
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            for migration in migrations:
                if migration.version == 12:
                    await conn.executemany(
                        "INSERT INTO contacts (id, name, telegram_id, telegram_username, vk_id,"
                        " created_at, updated_at) OVERRIDING SYSTEM VALUE"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        _old_rows(),
                    )
                if migration.version <= 12:
                    await conn.execute(migration.sql)
            moved = await conn.fetch(
                "SELECT entity_id, kind, value FROM identities WHERE entity = 'contact'"
                " ORDER BY entity_id, id"
            )
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = $1 AND table_name = 'contacts'",
                schema,
            )
        finally:
            await conn.close()
    assert [tuple(r) for r in moved] == EXPECTED_AFTER_0012
    assert not {r[0] for r in columns} & {"telegram_id", "telegram_username", "vk_id"}
