"""The sales setup in the database: seeded from the file once, then read from the database.

Seeding is per kind (managers, queues, pipelines, forms, the reference lists and the channel
declarations): a kind the database does not hold yet is loaded from the file at the next
start; from then on the file's tables of that kind are ignored, with a log line saying so.
Secrets stay in the environment: a channel declaration names the variables, and its stored
copy is parsed again with the environment the settings were read with.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from config import Settings
from config.channel_documents import CHANNELS, check_declarations, declarations_of
from config.sales_documents import (
    KEY_FIELDS,
    KINDS,
    check_documents,
    documents_of,
    sales_environ,
)
from config.settings import ManagerSettings, SalesSection
from config.team_documents import parse_manager
from crm_core.model import NewManager, Role
from crm_core.staff import sync_managers
from crm_core.storage.ports import UnitOfWork

log = logging.getLogger(__name__)

MANAGERS = "managers"
SEED_ACTOR = "seed"
# How the file writes a kind that is not a `[[kind]]` table.
FILE_TABLES = {
    "junk_reasons": "[leads] junk_reasons",
    "lines": "[telephony.lines]",
    "extensions": "[telephony.extensions]",
    CHANNELS: "[telegram] [vk] [email] [telephony] [avito] channel declarations",
}
TELEPHONY = "telephony"  # the channel section holding the phone lines and extensions
DATABASE_SOURCE = "database"


async def seed_and_sync(uow: UnitOfWork, settings: Settings, now: datetime) -> None:
    """Seed every kind the database does not hold yet from the file, then sync the managers
    table from the database's copy."""
    from_file = documents_of(file_sales(settings))
    seeded = []
    for kind in KINDS:
        if await uow.settings.seeded(kind):
            continue
        for doc in from_file[kind]:
            await uow.settings.add(kind, doc[KEY_FIELDS[kind]], doc, SEED_ACTOR, now)
        await uow.settings.mark_seeded(kind, settings.source, now)
        seeded.append(kind)
    if seeded:
        await uow.settings.bump()
        log.info("sales_settings_seeded kinds=%s source=%s", ",".join(seeded), settings.source)
    stored = await stored_sales(uow, settings)
    ruled = [kind for kind in KINDS if kind not in seeded]
    if ruled:
        log.info(
            "sales_settings_from_database kinds=%s version=%d managers=%d queues=%d"
            " pipelines=%d forms=%d file_section=ignored hint=\"the file's %s are ignored;"
            ' change them in Настройки, with /api/v1/settings/... or leadintake settings import"',
            ",".join(ruled),
            await uow.settings.version(),
            len(stored.managers),
            len(stored.queues),
            len(stored.pipelines),
            len(stored.forms),
            ", ".join(FILE_TABLES.get(kind, f"[[{kind}]]") for kind in ruled),
        )
    await sync_managers(uow, [new_manager(m) for m in stored.managers], now)


def file_sales(settings: Settings) -> SalesSection:
    """The sales setup a Settings object holds."""
    return SalesSection(
        settings.managers,
        settings.queues,
        settings.pipelines,
        settings.forms,
        settings.leads,
        settings.telephony.lines,
        settings.telephony.extensions,
        declarations_of(settings.channel_tables),
    )


async def stored_documents(uow: UnitOfWork, settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Every kind's documents: the database's for a seeded kind, the file's otherwise."""
    from_file = documents_of(file_sales(settings))
    documents: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        if await uow.settings.seeded(kind):
            documents[kind] = [dict(s.data) for s in await uow.settings.list(kind)]
        else:
            documents[kind] = from_file[kind]
    return documents


async def stored_sales(uow: UnitOfWork, settings: Settings) -> SalesSection:
    """The sales setup as stored, checked as a whole."""
    return check_documents(
        await stored_documents(uow, settings), DATABASE_SOURCE, sales_environ(settings)
    )


async def stored_managers(uow: UnitOfWork) -> tuple[ManagerSettings, ...] | None:
    """The managers as the database holds them; None before the first seed."""
    if not await uow.settings.seeded(MANAGERS):
        return None
    return tuple(
        parse_manager(s.data, DATABASE_SOURCE, f"managers.{s.key}")
        for s in await uow.settings.list(MANAGERS)
    )


def with_sales(settings: Settings, sales: SalesSection) -> Settings:
    """The settings with this sales setup in place of the file's (the junk reasons, and the
    phone lines and extensions in `[telephony]`)."""
    sections = dict(settings.channel_sections)
    if TELEPHONY in sections or sales.lines or sales.extensions:
        sections[TELEPHONY] = replace(
            settings.telephony, lines=dict(sales.lines), extensions=dict(sales.extensions)
        )
    return replace(
        settings,
        managers=sales.managers,
        queues=sales.queues,
        pipelines=sales.pipelines,
        forms=sales.forms,
        leads=sales.leads,
        channel_sections=sections,
    )


def declared_channels(settings: Settings, sales: SalesSection) -> Mapping[str, Any] | None:
    """The channels' settings sections the stored declarations make (secrets from the
    environment the settings were read with); None when the setup has no declarations."""
    if sales.channels is None:
        return None
    return check_declarations(sales, sales.channels, DATABASE_SOURCE, sales_environ(settings))


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
