"""Wiring of replies to clients: a sender per channel that declares one, and the dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from channels.registry import CHANNELS
from channels.sending import Sender
from channels.spec import ChannelSpec
from config import Settings
from crm_core.replies_model import OutgoingMessagePort
from crm_core.storage import Storage
from intake.clock import utcnow
from intake.replies.dispatcher import ReplyDispatcher

# A message stored in this process wakes the dispatcher at once, and its own retries when due;
# what another process stored (or released) it finds by looking this often.
IDLE_POLL_SECONDS = 0.5
# Sends in flight at a time. Each turn of the dispatcher records what ended and claims as
# many as there are free slots in one write transaction, which on SQLite queues behind the
# API's own writes: the more slots, the fewer turns under a burst of replies
# (bench/replies.py --concurrency 16). Telegram's own limit (about 30 messages a second per
# bot) answers 429 with a wait, which the dispatcher keeps.
CONCURRENCY = 32
# The most messages one turn claims.
BATCH = 100


def build_senders(
    settings: Settings, channels: Sequence[ChannelSpec] = CHANNELS
) -> dict[str, Sender]:
    """Every registered channel's sender, built from its settings section."""
    return {
        spec.name: spec.sender.build(settings.channel(spec.sender.settings))
        for spec in channels
        if spec.sender is not None
    }


def unavailable_accounts(
    settings: Settings, channels: Sequence[ChannelSpec] = CHANNELS
) -> dict[tuple[str, str], str]:
    """The accounts that cannot send replies, by (channel, account), with the reason."""
    found: dict[tuple[str, str], str] = {}
    for spec in channels:
        if spec.sender is None or spec.sender.unavailable is None:
            continue
        section = settings.channel(spec.sender.settings)
        for account, reason in spec.sender.unavailable(section).items():
            found[(spec.name, account)] = reason
    return found


@asynccontextmanager
async def running_replies(
    settings: Settings, storage: Storage, wake: asyncio.Event
) -> AsyncIterator[ReplyDispatcher]:
    """Run the replies dispatcher until the block ends; `wake` sends what was just queued."""
    senders = build_senders(settings)

    @asynccontextmanager
    async def replies() -> AsyncIterator[OutgoingMessagePort]:
        async with storage.transaction() as uow:
            yield uow.replies

    dispatcher = ReplyDispatcher(replies, senders, utcnow, batch=BATCH, concurrency=CONCURRENCY)
    stop = asyncio.Event()
    task = asyncio.create_task(
        dispatcher.run(stop, wake, idle_poll=IDLE_POLL_SECONDS), name="replies"
    )
    try:
        yield dispatcher
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for sender in senders.values():
            await sender.close()
