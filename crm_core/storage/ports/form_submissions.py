"""The last submission of each website form: what the head's forms page shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class FormSubmission:
    """One submission's fate, without personal data.

    `outcome` is `accepted`, `rejected` or `test` (Tilda's check); `reason` names a rejection
    (`bad_secret`, `honeypot`, `rate_limited`, `captcha`, `invalid`, ...); `field` is the
    field a refusal named, `intake_id` the inbox row of an accepted submission.
    """

    form_key: str
    received_at: datetime
    outcome: str
    http_status: int
    reason: str | None = None
    field: str | None = None
    intake_id: int | None = None


class FormSubmissionRepository(Protocol):
    """The last submission per form."""

    async def record(self, submissions: Sequence[FormSubmission]) -> None:
        """Keep each submission as its form's last, unless a later one is already stored."""

    async def last(self) -> dict[str, FormSubmission]:
        """Every form's last submission, by form key."""

    async def forget(self, form_key: str) -> None:
        """Drop a form's last submission (the form was deleted)."""
