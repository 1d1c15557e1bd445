"""A token bucket: a connector's calls stay within the remote CRM's request limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """`burst` calls at once, then `rate` per second; `take` waits for a token."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def wait_seconds(self) -> float:
        """How long until a token is free (0: one is free now)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate

    async def take(self) -> None:
        """Take a token, waiting in turn (first come, first served) until one is free."""
        async with self._lock:
            wait = self.wait_seconds()
            if wait > 0:
                # The one wait a token takes to refill: nothing else takes tokens meanwhile.
                await asyncio.sleep(wait)
                self._refill()
            self._tokens -= 1
