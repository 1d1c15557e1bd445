"""One contract suite, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crm_core.ingest import ConsentDraft, IngestLead, ingest_lead
from crm_core.model import (
    LeadContactDetails,
    LeadFilter,
    LeadFlag,
    LeadStatus,
    NewInboxItem,
    NewLead,
    NewManager,
    Role,
)
from crm_core.staff import sync_managers
from crm_core.storage import Storage, StorageAlreadyOpen
from tests.conftest import storage_of_kind

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def inbox_item(external_id: str, channel: str = "webform") -> NewInboxItem:
    return NewInboxItem(
        channel=channel,
        source="site",
        external_id=external_id,
        received_at=T0,
        payload={"fields": {"Имя": ["Иван"], "phone": ["8 916 123-45-67"]}},
        headers={"User-Agent": "test"},
        event={"channel": channel, "external_id": external_id},
    )


def new_lead(
    inbox_id: int, *, channel: str = "webform", phone: str | None = "+79161234567"
) -> NewLead:
    return NewLead(
        inbox_id=inbox_id,
        channel=channel,
        source="site",
        contact=LeadContactDetails(name="Иван Петров", phone=phone, phone_raw="8 916 123-45-67"),
        comment="Перезвоните",
        utm={"utm_source": "yandex"},
        page_url="https://example.ru/",
        referrer=None,
        fields={"Имя": "Иван"},
        meta={"formid": "form1"},
        flags=(LeadFlag.EMAIL_INVALID,),
        queue="main",
        pipeline="main",
        received_at=T0,
    )


MANAGERS = [
    NewManager("ivanova", "Анна Иванова", Role.MANAGER, None, None, "Europe/Moscow", True),
    NewManager("head", "Ольга", Role.HEAD, "head@example.ru", "42", "Europe/Moscow", True),
]


async def store_items(storage: Storage, *ids: str) -> list[int]:
    async with storage.transaction() as uow:
        receipts = await uow.inbox.add_batch([inbox_item(i) for i in ids])
    return [r.intake_id for r in receipts]


async def test_migrate_twice_applies_nothing_the_second_time(storage: Storage) -> None:
    assert await storage.migrate() == []


async def test_a_second_open_is_refused_and_the_storage_keeps_working(storage: Storage) -> None:
    threads = threading.active_count()
    with pytest.raises(StorageAlreadyOpen, match="already open"):
        await storage.open()
    assert threading.active_count() == threads  # nothing opened beside the first
    [item_id] = await store_items(storage, "after-second-open")

    await storage.close()
    await storage.open()  # closed: open again as usual
    async with storage.reader() as uow:
        assert (await uow.inbox.get(item_id)) is not None


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_two_opens_at_once_open_one_storage(kind: str, tmp_path: Path) -> None:
    async with storage_of_kind(kind, tmp_path) as store:
        results = await asyncio.gather(store.open(), store.open(), return_exceptions=True)
        try:
            assert sorted(type(r).__name__ for r in results) == ["NoneType", "StorageAlreadyOpen"]
            await store.ping()
        finally:
            await store.close()


async def test_inbox_is_idempotent_on_channel_and_external_id(storage: Storage) -> None:
    async with storage.transaction() as uow:
        first = await uow.inbox.add_batch([inbox_item("a"), inbox_item("b"), inbox_item("a")])
    async with storage.transaction() as uow:
        again = await uow.inbox.add_batch([inbox_item("a"), inbox_item("a", channel="vk")])
    assert [r.created for r in first] == [True, True, False]
    assert first[0].intake_id == first[2].intake_id != first[1].intake_id
    assert again[0].intake_id == first[0].intake_id and not again[0].created
    assert again[1].created and again[1].intake_id not in {r.intake_id for r in first}
    async with storage.reader() as uow:
        stored = await uow.inbox.get(first[0].intake_id)
        stats = await uow.inbox.stats()
    assert stored is not None
    assert stored.payload["fields"]["Имя"] == ["Иван"]
    assert stored.received_at == T0
    assert stats.pending == 3 and stats.oldest_pending_at == T0


async def test_claim_mark_processed_and_failures(storage: Storage) -> None:
    ids = await store_items(storage, "1", "2", "3")
    async with storage.transaction() as uow:
        claimed = await uow.inbox.claim_pending(2, T0)
        assert [i.id for i in claimed] == ids[:2]
        await uow.inbox.mark_processed([(ids[0], None)], T0)
        await uow.inbox.record_failure(ids[1], "boom", T0, T0 + timedelta(minutes=1), 2)
    async with storage.transaction() as uow:
        due_now = await uow.inbox.claim_pending(10, T0)
        due_later = await uow.inbox.claim_pending(10, T0 + timedelta(minutes=2))
        await uow.inbox.record_failure(ids[1], "boom again", T0, T0, 2)
    assert [i.id for i in due_now] == [ids[2]]
    assert [i.id for i in due_later] == [ids[1], ids[2]]
    async with storage.reader() as uow:
        stats = await uow.inbox.stats()
        parked = await uow.inbox.get(ids[1])
    assert stats.pending == 1 and stats.failed == 1
    assert parked is not None and parked.status == "failed" and parked.attempts == 2


async def test_failed_transaction_leaves_nothing(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with storage.transaction() as uow:
            await uow.inbox.add_batch([inbox_item("x")])
            raise RuntimeError("crash before commit")
    async with storage.reader() as uow:
        assert (await uow.inbox.stats()).pending == 0


async def test_lead_is_created_once_per_inbox_row(storage: Storage) -> None:
    [inbox_id] = await store_items(storage, "lead-1")
    command = IngestLead(new_lead(inbox_id), ConsentDraft(True, "2026-01", "on"))
    async with storage.transaction() as uow:
        lead, created = await ingest_lead(uow, command, T0)
    async with storage.transaction() as uow:
        again, created_again = await ingest_lead(uow, command, T0)
    assert created and not created_again and again.id == lead.id
    async with storage.reader() as uow:
        stored = await uow.leads.get(lead.id)
        consents = await uow.consents.for_lead(lead.id)
        audit = await uow.audit.for_entity("lead", lead.id)
    assert stored is not None
    assert stored.status is LeadStatus.NEW
    assert stored.data.contact.name == "Иван Петров"
    assert stored.data.utm == {"utm_source": "yandex"}
    assert stored.data.flags == (LeadFlag.EMAIL_INVALID,)
    assert stored.data.received_at == T0
    assert [(c.given, c.text_version) for c in consents] == [(True, "2026-01")]
    assert [a.action for a in audit] == ["created"]


async def test_lead_listing_filters_and_pages(storage: Storage) -> None:
    ids = await store_items(storage, *[f"p{i}" for i in range(5)])
    async with storage.transaction() as uow:
        leads = [
            (
                await uow.leads.add_many(
                    [new_lead(i, channel="call" if n == 4 else "webform")], T0 + timedelta(hours=n)
                )
            )[0][0]
            for n, i in enumerate(ids)
        ]
    async with storage.reader() as uow:
        page1 = await uow.leads.list(LeadFilter(), 2, None)
        page2 = await uow.leads.list(LeadFilter(), 2, page1[-1].id)
        calls = await uow.leads.list(LeadFilter(channel="call"), 10, None)
        window = await uow.leads.list(
            LeadFilter(created_from=T0 + timedelta(hours=1), created_to=T0 + timedelta(hours=3)),
            10,
            None,
        )
        junk = await uow.leads.list(LeadFilter(status=LeadStatus.JUNK), 10, None)
        mine = await uow.leads.list(LeadFilter(visible_to="ivanova"), 10, None)
    newest_first = [lead.id for lead in reversed(leads)]
    assert [x.id for x in page1 + page2] == newest_first[:4]
    assert [x.id for x in calls] == [leads[4].id]
    assert [x.id for x in window] == [leads[2].id, leads[1].id]
    assert junk == [] and mine == []


async def test_managers_sync_and_tokens(storage: Storage) -> None:
    async with storage.transaction() as uow:
        synced = await sync_managers(uow, MANAGERS, T0)
        await uow.tokens.add("hash-1", synced[1].id, T0)
    async with storage.reader() as uow:
        head = await uow.tokens.manager_for("hash-1")
        nobody = await uow.tokens.manager_for("hash-2")
    assert head is not None and head.is_head and head.telegram_chat_id == "42"
    assert nobody is None
    async with storage.transaction() as uow:
        await sync_managers(uow, MANAGERS[:1], T0)
    async with storage.reader() as uow:
        removed = await uow.managers.get_by_login("head")
        assert await uow.tokens.manager_for("hash-1") is None
    assert removed is not None and not removed.active


async def test_concurrent_claims_never_share_a_row(storage: Storage) -> None:
    if storage.dialect == "sqlite":
        pytest.skip("SQLite has a single writer; claims are serialized by design")
    ids = await store_items(storage, *[f"c{i}" for i in range(6)])
    first_claimed = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> list[int]:
        async with storage.transaction() as uow:
            items = await uow.inbox.claim_pending(3, T0)
            first_claimed.set()
            await release.wait()
            return [i.id for i in items]

    task = asyncio.create_task(holder())
    await asyncio.wait_for(first_claimed.wait(), 5)
    async with storage.transaction() as uow:
        other = [i.id for i in await uow.inbox.claim_pending(10, T0)]
    release.set()
    held = await task
    assert held == ids[:3]
    assert other == ids[3:]
