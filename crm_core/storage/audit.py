"""The append-only audit log."""

from __future__ import annotations

from collections.abc import Sequence

from crm_core.model import AuditEntry
from crm_core.storage.session import SqlSession, as_datetime, from_json, to_json


class SqlAuditRepository:
    """The append-only `audit_log` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries."""
        if not entries:
            return
        await self._s.executemany(
            "INSERT INTO audit_log (at, actor, entity, entity_id, action, before, after)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                (
                    e.at,
                    e.actor,
                    e.entity,
                    e.entity_id,
                    e.action,
                    None if e.before is None else to_json(e.before),
                    None if e.after is None else to_json(e.after),
                )
                for e in entries
            ],
        )

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        """Entries about one record, oldest first."""
        rows = await self._s.fetch(
            "SELECT at, actor, entity, entity_id, action, before, after FROM audit_log"
            " WHERE entity = $1 AND entity_id = $2 ORDER BY id",
            entity,
            entity_id,
        )
        return [
            AuditEntry(
                actor=r["actor"],
                entity=r["entity"],
                entity_id=r["entity_id"],
                action=r["action"],
                at=as_datetime(r["at"]),
                before=from_json(r["before"]),
                after=from_json(r["after"]),
            )
            for r in rows
        ]
