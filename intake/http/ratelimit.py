"""Token-bucket rate limit of website forms per (form, client IP), with bounded memory."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from config import FormSettings, Settings
from config.abuse_settings import FormRate
from intake.http.client_ip import TrustedProxies, limit_key, request_client_ip
from intake.http.errors import error_response


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    full_at: float


class TokenBuckets:
    """Buckets by key; a bucket refilled to capacity is forgotten, and at most `max_keys`
    are kept (the least recently used goes first), so memory stays bounded."""

    def __init__(self, max_keys: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: tuple[str, str], rate: FormRate) -> float:
        """Take one token; 0.0 when allowed, else the seconds until one is available."""
        now = self._clock()
        per_second = rate.per_minute / 60
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(float(rate.burst), now, now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(rate.burst), bucket.tokens + elapsed * per_second)
            bucket.updated = now
        wait = 0.0
        if bucket.tokens >= 1:
            bucket.tokens -= 1
        else:
            wait = (1 - bucket.tokens) / per_second
        bucket.full_at = now + (rate.burst - bucket.tokens) / per_second
        self._buckets[key] = bucket
        self._expire(now)
        return wait

    def _expire(self, now: float) -> None:
        # Least recently used first: a bucket full again holds no state worth keeping; past
        # the cap the oldest goes even if not full (its client merely gets a fresh burst).
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            if len(self._buckets) <= self._max_keys and now < oldest.full_at:
                break
            del self._buckets[key]


class FormRateLimiter:
    """Decides whether a submission of a form from a client IP may go on."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._proxies = TrustedProxies(settings.http.trusted_proxies)
        self._buckets = TokenBuckets(settings.intake.form_rate_max_keys, clock)

    @property
    def tracked_keys(self) -> int:
        """How many (form, client) buckets are held in memory."""
        return len(self._buckets)

    def rate(self, form: FormSettings) -> FormRate:
        """The form's bucket: its own rate/burst or the `[intake]` defaults; a global 0 turns
        every form's limit off (load tests)."""
        intake = self._settings.intake
        if intake.form_rate_per_minute == 0:
            return FormRate(0, 1)
        per_minute = form.abuse.rate_per_minute
        burst = form.abuse.rate_burst
        return FormRate(
            intake.form_rate_per_minute if per_minute is None else per_minute,
            intake.form_rate_burst if burst is None else burst,
        )

    def check(self, request: web.Request, form: FormSettings) -> web.Response | None:
        """None when allowed, else the 429 answer with Retry-After naming what was limited."""
        rate = self.rate(form)
        if not rate.enabled:
            return None
        client = limit_key(request_client_ip(request, self._proxies))
        wait = self._buckets.take((form.key, client), rate)
        if wait == 0.0:
            return None
        retry_after = max(1, math.ceil(wait))
        return error_response(
            429,
            "rate_limited",
            f"too many submissions of form {form.key!r} from this address:"
            f" at most {rate.per_minute} a minute (bursts of {rate.burst});"
            f" retry in {retry_after} s",
            field="form_key",
            headers={"Retry-After": str(retry_after)},
            limit={"per_minute": rate.per_minute, "burst": rate.burst, "key": "form+client_ip"},
        )


FORM_LIMITER = web.AppKey("form_limiter", FormRateLimiter)
