"""When to retry a notification that failed for a reason that may pass."""

from __future__ import annotations

from datetime import timedelta

BASE_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
# 5 s, 10 s, 20 s … 640 s, then every 15 min: the 20th attempt comes about 3 h after
# the first, long enough to outlast an ordinary Telegram or mail server outage.
MAX_ATTEMPTS = 20


def retry_delay(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: doubling from 5 s, capped."""
    # No jitter: outbox rows are spread by their own creation times, and a deterministic
    # schedule is easy to reason about and to test.
    exponent = min(max(attempts, 1) - 1, 16)  # bounded so huge counts cannot overflow
    return min(BASE_DELAY * (1 << exponent), MAX_DELAY)
