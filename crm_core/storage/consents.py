"""Consent records kept with each lead."""

from __future__ import annotations

from collections.abc import Sequence

from crm_core.model import ConsentRecord
from crm_core.storage.session import SqlSession, as_datetime


class SqlConsentRepository:
    """Consent records in the `consents` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_many(self, consents: Sequence[ConsentRecord]) -> None:
        """Store consent records."""
        if not consents:
            return
        await self._s.executemany(
            "INSERT INTO consents (lead_id, given, text_version, raw_value, source, recorded_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [
                (c.lead_id, c.given, c.text_version, c.raw_value, c.source, c.recorded_at)
                for c in consents
            ],
        )

    async def for_lead(self, lead_id: int) -> list[ConsentRecord]:
        """Consents recorded with a lead."""
        rows = await self._s.fetch(
            "SELECT lead_id, given, text_version, raw_value, source, recorded_at FROM consents"
            " WHERE lead_id = $1 ORDER BY id",
            lead_id,
        )
        return [
            ConsentRecord(
                lead_id=r["lead_id"],
                given=bool(r["given"]),
                text_version=r["text_version"],
                raw_value=r["raw_value"],
                source=r["source"],
                recorded_at=as_datetime(r["recorded_at"]),
            )
            for r in rows
        ]
