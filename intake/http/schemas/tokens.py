"""API token bodies: what a head sees of a token (never its secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from intake.http.schemas.base import Shape


class ApiToken(Shape):
    """A token's id, owner and lifetime."""

    id: int
    login: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]


class ApiTokenPage(Shape):
    """Every token, newest first."""

    items: list[ApiToken]
