"""A head's «send a test lead»: one lead created in the remote CRM now, for the API and the
Интеграции page alike."""

from __future__ import annotations

import aiohttp

from config import Settings
from crm_core.storage import Storage
from crm_core.webhooks import Subscription
from intake.connectors.dispatch import ConnectorDispatcher
from intake.connectors.setup import test_lead_data
from intake.webhooks.targets import resolver


async def send_test_lead(storage: Storage, settings: Settings, connector: Subscription) -> str:
    """Create a test lead through `connector`; its remote id, or RemoteFailed (secret hidden)."""
    # Its own request bucket: one test lead is a handful of calls, far below either limit.
    dispatcher = ConnectorDispatcher(storage, settings)
    allow_private = settings.webhooks.allow_private_targets
    tcp = aiohttp.TCPConnector(resolver=resolver(allow_private=allow_private))
    async with aiohttp.ClientSession(connector=tcp) as http:
        return await dispatcher.test_lead(http, connector, test_lead_data())
