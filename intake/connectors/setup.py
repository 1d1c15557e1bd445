"""A head's CRM connectors: checked here once for the API, stored as webhook subscriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_core.storage import Storage
from crm_core.webhooks import EventType, NewConnector, Subscription
from intake.clock import utcnow

# A connector follows every lead and deal event (what it does with each is its own business).
CONNECTOR_EVENTS = (
    EventType.LEAD_CREATED,
    EventType.LEAD_ASSIGNED,
    EventType.LEAD_TAKEN,
    EventType.LEAD_JUNKED,
    EventType.LEAD_CONVERTED,
    EventType.DEAL_STAGE_CHANGED,
    EventType.DEAL_WON,
    EventType.DEAL_LOST,
)


async def create_connector(storage: Storage, new: NewConnector, actor: str) -> Subscription:
    """Store a connector; it receives the events committed from now on."""
    async with storage.transaction() as uow:
        return await uow.webhooks.add_connector(new, actor, utcnow())


async def connectors(storage: Storage) -> list[Subscription]:
    """Every connector, oldest first."""
    async with storage.reader() as uow:
        return [s for s in await uow.webhooks.subscriptions() if s.connector is not None]


def connector_json(connector: Subscription) -> dict[str, Any]:
    """A connector as the API shows it (the secret's variable name, never the secret)."""
    config: Mapping[str, Any] = connector.connector_config or {}
    return {
        "id": connector.id,
        "kind": connector.connector,
        "url": connector.url,
        "secret_env": config.get("secret_env"),
        "mapping": config.get("mapping") or {},
        "active": connector.active,
        "disabled_reason": connector.disabled_reason,
        "created_at": connector.created_at.isoformat(),
        "updated_at": connector.updated_at.isoformat(),
    }
