"""A webhook receiver stand-in on loopback that verifies Standard Webhooks signatures.

The verification is written here from the Standard Webhooks specification, not imported
from the service: the signed content is `{webhook-id}.{webhook-timestamp}.{body}`, the key
is the base64-decoded part of the secret after `whsec_`, the signature is base64 of
HMAC-SHA256, and `webhook-signature` holds space-separated `v1,<signature>` entries. A
message is processed once per `webhook-id` (the dedupe the spec asks receivers to do).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOLERANCE_SECONDS = 5 * 60


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The spec's check: a matching v1 signature and a timestamp within 5 minutes."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        return False
    if abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = msg_id.encode() + b"." + stamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for entry in headers.get("webhook-signature", "").split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


@dataclass
class Receiver:
    """What the stand-in saw; `answer` picks each reply ('ok', 'fail', 'slow', 'gone',
    'binary': 200 with a NUL and bytes that are not UTF-8)."""

    secret: str = ""
    answer: Callable[[str], str] = lambda _msg_id: "ok"
    slow_seconds: float = 1.0
    url: str = ""
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    requests: int = 0
    repeats: int = 0
    bad_signatures: int = 0
    arrived_at: dict[str, float] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0
    answered: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        """Verify, dedupe on webhook-id, then answer as `answer` says."""
        body = await request.read()
        self.requests += 1
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not verify(self.secret, headers, body):
            self.bad_signatures += 1
            return web.Response(status=401, text="bad signature")
        msg_id = headers["webhook-id"]
        reply = self.answer(msg_id)
        if reply == "gone":
            return web.Response(status=410, text="gone")
        if reply == "fail":
            return web.Response(status=500, text="receiver failed")
        if msg_id in self.processed:
            self.repeats += 1
        else:
            self.processed[msg_id] = json.loads(body)
            self.order.append(msg_id)
            self.arrived_at[msg_id] = time.monotonic()
        if reply == "slow":
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.slow_seconds)
            finally:
                self.in_flight -= 1
        self.answered.append(msg_id)
        if reply == "binary":
            return web.Response(body=b"ok\x00" + bytes(range(128, 256)) * 10)
        return web.Response(text="ok")

    def requests_answered(self) -> list[str]:
        """The webhook-ids answered 200 so far, in order (a slow answer counts when sent)."""
        return list(self.answered)

    def events(self) -> list[dict[str, Any]]:
        """Processed event bodies in the order they first arrived."""
        return [self.processed[m] for m in self.order]


def flaky(fail: float, slow: float, seed: int) -> Callable[[str], str]:
    """Answers failing a `fail` share and timing out a `slow` share of requests (seeded)."""
    rng = random.Random(seed)

    def answer(_msg_id: str) -> str:
        roll = rng.random()
        return "fail" if roll < fail else "slow" if roll < fail + slow else "ok"

    return answer


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    """Serve the receiver on a loopback port (its `url` set) for the block."""
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()
