"""The sales team in the database: seeded from the file once, then read from the database.

Seeding is per kind (managers now; queues, pipelines and forms as they move over), so a kind
the database does not hold yet keeps coming from the file.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from config import Settings
from config.settings import ManagerSettings
from config.team_documents import manager_document, parse_manager
from crm_core.model import NewManager, Role
from crm_core.staff import sync_managers
from crm_core.storage.ports import UnitOfWork

log = logging.getLogger(__name__)

MANAGERS = "managers"
SEED_ACTOR = "seed"


async def seed_and_sync(uow: UnitOfWork, settings: Settings, now: datetime) -> None:
    """Seed the managers from the file on the first start, then sync the managers table from
    the database's copy (from then on the file's `[[managers]]` are ignored)."""
    if await uow.settings.seeded(MANAGERS):
        stored = await stored_managers(uow)
        assert stored is not None
        log.info(
            "sales_settings_from_database kinds=managers version=%d managers=%d"
            " file_section=ignored hint=\"the file's [[managers]] are ignored; change the team"
            ' with /api/v1/settings/managers or leadintake settings import"',
            await uow.settings.version(),
            len(stored),
        )
    else:
        for manager in settings.managers:
            await uow.settings.add(
                MANAGERS, manager.login, manager_document(manager), SEED_ACTOR, now
            )
        await uow.settings.mark_seeded(MANAGERS, settings.source, now)
        await uow.settings.bump()
        stored = settings.managers
        log.info(
            "sales_settings_seeded kinds=managers managers=%d source=%s",
            len(stored),
            settings.source,
        )
    await sync_managers(uow, [new_manager(m) for m in stored], now)


async def stored_managers(uow: UnitOfWork) -> tuple[ManagerSettings, ...] | None:
    """The managers as the database holds them; None before the first seed."""
    if not await uow.settings.seeded(MANAGERS):
        return None
    return tuple(
        parse_manager(s.data, "database", f"managers.{s.key}")
        for s in await uow.settings.list(MANAGERS)
    )


def with_managers(settings: Settings, managers: tuple[ManagerSettings, ...] | None) -> Settings:
    """The settings with the database's managers in place of the file's."""
    return settings if managers is None else replace(settings, managers=managers)


def new_manager(m: ManagerSettings) -> NewManager:
    """A manager's settings as the managers table stores them."""
    return NewManager(
        login=m.login,
        name=m.name,
        role=Role(m.role),
        email=m.email,
        telegram_chat_id=m.telegram_chat_id,
        timezone=m.timezone,
        active=m.active,
    )
