"""The last submission each website form received, and its fate: for the head's forms page.

`POST /api/v1/forms/{key}` notes every answer here in memory (no I/O on the request's path);
a flusher writes the notes to the database as soon as one arrives and at most once a
second, so a flood of refused requests costs one small write per form per second. The
page reads the database's (every instance's) and this process's own, the later winning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from crm_core.storage import Storage
from crm_core.storage.ports import FormSubmission

log = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0

ACCEPTED = "accepted"
REJECTED = "rejected"
TEST = "test"


class SubmissionLog:
    """The last submission per form seen by this process, and which are not yet written."""

    def __init__(self) -> None:
        self._latest: dict[str, FormSubmission] = {}
        self._dirty: set[str] = set()
        self._wakeup = asyncio.Event()

    def note(self, submission: FormSubmission) -> None:
        """Remember a form's latest submission (keys are configured forms only: bounded)."""
        known = self._latest.get(submission.form_key)
        if known is not None and known.received_at > submission.received_at:
            return
        self._latest[submission.form_key] = submission
        self._dirty.add(submission.form_key)
        self._wakeup.set()

    def forget(self, form_key: str) -> None:
        """Drop what this process noted of a form (deleted)."""
        self._latest.pop(form_key, None)
        self._dirty.discard(form_key)

    def seen(self) -> dict[str, FormSubmission]:
        """The latest submission per form this process answered."""
        return dict(self._latest)

    async def flush(self, storage: Storage) -> None:
        """Write what is not written yet; kept for the next flush if the database fails."""
        self._wakeup.clear()
        keys, self._dirty = self._dirty, set()
        if not keys:
            return
        try:
            async with storage.transaction() as uow:
                await uow.form_submissions.record([self._latest[k] for k in sorted(keys)])
        except Exception:
            self._dirty |= keys
            raise

    async def wait(self) -> None:
        """Until a submission is noted."""
        await self._wakeup.wait()


@asynccontextmanager
async def flushing(
    log_: SubmissionLog, storage: Storage, every: float = FLUSH_SECONDS
) -> AsyncIterator[None]:
    """Write the notes while the block runs (at once, then at most every `every` s), and
    once more at its end."""

    async def run() -> None:
        while True:
            await log_.wait()
            try:
                await log_.flush(storage)
            except Exception as err:
                log.error("form_submissions_flush_failed error=%s", type(err).__name__)
            await asyncio.sleep(every)

    task = asyncio.create_task(run(), name="form-submissions")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await log_.flush(storage)
        except Exception as err:
            log.error("form_submissions_flush_failed error=%s", type(err).__name__)


async def last_submissions(log_: SubmissionLog, storage: Storage) -> dict[str, FormSubmission]:
    """Every form's last submission: the database's, or this process's own when later."""
    async with storage.reader() as uow:
        stored = await uow.form_submissions.last()
    for key, mine in log_.seen().items():
        known = stored.get(key)
        if known is None or mine.received_at >= known.received_at:
            stored[key] = mine
    return stored


async def forget_form(log_: SubmissionLog, storage: Storage, form_key: str) -> None:
    """A deleted form's last submission is gone: a new form with its key starts clean."""
    log_.forget(form_key)
    async with storage.transaction() as uow:
        await uow.form_submissions.forget(form_key)
