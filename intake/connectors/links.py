"""Our records' ids in a remote CRM, kept per connector (so updates find what was created)."""

from __future__ import annotations

from typing import Protocol

from crm_core.storage import Storage
from intake.clock import utcnow


class RemoteIds(Protocol):
    """Where a connector keeps and finds the remote ids of our records."""

    async def get(self, entity: str, local_id: int) -> str | None:
        """The remote id of our record, if the connector made or found it."""

    async def keep(self, entity: str, local_id: int, remote_id: str) -> None:
        """Store the remote id of our record."""


class Forgetful:
    """Keeps nothing: a test lead exists only in the remote CRM."""

    async def get(self, entity: str, local_id: int) -> str | None:
        """Never known."""
        return None

    async def keep(self, entity: str, local_id: int, remote_id: str) -> None:
        """Kept nowhere."""


class Links:
    """The remote ids one connector stored, read and written in their own transactions."""

    def __init__(self, storage: Storage, subscription_id: int) -> None:
        self._storage = storage
        self._id = subscription_id

    async def get(self, entity: str, local_id: int) -> str | None:
        """The remote id of our record, if the connector made or found it."""
        async with self._storage.reader() as uow:
            return await uow.webhooks.remote_id(self._id, entity, local_id)

    async def keep(self, entity: str, local_id: int, remote_id: str) -> None:
        """Store the remote id of our record."""
        async with self._storage.transaction() as uow:
            await uow.webhooks.link(self._id, entity, local_id, remote_id, utcnow())
