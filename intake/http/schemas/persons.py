"""A person's data on request (152-FZ): what was found, exported and erased."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from intake.http.schemas.base import Body, NonBlank, Shape


class PersonFound(Shape):
    """Every record held on the person: row ids by table (contacts, leads, deals, calls,
    activities (messages, e-mails, notes), outgoing_messages, consents, audit_log, inbox...)."""

    tables: dict[str, list[int]] = Field(description="Row ids by table; empty when none")
    total: int = Field(description="Rows found in all tables")


class PersonExport(Shape):
    """Everything held on the person, by table, every column as stored."""

    subject: str = Field(description="Which identifier named the person: phone or email")
    exported_at: datetime
    tables: dict[str, list[dict[str, Any]]]


class PersonErasure(Body):
    """POST: erase a person's data; exactly one of `phone` and `email`."""

    phone: str | None = Field(None, max_length=64, description="In any spelling")
    email: str | None = Field(None, max_length=254, description="In any case")
    reason: NonBlank = Field(max_length=1000, description="The request this answers")


class PersonErased(Shape):
    """An erasure done: its journal id and rows anonymised by table (no personal data)."""

    id: int = Field(description="The erasure journal's id; its act is at .../act")
    counts: dict[str, int]
