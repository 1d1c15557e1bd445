"""The last submission per form on SQLite and PostgreSQL: kept, replaced by a later one only,
forgotten with its form, and written by the log's flusher (kept when the database fails)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.storage import Storage
from crm_core.storage.ports import FormSubmission
from intake.form_submissions import SubmissionLog, flushing, last_submissions

T0 = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def accepted(key: str, at: datetime, intake_id: int = 1) -> FormSubmission:
    return FormSubmission(key, at, "accepted", 202, intake_id=intake_id)


def rejected(key: str, at: datetime, reason: str, field: str | None = None) -> FormSubmission:
    return FormSubmission(key, at, "rejected", 401, reason, field)


async def test_a_later_submission_replaces_an_earlier_one_only(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await uow.form_submissions.record([accepted("site", T0), rejected("promo", T0, "x")])
    later = rejected("site", T0 + timedelta(seconds=1), "bad_secret", "api_key")
    async with storage.transaction() as uow:
        await uow.form_submissions.record([later])
        await uow.form_submissions.record([accepted("site", T0 - timedelta(days=1))])
    async with storage.reader() as uow:
        last = await uow.form_submissions.last()
    assert last["site"] == later
    assert last["promo"].reason == "x" and last["promo"].intake_id is None
    async with storage.transaction() as uow:
        await uow.form_submissions.forget("promo")
    async with storage.reader() as uow:
        assert set(await uow.form_submissions.last()) == {"site"}


async def test_the_flusher_writes_what_the_log_noted(storage: Storage) -> None:
    log = SubmissionLog()
    async with flushing(log, storage, every=0.01):
        log.note(accepted("site", T0, intake_id=7))
        log.note(rejected("site", T0 - timedelta(seconds=5), "honeypot"))  # older: ignored
    async with storage.reader() as uow:
        assert (await uow.form_submissions.last())["site"] == accepted("site", T0, intake_id=7)
    # The page merges the database's with this process's own, the later winning.
    log.note(rejected("site", T0 + timedelta(seconds=1), "rate_limited"))
    merged = await last_submissions(log, storage)
    assert merged["site"].reason == "rate_limited"


async def test_a_failed_flush_keeps_the_notes(storage: Storage) -> None:
    log = SubmissionLog()
    log.note(accepted("site", T0))
    await storage.close()
    with pytest.raises(Exception):  # noqa: B017, PT011 - whichever error the driver raises
        await log.flush(storage)
    await storage.open()
    await log.flush(storage)
    async with storage.reader() as uow:
        assert "site" in await uow.form_submissions.last()
