"""The calls table: one row per provider call with its facts, summary and outcome for sales."""

from __future__ import annotations

from datetime import datetime

from crm_core.calls import CallFact, CallSummary, StoredCall, assemble
from crm_core.storage.session import Row, SqlSession, as_datetime, from_json, to_json


class SqlCallRepository:
    """Calls keyed by (provider, call id); a row is locked while its events are folded in."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def lock_or_create(self, provider: str, call_id: str, now: datetime) -> StoredCall:
        """The call's row, created empty if new, locked until the transaction ends."""
        await self._s.execute(
            "INSERT INTO calls (provider, call_id, created_at, updated_at) VALUES ($1, $2, $3, $3)"
            " ON CONFLICT (provider, call_id) DO NOTHING",
            provider,
            call_id,
            now,
        )
        lock = " FOR UPDATE" if self._s.dialect == "postgres" else ""
        row = await self._s.fetchrow(
            f"SELECT * FROM calls WHERE provider = $1 AND call_id = $2{lock}", provider, call_id
        )
        assert row is not None  # inserted above or already there
        return _call(row)

    async def save(self, call: StoredCall, now: datetime) -> None:
        """Store the call's facts, summary and sales outcome."""
        s = call.summary
        await self._s.execute(
            "UPDATE calls SET direction = $2, caller = $3, callee = $4, line = $5,"
            " extension = $6, outcome = $7, started_at = $8, answered_at = $9, ended_at = $10,"
            " duration_seconds = $11, talk_seconds = $12, recording_ref = $13, facts = $14,"
            " completed_at = $15, lead_id = $16, entity = $17, entity_id = $18,"
            " manager_id = $19, updated_at = $20 WHERE id = $1",
            call.id,
            s.direction.value if s and s.direction else None,
            s.caller if s else None,
            s.callee if s else None,
            s.line if s else None,
            s.extension if s else None,
            s.outcome.value if s and s.outcome else None,
            s.started_at if s else None,
            s.answered_at if s else None,
            s.ended_at if s else None,
            s.duration_seconds if s else None,
            s.talk_seconds if s else None,
            s.recording_ref if s else None,
            to_json([f.to_json() for f in call.facts]),
            call.completed_at,
            call.lead_id,
            call.entity,
            call.entity_id,
            call.manager_id,
            now,
        )

    async def get(self, provider: str, call_id: str) -> StoredCall | None:
        """One call by its provider's id."""
        row = await self._s.fetchrow(
            "SELECT * FROM calls WHERE provider = $1 AND call_id = $2", provider, call_id
        )
        return _call(row) if row else None

    async def count(self) -> int:
        """How many calls are stored."""
        row = await self._s.fetchrow("SELECT COUNT(*) AS n FROM calls")
        return int(row["n"]) if row else 0


def _call(r: Row) -> StoredCall:
    facts = tuple(CallFact.from_json(f) for f in from_json(r["facts"]) or [])
    summary: CallSummary | None = None
    if facts:
        # Rebuilt from the facts rather than read back: one rule for both directions.
        summary = assemble(facts)
    completed = r["completed_at"]
    return StoredCall(
        id=int(r["id"]),
        facts=facts,
        summary=summary,
        completed_at=as_datetime(completed) if completed is not None else None,
        lead_id=r["lead_id"],
        entity=r["entity"],
        entity_id=r["entity_id"],
        manager_id=r["manager_id"],
    )
