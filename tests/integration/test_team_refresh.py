"""A manager who links the managers' bot through one process is reached through it by every
other process within 2 s: each reloads the team it keeps in memory when the stored managers
change (SQLite and PostgreSQL, two handles on one database as two processes hold them)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from config import Settings
from crm_core.bot_links import issue_link_token, redeem_link_token, unlink_manager
from crm_core.staff import sync_managers
from crm_core.storage import Storage
from intake.bootstrap import (
    Services,
    build_services,
    configured_managers,
    load_team,
    refreshing_team,
)
from tests.integration.test_reply_dispatch import two_handles  # noqa: F401  (a fixture)

BAR_SECONDS = 2.0
TELEGRAM_USER = 70_555_001
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def chat_of(services: Services, login: str) -> str | None:
    """The Telegram chat the process would notify the manager in."""
    [manager] = [m for m in services.sales.team.managers.values() if m.login == login]
    return manager.telegram_chat_id


async def seconds_until(condition: object, within: float = 10.0) -> float:
    """How long until `condition()` holds (polled every 20 ms); fails after `within` s."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < within, f"not within {within} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_bot_link_made_in_one_process_reaches_the_others_team_within_2_s(
    two_handles: tuple[Storage, Storage],  # noqa: F811
    settings: Settings,
) -> None:
    web_storage, worker_storage = two_handles
    async with web_storage.transaction() as uow:
        await sync_managers(uow, configured_managers(settings), NOW)
    web, worker = build_services(settings, web_storage), build_services(settings, worker_storage)
    await load_team(web)
    await load_team(worker)
    assert chat_of(worker, "ivanova") is None

    async with refreshing_team(worker):
        # The manager opens the deep link: the bot (in the web process) binds the account.
        async with web_storage.transaction() as uow:
            token = await issue_link_token(uow, "ivanova", NOW)
            assert await redeem_link_token(uow, token, TELEGRAM_USER, str(TELEGRAM_USER), NOW)
        await load_team(web)
        linked = await seconds_until(lambda: chat_of(worker, "ivanova") == str(TELEGRAM_USER))

        # Unlinked from the workplace: the worker stops sending there as quickly.
        async with web_storage.transaction() as uow:
            assert await unlink_manager(uow, "ivanova")
        unlinked = await seconds_until(lambda: chat_of(worker, "ivanova") is None)

    assert linked < BAR_SECONDS and unlinked < BAR_SECONDS
    assert chat_of(web, "ivanova") == str(TELEGRAM_USER)  # nothing refreshes the web one here
