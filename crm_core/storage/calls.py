"""The calls table: one row per provider call with its facts, summary and outcome for sales."""

from __future__ import annotations

from datetime import datetime

from crm_core.calls import CallDirection, CallFact, CallOutcome, CallSummary, StoredCall
from crm_core.storage.session import (
    Conditions,
    Row,
    SqlSession,
    as_optional_datetime,
    from_json,
    to_json,
)


class SqlCallRepository:
    """The ports.CallRepository: a row is locked while its events are folded in."""

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

    async def get_by_id(self, call_id: int) -> StoredCall | None:
        """One call by its row id."""
        row = await self._s.fetchrow("SELECT * FROM calls WHERE id = $1", call_id)
        return _call(row) if row else None

    async def list(
        self,
        *,
        manager_id: int | None,
        outcome: str | None,
        direction: str | None,
        limit: int,
        before_id: int | None,
    ) -> list[StoredCall]:
        """The call log, newest first; optionally one manager's, one outcome's, one direction's."""
        q = Conditions()
        q.add("manager_id = {}", manager_id)
        q.add("outcome = {}", outcome)
        q.add("direction = {}", direction)
        q.add("id < {}", before_id)
        q.args.append(limit)
        rows = await self._s.fetch(
            f"SELECT * FROM calls{q.where()} ORDER BY id DESC LIMIT ${len(q.args)}", *q.args
        )
        return [_call(r) for r in rows]

    async def count(self) -> int:
        """How many calls are stored."""
        row = await self._s.fetchrow("SELECT COUNT(*) AS n FROM calls")
        return int(row["n"]) if row else 0


def _call(r: Row) -> StoredCall:
    facts = tuple(CallFact.from_json(f) for f in from_json(r["facts"]) or [])
    completed = as_optional_datetime(r["completed_at"])
    # The summary as the worker last saved it (for a provider whose hang-ups are per leg it
    # may differ from a fresh fold of the facts, which the worker does itself anyway).
    summary = CallSummary(
        provider=r["provider"],
        call_id=r["call_id"],
        direction=CallDirection(r["direction"]) if r["direction"] else None,
        caller=r["caller"],
        callee=r["callee"],
        line=r["line"],
        extension=r["extension"],
        outcome=CallOutcome(r["outcome"]) if r["outcome"] else None,
        started_at=as_optional_datetime(r["started_at"]),
        answered_at=as_optional_datetime(r["answered_at"]),
        ended_at=as_optional_datetime(r["ended_at"]),
        duration_seconds=r["duration_seconds"],
        talk_seconds=r["talk_seconds"],
        recording_ref=r["recording_ref"],
        finished=completed is not None,
    )
    return StoredCall(
        id=int(r["id"]),
        facts=facts,
        summary=summary if facts else None,
        completed_at=completed,
        lead_id=r["lead_id"],
        entity=r["entity"],
        entity_id=r["entity_id"],
        manager_id=r["manager_id"],
    )
