"""Channel checkpoints on SQLite and PostgreSQL: absent, stored, replaced, kept, rolled back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.storage import Storage

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def test_checkpoint_is_none_before_the_first_put(storage: Storage) -> None:
    async with storage.reader() as uow:
        assert await uow.checkpoints.get("email", "sales:INBOX") is None


async def test_put_stores_and_replaces_the_value(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await uow.checkpoints.put("email", "sales:INBOX", '{"last_uid": 5}', T0)
    async with storage.transaction() as uow:
        await uow.checkpoints.put(
            "email", "sales:INBOX", '{"last_uid": 9}', T0 + timedelta(seconds=1)
        )
    async with storage.reader() as uow:
        assert await uow.checkpoints.get("email", "sales:INBOX") == '{"last_uid": 9}'


async def test_keys_and_channels_are_separate(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await uow.checkpoints.put("email", "sales:INBOX", "1", T0)
        await uow.checkpoints.put("email", "sales:Заявки/2026", "2", T0)
        await uow.checkpoints.put("vk", "sales:INBOX", "ts-3", T0)
    async with storage.reader() as uow:
        assert await uow.checkpoints.get("email", "sales:INBOX") == "1"
        assert await uow.checkpoints.get("email", "sales:Заявки/2026") == "2"
        assert await uow.checkpoints.get("vk", "sales:INBOX") == "ts-3"
        assert await uow.checkpoints.get("vk", "other") is None


async def test_a_rolled_back_put_leaves_the_old_value(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await uow.checkpoints.put("email", "sales:INBOX", "old", T0)
    with pytest.raises(RuntimeError):
        async with storage.transaction() as uow:
            await uow.checkpoints.put("email", "sales:INBOX", "new", T0)
            raise RuntimeError("the batch failed after the checkpoint was written")
    async with storage.reader() as uow:
        assert await uow.checkpoints.get("email", "sales:INBOX") == "old"


async def test_delete_forgets_the_checkpoint(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await uow.checkpoints.put("email", "sales:INBOX", "1", T0)
        await uow.checkpoints.put("email", "support:INBOX", "2", T0)
    async with storage.transaction() as uow:
        await uow.checkpoints.delete("email", "sales:INBOX")
    async with storage.reader() as uow:
        assert await uow.checkpoints.get("email", "sales:INBOX") is None
        assert await uow.checkpoints.get("email", "support:INBOX") == "2"


async def test_checkpoint_survives_reopening_the_database(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await uow.checkpoints.put("email", "sales:INBOX", "kept", T0)
    await storage.close()
    await storage.open()
    async with storage.reader() as uow:
        assert await uow.checkpoints.get("email", "sales:INBOX") == "kept"
