"""Checks the connector tests share: request spacing at a stand-in, settled deliveries."""

from __future__ import annotations

from crm_core.webhooks import Delivery
from tests.e2e.conftest import Running
from tests.e2e.test_webhooks import until


def assert_within_limit(stamps: list[float], rate: float, burst: int) -> None:
    """Every stretch of requests fits the bucket: n in t seconds need n <= burst + rate*t
    (plus one token of network jitter between taking a token and arriving)."""
    stamps = sorted(stamps)
    for i, first in enumerate(stamps):
        for j in range(i + burst, len(stamps)):
            allowed = burst + rate * (stamps[j] - first) + 1
            assert j - i + 1 <= allowed, (j - i + 1, stamps[j] - first)


async def settled(running: Running) -> list[Delivery]:
    """The connector's deliveries once none is pending (the last outcome may be recording)."""
    found: list[Delivery] = []

    async def none_pending() -> bool:
        nonlocal found
        async with running.services.storage.reader() as uow:
            subs = await uow.webhooks.subscriptions()
            found = await uow.webhooks.deliveries(subs[0].id, None, 100)
        return all(d.status.value != "pending" for d in found)

    await until(none_pending, 10, "every delivery settled")
    return found
