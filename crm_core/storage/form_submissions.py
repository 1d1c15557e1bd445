"""The last submission of each website form, in `form_last_submissions` (the same SQL on both
dialects)."""

from __future__ import annotations

from collections.abc import Sequence

from crm_core.storage.ports.form_submissions import FormSubmission
from crm_core.storage.session import SqlSession, as_datetime


class SqlFormSubmissionRepository:
    """One row per form, replaced by a later submission only."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def record(self, submissions: Sequence[FormSubmission]) -> None:
        """Keep each submission as its form's last, unless a later one is already stored."""
        await self._s.executemany(
            "INSERT INTO form_last_submissions"
            " (form_key, received_at, outcome, reason, http_status, field, intake_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (form_key) DO UPDATE SET"
            " received_at = excluded.received_at, outcome = excluded.outcome,"
            " reason = excluded.reason, http_status = excluded.http_status,"
            " field = excluded.field, intake_id = excluded.intake_id"
            " WHERE excluded.received_at >= form_last_submissions.received_at",
            [
                (
                    s.form_key,
                    s.received_at,
                    s.outcome,
                    s.reason,
                    s.http_status,
                    s.field,
                    s.intake_id,
                )
                for s in submissions
            ],
        )

    async def last(self) -> dict[str, FormSubmission]:
        """Every form's last submission, by form key."""
        rows = await self._s.fetch(
            "SELECT form_key, received_at, outcome, reason, http_status, field, intake_id"
            " FROM form_last_submissions"
        )
        return {
            str(r["form_key"]): FormSubmission(
                form_key=str(r["form_key"]),
                received_at=as_datetime(r["received_at"]),
                outcome=str(r["outcome"]),
                http_status=int(r["http_status"]),
                reason=r["reason"],
                field=r["field"],
                intake_id=None if r["intake_id"] is None else int(r["intake_id"]),
            )
            for r in rows
        }

    async def forget(self, form_key: str) -> None:
        """Drop a form's last submission (the form was deleted)."""
        await self._s.execute("DELETE FROM form_last_submissions WHERE form_key = $1", form_key)
