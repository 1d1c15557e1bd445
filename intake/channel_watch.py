"""Alerts the heads of sales when a channel has been failing for too long, and when it is
back: a mailbox whose password changed or a PBX that refuses us loses requests silently
in every competitor; here somebody responsible is told."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from crm_core.notifications import NewNotification, NotificationKind
from crm_core.routing import Team, head_alerts
from crm_core.storage import Storage, StorageUnavailable
from intake.background import BackgroundLoop
from intake.clock import utcnow

if TYPE_CHECKING:
    from intake.bootstrap import Services

log = logging.getLogger(__name__)
CHECK_SECONDS = 30.0


class WatchedChannel(Protocol):
    """What the watch reads of a channel (a ChannelPoller)."""

    @property
    def last_error(self) -> str | None:
        """The problem the channel has now."""

    @property
    def failing_since(self) -> datetime | None:
        """When the current run of failures began."""


class ChannelWatch:
    """Checks the channels every `check_seconds`; one alert per failure, one when it ends."""

    def __init__(
        self,
        channels: Mapping[str, WatchedChannel],
        storage: Storage,
        team: Callable[[], Team],
        alert_after: timedelta,
        clock: Callable[[], datetime],
        *,
        check_seconds: float = CHECK_SECONDS,
        on_alert: Callable[[], None] | None = None,
    ) -> None:
        self._channels = channels
        self._storage = storage
        self._team = team
        self._alert_after = alert_after
        self._clock = clock
        self._check_seconds = check_seconds
        self._on_alert = on_alert
        # channel name → the failure run it was alerted for (its failing_since)
        self._alerted: dict[str, datetime] = {}
        self._loop = BackgroundLoop("channel-watch", self._run)

    def start(self) -> None:
        """Start checking."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop checking."""
        await self._loop.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.check_once()
            except StorageUnavailable:
                log.warning("channel_watch_failed error=StorageUnavailable")
            await asyncio.sleep(self._check_seconds)

    async def check_once(self) -> int:
        """Queue the alerts due now; returns how many notifications were queued."""
        now = self._clock()
        wanted: list[NewNotification] = []
        for name, channel in self._channels.items():
            since = channel.failing_since
            alerted = self._alerted.get(name)
            if since is not None and alerted != since and now - since >= self._alert_after:
                self._alerted[name] = since
                log.warning("channel_alert channel=%s failing_since=%s", name, since.isoformat())
                payload: dict[str, Any] = {
                    "channel": name,
                    "reason": channel.last_error,
                    "since": since.isoformat(timespec="seconds"),
                }
                wanted += self._to_heads(
                    NotificationKind.CHANNEL_FAILING,
                    payload,
                    f"channel:{name}:{since.isoformat()}",
                )
            elif since is None and alerted is not None:
                del self._alerted[name]
                log.info("channel_recovered channel=%s", name)
                payload = {"channel": name, "since": alerted.isoformat(timespec="seconds")}
                wanted += self._to_heads(
                    NotificationKind.CHANNEL_RECOVERED,
                    payload,
                    f"channel:{name}:{alerted.isoformat()}:recovered",
                )
        if wanted:
            async with self._storage.transaction() as uow:
                await uow.outbox.enqueue(wanted, now)
            if self._on_alert is not None:
                self._on_alert()
        return len(wanted)

    def _to_heads(
        self, kind: NotificationKind, payload: dict[str, Any], key: str
    ) -> list[NewNotification]:
        return head_alerts(self._team(), kind, payload, key)


def channel_watch(services: Services, channels: Mapping[str, WatchedChannel]) -> ChannelWatch:
    """The service's watch over its channels, alerting through the notification outbox."""

    def wake() -> None:
        services.notify_wakeup.set()
        services.live_wakeup.set()

    minutes = services.settings.notifications.channel_alert_minutes
    return ChannelWatch(
        channels,
        services.storage,
        lambda: services.sales.team,
        timedelta(minutes=minutes),
        utcnow,
        on_alert=wake,
    )
