"""API bearer tokens as records: when they expire, when they were last used, their state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from crm_core.model import Manager

# Last use is recorded at most this often per token, so reads do not turn into writes.
TOUCH_INTERVAL = timedelta(minutes=1)


class TokenState(StrEnum):
    """Whether a token still opens the API."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored token (never its secret, only who holds it and when it is valid)."""

    id: int
    manager_id: int
    login: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> TokenState:
        """Revoked, expired (at or after `expires_at`) or active."""
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and now >= self.expires_at:
            return TokenState.EXPIRED
        return TokenState.ACTIVE

    def needs_touch(self, now: datetime) -> bool:
        """True when the recorded last use is missing or older than TOUCH_INTERVAL."""
        return self.last_used_at is None or now - self.last_used_at >= TOUCH_INTERVAL


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """A token found by its hash, with the manager holding it."""

    token: ApiToken
    manager: Manager
