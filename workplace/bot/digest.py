"""The morning digest: at 09:00 on each linked manager's clock, their overdue tasks, leads not
taken yet and deals without a next activity, in one message.

Each manager's local day is claimed in the database before sending (one UPSERT), so several
processes running this loop send it once; a send that fails is given back and tried again on
the next round (until noon: later it is stale). A manager with nothing to report gets nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from crm_core.model import Manager
from crm_core.my_work import MorningDigest, digest_day, morning_digest
from crm_core.storage import Storage, StorageUnavailable
from intake.background import BackgroundLoop
from intake.bootstrap import Services
from workplace.bot import command_texts as t

log = logging.getLogger(__name__)
ITEMS_SHOWN = 5
CHECK_SECONDS = 60.0

# Sends an HTML message to a chat; raises on failure. `GiveUp` means: do not retry today.
Send = Callable[[str, str], Awaitable[None]]


class GiveUp(Exception):
    """The chat cannot be written to (the manager blocked the bot): no retry today."""


class DigestWatch:
    """Checks every minute whose digest is due and sends it once per local day."""

    def __init__(
        self,
        services: Services,
        send: Send,
        clock: Callable[[], datetime],
        interval: float = CHECK_SECONDS,
    ) -> None:
        self._services = services
        self._send = send
        self._clock = clock
        self._interval = interval
        self._loop = BackgroundLoop("manager-bot-digest", self._run)

    async def run_once(self) -> int:
        """Send every digest due now that no process has claimed yet; returns how many."""
        now = self._clock()
        storage = self._services.storage
        async with storage.reader() as uow:
            chats = await uow.bot_links.linked_chats()
        sent = 0
        for manager, chat_id in chats:
            day = digest_day(now, manager.timezone) if manager.active else None
            if day is not None and await self._claim(storage, manager, day, now):
                sent += await self._deliver(storage, manager, chat_id, day, now)
        return sent

    def start(self) -> None:
        """Start checking (the first check after one interval: a restart sends nothing
        at once)."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop checking."""
        await self._loop.stop()

    async def _claim(self, storage: Storage, manager: Manager, day: date, now: datetime) -> bool:
        async with storage.transaction() as uow:
            return await uow.bot_links.claim_digest(manager.id, day, now)

    async def _deliver(
        self, storage: Storage, manager: Manager, chat_id: str, day: date, now: datetime
    ) -> int:
        """Compose and send the claimed digest; on failure give the day back (not when the
        manager blocked the bot)."""
        services = self._services
        names = Names(
            services.settings.notifications.public_url,
            {(p.key, s.key): s.name for p in services.sales.pipelines.values() for s in p.stages},
            {f.key: f.name for f in services.settings.forms},
        )
        try:
            async with storage.reader() as uow:
                digest = await morning_digest(uow, manager, now, ITEMS_SHOWN)
            if digest.empty:
                return 0
            await self._send(chat_id, digest_text(digest, manager, day, names))
        except GiveUp:
            log.warning("manager_bot_digest_refused manager_id=%d", manager.id)
            return 0
        except Exception as err:
            log.warning(
                "manager_bot_digest_failed manager_id=%d error=%s", manager.id, type(err).__name__
            )
            async with storage.transaction() as uow:
                await uow.bot_links.release_digest(manager.id, day)
            return 0
        log.info("manager_bot_digest_sent manager_id=%d day=%s", manager.id, day.isoformat())
        return 1

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.run_once()
            except StorageUnavailable as err:
                log.warning("manager_bot_digest_storage_unavailable error=%s", type(err).__name__)
            except Exception:
                log.exception("manager_bot_digest_loop_failed")


@dataclass(frozen=True, slots=True)
class Names:
    """What the digest's lines link and name: the workplace's base URL, stage and form names."""

    base: str
    stages: dict[tuple[str, str], str]
    sources: dict[str, str]


def digest_text(digest: MorningDigest, manager: Manager, day: date, names: Names) -> str:
    """The digest as one HTML message: a section per kind, the first few items linked."""
    base, zone = names.base, manager.timezone
    first_name = manager.name.split()[0] if manager.name.split() else manager.name
    lines = [t.esc(t.DIGEST_TITLE.format(name=first_name, day=day.strftime("%d.%m")))]
    overdue, untaken, idle = digest.overdue_tasks, digest.untaken_leads, digest.idle_deals
    if overdue.total:
        lines += ["", f"<b>{t.esc(t.DIGEST_OVERDUE.format(count=overdue.total))}</b>"]
        lines += [t.task_line(n, d, base, zone) for n, d in enumerate(overdue.items, 1)]
        if overdue.more:
            lines.append(t.more_line(overdue.more, base, "/tasks"))
    if untaken.total:
        lines += ["", f"<b>{t.esc(t.DIGEST_UNTAKEN.format(count=untaken.total))}</b>"]
        lines += [f"• {t.lead_line(lead, base, zone, names.sources)}" for lead in untaken.items]
        if untaken.more:
            lines.append(t.more_line(untaken.more, base, "/"))
    if idle.total:
        lines += ["", f"<b>{t.esc(t.DIGEST_IDLE.format(count=idle.total))}</b>"]
        lines += [f"• {t.deal_line(deal, base, names.stages)}" for deal in idle.items]
        if idle.more:
            lines.append(t.more_line(idle.more, base, "/deals"))
    return "\n".join(lines)
