"""Filters of the managers' bot: who is writing, as the CRM knows them."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import User

from crm_core.bot_links import linked_manager
from intake.bootstrap import Services


class LinkedManager(Filter):
    """Passes when the Telegram user is bound to an active manager, handing `manager` on;
    `LinkedManager(False)` passes for everyone else."""

    def __init__(self, linked: bool = True) -> None:
        self.linked = linked

    async def __call__(
        self, _event: Any, event_from_user: User | None, services: Services
    ) -> bool | dict[str, Any]:
        """True/False, or the `manager` keyword for the handler."""
        manager = None
        if event_from_user is not None:
            async with services.storage.reader() as uow:
                manager = await linked_manager(uow, event_from_user.id)
        if not self.linked:
            return manager is None
        return {"manager": manager} if manager is not None else False
