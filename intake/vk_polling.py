"""Bots Long Poll for VK communities with `mode = "longpoll"`: a_check → inbox, then next ts.

VK serves the events after a call's `ts` and answers with the ts to go on from. The poller
stores every event of an answer in the inbox first and only then moves to the new ts, so an
event is left behind only once it is durable. A failure in between asks for the same events
again, and the inbox's unique (channel, external_id) (external_id "{group_id}:{event_id}", as
for the Callback API) turns the repeats into no-ops.

`failed` answers: 1, events were dropped from VK's history (logged) and polling goes on from
the ts VK gives; 2, the key expired: a new key from groups.getLongPollServer, the same ts; 3,
VK lost the information: a new key and a new ts.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from channels.errors import ChannelError, InvalidSubmission, MalformedBody
from channels.vk.adapter import AcceptedEvent
from channels.vk.const import CHANNEL
from channels.vk.longpoll import (
    FAILED_HISTORY_LOST,
    FAILED_INFORMATION_LOST,
    FAILED_KEY_EXPIRED,
    WAIT_SECONDS,
    BotsLongPollClient,
    LongPollServer,
    PollFailed,
    Update,
    parse_update,
)
from config.channel_settings import VkGroupSettings
from crm_core.model import NewInboxItem
from crm_core.storage import Storage, StorageUnavailable
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

if TYPE_CHECKING:
    from intake.bootstrap import Services

log = logging.getLogger(__name__)

LONGPOLL_MODE = "longpoll"


class VkPoller(ChannelPoller):
    """Polls one community's Bots Long Poll server and stores its lead-making events."""

    def __init__(
        self,
        group: VkGroupSettings,
        writer: InboxStore,
        metrics: CountOutcome,
        clock: Clock,
        *,
        wait: int = WAIT_SECONDS,
        backoff_min: float = BACKOFF_MIN_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
        storage: Storage | None = None,
    ) -> None:
        if not group.access_token:
            raise ValueError(f"vk community {group.group_id} has no access token to poll with")
        super().__init__(
            "vk_polling",
            f"group={group.group_id}",
            writer,
            metrics,
            clock,
            backoff_min=backoff_min,
            backoff_max=backoff_max,
        )
        self.group = group
        self._wait = wait
        self._client = BotsLongPollClient(group.group_id, group.access_token, group.api_base)
        # Both come from groups.getLongPollServer; None means "ask for it" (failed 2 drops
        # the server only, failed 3 both). With a storage the ts is kept across restarts
        # (channel_checkpoints), so events sent while the service was down are fetched too,
        # as long as VK still holds them (else failed 1 says they are gone).
        self._server: LongPollServer | None = None
        self._ts: str | None = None
        self._storage = storage
        self._saved_ts: str | None = None
        self._loaded = storage is None

    async def _close_client(self) -> None:
        await self._client.close()

    async def poll_once(self) -> float:
        """One a_check (a new key first if needed) and storing its events; returns the wait."""
        if not self._loaded:
            try:
                self._ts = self._saved_ts = await self._load_ts()
            except StorageUnavailable as err:
                return self._failed(err)
            self._loaded = True
        try:
            if self._server is None:
                self._server = await self._client.get_server()
                if self._ts is None:
                    self._ts = self._server.ts
            assert self._ts is not None  # set together with the first server
            result = await self._client.check(self._server, self._ts, self._wait)
        except ChannelError as err:
            return self._failed(err)
        self._answered()
        if isinstance(result, PollFailed):
            self._recover(result)
        else:
            try:
                await self._store(result.updates)
            except StorageUnavailable as err:
                # The ts stays: the next call fetches the same events, and whatever of them
                # was stored already comes back as a duplicate.
                return self._failed(err)
            self._ts = result.ts
            await self._save_ts()
        return self._succeeded()

    async def _load_ts(self) -> str | None:
        """The ts saved by the last run (StorageUnavailable propagates: polling waits)."""
        assert self._storage is not None
        async with self._storage.reader() as uow:
            return await uow.checkpoints.get(CHANNEL, str(self.group.group_id))

    async def _save_ts(self) -> None:
        """Keep the ts for the next start; a failure only costs a re-fetch (duplicates)."""
        if self._storage is None or self._ts is None or self._ts == self._saved_ts:
            return
        try:
            async with self._storage.transaction() as uow:
                key = str(self.group.group_id)
                await uow.checkpoints.put(CHANNEL, key, self._ts, self._clock())
        except StorageUnavailable:
            log.warning("vk_longpoll_ts_not_saved group=%s", self.group.group_id)
            return
        self._saved_ts = self._ts

    def _recover(self, result: PollFailed) -> None:
        """Act on a `failed` answer as VK documents it."""
        group = self.group.group_id
        if result.failed == FAILED_HISTORY_LOST:
            # Nothing to get them back with: the Callback API would not have lost them.
            log.warning(
                "vk_longpoll_history_lost group=%s ts=%s new_ts=%s", group, self._ts, result.ts
            )
            self._ts = result.ts
        elif result.failed == FAILED_KEY_EXPIRED:
            log.info("vk_longpoll_key_expired group=%s", group)
            self._server = None
        elif result.failed == FAILED_INFORMATION_LOST:
            log.warning("vk_longpoll_information_lost group=%s ts=%s", group, self._ts)
            self._server = None
            self._ts = None

    async def _store(self, updates: list[Update]) -> None:
        """Store the answer's lead-making events; returns only once all are committed."""
        received_at = self._clock()
        items: list[NewInboxItem] = []
        ignored = rejected = 0
        for update in updates:
            try:
                outcome = parse_update(self.group.group_id, update, received_at=received_at)
            except (InvalidSubmission, MalformedBody) as err:
                # The Callback API answers 400 and VK gives up after some retries; here the
                # event is skipped at once, else it would block every event behind it.
                rejected += 1
                self._count("rejected")
                log.warning(
                    "vk_event_rejected group=%s event_id=%s field=%s",
                    self.group.group_id,
                    _event_id(update),
                    getattr(err, "field", "-"),
                )
                continue
            if not isinstance(outcome, AcceptedEvent):
                # IgnoredEvent, or a confirmation (which Long Poll never sends).
                ignored += 1
                self._count("ignored")
                log.debug(
                    "vk_event_ignored group=%s event_id=%s type=%s reason=%s",
                    self.group.group_id,
                    _event_id(update),
                    update.get("type"),
                    getattr(outcome, "reason", "confirmation"),
                )
                continue
            items.append(fetched_item(outcome.event, outcome.payload))
        created, duplicate = await self._store_items(items)
        if updates:
            log.debug(
                "vk_events_stored group=%s received=%d stored=%d duplicate=%d ignored=%d"
                " rejected=%d",
                self.group.group_id,
                len(updates),
                created,
                duplicate,
                ignored,
                rejected,
            )


def _event_id(update: dict[str, Any]) -> str:
    value = update.get("event_id")
    return value if isinstance(value, str) else "-"


@asynccontextmanager
async def running_vk_pollers(services: Services) -> AsyncIterator[Mapping[int, VkPoller]]:
    """Poll every `mode = "longpoll"` community until the block ends; yields them by group_id.

    Exit this before the inbox writer stops, so no store is cut short.
    """
    count = outcome_counter(services, CHANNEL)
    pollers = {
        group.group_id: VkPoller(group, services.writer, count, utcnow, storage=services.storage)
        for group in services.settings.vk_groups
        if group.mode == LONGPOLL_MODE
    }
    async with running(pollers) as started:
        yield started
