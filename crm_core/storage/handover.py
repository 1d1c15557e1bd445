"""The open leads and deals a manager holds, and re-owning a deal."""

from __future__ import annotations

from datetime import datetime

from crm_core.storage.session import SqlSession


class SqlHandOverRepository:
    """Open work by holder, for a leaving manager's hand-over."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def open_lead_ids(self, manager_id: int) -> list[int]:
        """Leads assigned to the manager and not closed (new or in work), oldest first."""
        rows = await self._s.fetch(
            "SELECT id FROM leads WHERE assignee_id = $1 AND status IN ('new', 'in_work')"
            " ORDER BY id",
            manager_id,
        )
        return [int(r["id"]) for r in rows]

    async def open_deal_ids(self, manager_id: int) -> list[int]:
        """Open deals the manager owns, oldest first."""
        rows = await self._s.fetch(
            "SELECT id FROM deals WHERE owner_id = $1 AND status = 'open' ORDER BY id", manager_id
        )
        return [int(r["id"]) for r in rows]

    async def set_deal_owner(self, deal_id: int, owner_id: int, now: datetime) -> None:
        """Give a deal to another owner."""
        await self._s.execute(
            "UPDATE deals SET owner_id = $1, updated_at = $2 WHERE id = $3", owner_id, now, deal_id
        )
