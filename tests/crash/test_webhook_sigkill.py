"""Kill -9 the service while a webhook is being delivered: after a restart the delivery is
tried again, once the dead process's lease runs out, with the same webhook-id, so a receiver
that dedupes on it processes the event exactly once.

The receiver stand-in holds its first answer until the service has been killed, so the kill
lands mid-delivery (no timing involved).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from tests.crash.test_reply_sigkill import database_url, token
from tests.crash.test_sigkill import ServerProcess, poll
from tests.e2e.test_webhooks import until
from tests.webhook_receiver import Receiver, receiving

__all__ = ["database_url"]  # the fixture, used by name
# A try waits 2 s, so a claim's lease is 9 s (twice a try plus 5 s).
WEBHOOKS = """
[webhooks]
allow_private_targets = true
timeout_seconds = 2
base_delay_seconds = 0.05
max_delay_seconds = 0.5
poll_seconds = 0.05
"""


@pytest.mark.timeout(90)
async def test_a_delivery_killed_midway_is_processed_once_after_a_restart(
    tmp_path: Path, database_url: str
) -> None:
    first: list[str] = []

    def answer(msg_id: str) -> str:
        first.append(msg_id)
        return "slow" if len(first) == 1 else "ok"

    receiver = Receiver(answer=answer, slow_seconds=60)
    timeout = aiohttp.ClientTimeout(total=10)
    async with receiving(receiver), aiohttp.ClientSession(timeout=timeout) as session:
        proc = ServerProcess(tmp_path, WEBHOOKS, {"LEADINTAKE_DATABASE_URL": database_url})
        await asyncio.to_thread(proc.cli, "migrate")
        try:
            proc.start()
            head = await asyncio.to_thread(token, proc, "head")
            await proc.wait_ready(session)
            body = {"url": receiver.url, "events": ["lead.created"]}
            async with session.post(f"{proc.base}/api/v1/webhooks", json=body, headers=head) as r:
                assert r.status == 201, await r.text()
                created = await r.json()
            receiver.secret = created["secret"]
            form = {"name": "Иван", "phone": "+79161234567"}
            async with session.post(f"{proc.base}/api/v1/forms/site", json=form) as r:
                assert r.status == 202

            # The receiver got the event (and processed it) but has not answered: kill now.
            await until(lambda: receiver.requests == 1, 10, "the first try")
            proc.kill()
            assert proc.process is not None and proc.process.returncode == -signal.SIGKILL

            proc.start()
            await until(lambda: receiver.requests == 2, 30, "the retry after the lease")
            log = await poll(
                session,
                f"{proc.base}/api/v1/webhooks/{created['id']}/deliveries",
                lambda page: page["items"] and page["items"][0]["status"] == "delivered",
                timeout=10,
                headers=head,
            )
        finally:
            proc.kill()
    [delivery] = log["items"]
    assert first == [delivery["webhook_id"]] * 2  # the retry kept the webhook-id
    assert list(receiver.processed) == [delivery["webhook_id"]] and receiver.repeats == 1
    assert delivery["attempts"] == 2 and receiver.bad_signatures == 0
    assert receiver.events()[0]["type"] == "lead.created"
