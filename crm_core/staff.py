"""Keep the managers table in step with the configured sales team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crm_core.model import Manager, NewManager
from crm_core.storage.ports import UnitOfWork


async def sync_managers(
    uow: UnitOfWork, managers: Sequence[NewManager], now: datetime
) -> list[Manager]:
    """Upsert every configured manager; managers no longer configured are deactivated."""
    synced = [await uow.managers.upsert(m, now) for m in managers]
    configured = {m.login for m in managers}
    for stored in await uow.managers.list():
        if stored.login not in configured and stored.active:
            await uow.managers.upsert(
                NewManager(
                    login=stored.login,
                    name=stored.name,
                    role=stored.role,
                    email=stored.email,
                    telegram_chat_id=stored.telegram_chat_id,
                    timezone=stored.timezone,
                    active=False,
                ),
                now,
            )
    return synced
