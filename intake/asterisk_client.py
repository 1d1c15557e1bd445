"""Asterisk PBXs over AMI: one connection per PBX, each call event stored in the inbox.

AMI pushes events and keeps no history, so the poller's job is to hold the connection and
store promptly: `poll_once` waits for the next event, takes whatever else is already buffered
(no waiting to fill a batch) and returns once the inbox writer has committed them. Events
that fail to store (the database is down) are kept in memory and stored first on the next
poll, while the client goes on buffering new events; nothing is acknowledged to the PBX, so
memory is the only place they live until then.

A dropped connection (EOF, reset, an unanswered keep-alive Ping) is a ChannelUnavailable:
the events received before it are stored first, then the poller reconnects with backoff.
Events sent while disconnected are lost to AMI; the Cdr summary of a call that ended
meanwhile is lost too, which is why the worker folds whatever events of a call arrive.
Each event's inbox key is "<pbx>:<Linkedid>:<event key>", so a repeated event is a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from channels.errors import ChannelError
from channels.telephony.asterisk.adapter import AsteriskSpec, IgnoredAmiEvent, map_event
from channels.telephony.asterisk.ami import AmiClient, AmiMessage
from channels.telephony.model import CHANNEL
from config.asterisk_settings import AsteriskSettings
from crm_core.model import NewInboxItem
from crm_core.storage import StorageUnavailable
from intake.channel_polling import (
    BACKOFF_MAX_SECONDS,
    BACKOFF_MIN_SECONDS,
    ChannelPoller,
    Clock,
    CountOutcome,
    InboxStore,
    fetched_item,
    outcome_counter,
    running,
)
from intake.clock import utcnow
from intake.pbx_clocks import PbxClocks

if TYPE_CHECKING:
    from intake.bootstrap import Services

log = logging.getLogger(__name__)

# Events taken in one poll: what is already buffered, up to this many.
MAX_BATCH = 200

ClientFactory = Callable[[AsteriskSettings], AmiClient]


def ami_client(pbx: AsteriskSettings) -> AmiClient:
    """A client for the PBX as configured (not connected yet)."""
    if not pbx.secret:
        raise ValueError(f"asterisk {pbx.name!r} has no secret to log in with")
    return AmiClient(
        pbx.name,
        pbx.host,
        pbx.username,
        pbx.secret,
        port=pbx.port,
        connect_timeout=pbx.connect_timeout,
        ping_seconds=pbx.ping_seconds,
    )


def adapter_spec(pbx: AsteriskSettings) -> AsteriskSpec:
    """What the adapter needs to know of the PBX."""
    return AsteriskSpec(
        name=pbx.name,
        timezone=ZoneInfo(pbx.timezone),
        internal_number=re.compile(pbx.internal_number_pattern),
        trunk_prefixes=pbx.trunk_prefixes,
    )


class AsteriskPoller(ChannelPoller):
    """Keeps one PBX's AMI connection and stores the call events it sends in the inbox."""

    def __init__(
        self,
        pbx: AsteriskSettings,
        writer: InboxStore,
        metrics: CountOutcome,
        clock: Clock,
        *,
        backoff_min: float = BACKOFF_MIN_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
        max_batch: int = MAX_BATCH,
        client_factory: ClientFactory = ami_client,
        clocks: PbxClocks | None = None,
    ) -> None:
        if not pbx.secret:
            raise ValueError(f"asterisk {pbx.name!r} has no secret to log in with")
        super().__init__(
            "asterisk_ami",
            f"pbx={pbx.name}",
            writer,
            metrics,
            clock,
            backoff_min=backoff_min,
            backoff_max=backoff_max,
        )
        self.pbx = pbx
        self._spec = adapter_spec(pbx)
        self._max_batch = max_batch
        self._new_client = client_factory
        self._client: AmiClient | None = None
        self._clocks = clocks
        self._connected_at = 0.0  # loop time of the last login
        # Mapped events whose store failed: AMI cannot send them again, so they wait here.
        self._unstored: list[NewInboxItem] = []
        self.logins = 0

    async def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def poll_once(self) -> float:
        """Connect if needed, store the events received so far; returns the wait after."""
        if self._unstored:
            try:
                await self._store_pending()
            except StorageUnavailable as err:
                return self._failed(err)
            self.last_error = None  # the inbox is back; waiting for events is no failure
        if self._client is None:
            client = self._new_client(self.pbx)
            try:
                await client.connect()
            except ChannelError as err:
                return self._failed(err)
            self._client = client
            self._connected_at = asyncio.get_running_loop().time()
            self.logins += 1
            self._answered()
            # The PBX answered and accepted us; the backoff starts over once the link holds.
            self.last_error = None
        try:
            events = await self._client.read_batch(self._max_batch)
        except ChannelError as err:
            await self._close_client()
            return self._failed(err)
        self._answered()
        self._unstored.extend(self._map(events))
        try:
            await self._store_pending()
        except StorageUnavailable as err:
            return self._failed(err)
        if asyncio.get_running_loop().time() - self._connected_at < self.pbx.ping_seconds:
            # Asterisk greets every login with FullyBooted: a PBX that drops us right after
            # would otherwise be asked again at the shortest delay forever. The backoff
            # starts over once a connection outlived a keep-alive interval.
            self.last_error = None
            return 0.0
        return self._succeeded()

    def _map(self, events: list[AmiMessage]) -> list[NewInboxItem]:
        """The inbox rows of the events that say something about a call."""
        received_at = self._clock()
        items = []
        for event in events:
            mapped = map_event(self._spec, event, received_at=received_at)
            if isinstance(mapped, IgnoredAmiEvent):
                # Not counted as `ignored`: a call brings dozens of AMI events (VarSet,
                # Newexten, …) and the count would drown the other channels' figures.
                continue
            if self._clocks is not None:
                # The PBX's Timestamp or Cdr time against ours: a wrong `timezone` shows too.
                self._clocks.observe(f"asterisk:{self.pbx.name}", mapped.at, received_at)
            items.append(fetched_item(mapped.to_inbound(received_at), dict(event)))
        return items

    async def _store_pending(self) -> None:
        """Store the waiting rows; they leave memory only once every one is committed."""
        items = self._unstored
        self.backlog = len(items)
        created, duplicate = await self._store_items(items)
        self._unstored = []
        self.backlog = 0
        if items:
            log.debug(
                "asterisk_events_stored pbx=%s stored=%d duplicate=%d",
                self.pbx.name,
                created,
                duplicate,
            )


@asynccontextmanager
async def running_asterisk_clients(
    services: Services,
) -> AsyncIterator[Mapping[str, AsteriskPoller]]:
    """Keep an AMI connection to every configured PBX until the block ends; by PBX name.

    Exit this before the inbox writer stops, so no store is cut short.
    """
    count = outcome_counter(services, CHANNEL)
    pollers = {
        pbx.name: AsteriskPoller(pbx, services.writer, count, utcnow, clocks=services.pbx_clocks)
        for pbx in services.settings.asterisk
    }
    async with running(pollers) as started:
        yield started
