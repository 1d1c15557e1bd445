"""Alerts the heads of sales when a CRM connector stops delivering, and when it delivers again:
leads that never reach Bitrix24 or amoCRM are as lost to the team as a channel that is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from crm_core.notifications import NewNotification, NotificationKind
from crm_core.routing import Team, head_alerts
from crm_core.storage import Storage, StorageUnavailable
from crm_core.webhooks import ConnectorHealth
from intake.background import BackgroundLoop
from intake.connectors.setup import health

log = logging.getLogger(__name__)
CHECK_SECONDS = 30.0
# Failed tries in a row (a retry schedule's first few) before the heads hear of it; a dead
# letter alerts at once.
FAILURES_TO_ALERT = 5
KIND_NAMES = {"bitrix24": "Bitrix24", "amocrm": "amoCRM"}


def is_failing(found: ConnectorHealth, failures_to_alert: int) -> bool:
    """Worth an alert: enabled, no success since its last failure, and a dead letter or
    `failures_to_alert` failed tries."""
    if not found.active or found.last_failure_at is None:
        return False
    if found.last_success_at is not None and found.last_success_at >= found.last_failure_at:
        return False
    return found.dead > 0 or found.failed_attempts >= failures_to_alert


def _run_key(found: ConnectorHealth) -> str:
    """One failure run of a connector: the one after its last success (stable across checks
    and restarts, so the outbox's dedupe key makes a repeated alert a no-op)."""
    after = found.last_success_at.isoformat() if found.last_success_at else "start"
    return f"connector:{found.id}:after:{after}"


class ConnectorWatch:
    """Checks the connectors every `check_seconds`; one alert per failure run, one when the
    connector delivers again (none when a head disabled or removed it meanwhile)."""

    def __init__(
        self,
        storage: Storage,
        team: Callable[[], Team],
        clock: Callable[[], datetime],
        *,
        failures_to_alert: int = FAILURES_TO_ALERT,
        check_seconds: float = CHECK_SECONDS,
        on_alert: Callable[[], None] | None = None,
        read_health: Callable[[Storage], Awaitable[list[ConnectorHealth]]] = health,
    ) -> None:
        self._storage = storage
        self._team = team
        self._clock = clock
        self._failures_to_alert = failures_to_alert
        self._check_seconds = check_seconds
        self._on_alert = on_alert
        self._read_health = read_health
        # connector id → (the failure run it was alerted for, its name in the alert)
        self._alerted: dict[int, tuple[str, str]] = {}
        self._loop = BackgroundLoop("connector-watch", self._run)

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
                log.warning("connector_watch_failed error=StorageUnavailable")
            await asyncio.sleep(self._check_seconds)

    async def check_once(self) -> int:
        """Queue the alerts due now; returns how many notifications were queued."""
        found = {h.id: h for h in await self._read_health(self._storage)}
        wanted: list[NewNotification] = []
        for connector in found.values():
            if not is_failing(connector, self._failures_to_alert):
                continue
            run = _run_key(connector)
            if self._alerted.get(connector.id, ("", ""))[0] == run:
                continue
            name = f"{KIND_NAMES.get(connector.kind, connector.kind)}, подключение №{connector.id}"
            self._alerted[connector.id] = (run, name)
            log.warning("connector_alert connector=%s dead=%s", connector.id, connector.dead)
            payload: dict[str, Any] = {"name": name, "reason": connector.last_error}
            wanted += head_alerts(self._team(), NotificationKind.CONNECTOR_FAILING, payload, run)
        for connector_id, (run, name) in list(self._alerted.items()):
            now_found = found.get(connector_id)
            if now_found is not None and is_failing(now_found, self._failures_to_alert):
                continue
            del self._alerted[connector_id]
            if now_found is None or not now_found.active:
                continue  # a head removed or disabled it: nothing is "back"
            log.info("connector_recovered connector=%s", connector_id)
            wanted += head_alerts(
                self._team(),
                NotificationKind.CONNECTOR_RECOVERED,
                {"name": name},
                f"{run}:recovered",
            )
        if not wanted:
            return 0
        async with self._storage.transaction() as uow:
            # A run alerted before a restart is skipped here by its dedupe key.
            queued = await uow.outbox.enqueue(wanted, self._clock())
        if queued and self._on_alert is not None:
            self._on_alert()
        return len(queued)
