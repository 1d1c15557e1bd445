"""A connector's try at a delivery: the remote CRM calls its event asks for, as an Attempt.

The webhook sender hands the deliveries of connector subscriptions here instead of POSTing
them, so connectors share its outbox rows, leases, per-entity ordering, retries and dead
letters. Success is recorded as 200 with what was done ("lead 17"); a remote failure keeps its
status (503 for Bitrix24's QUERY_LIMIT_EXCEEDED) and is retried with the sender's backoff.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Protocol

import aiohttp

from config import Settings
from crm_core.storage import Storage
from crm_core.webhooks import Attempt, Delivery, Subscription
from intake.connectors.amocrm import AmoCrmClient, AmoCrmConnector
from intake.connectors.bitrix24 import Bitrix24Client, Bitrix24Connector
from intake.connectors.errors import RemoteFailed
from intake.connectors.links import Forgetful, Links, RemoteIds
from intake.connectors.ratelimit import TokenBucket

OK = 200
# A remote answer that is not an HTTP failure (an error in a 200) is still not a success.
NOT_DONE = 502


class Connector(Protocol):
    """What every connector kind does with one event."""

    async def deliver(self, event: dict[str, Any], *, first_try: bool = False) -> str:
        """Do what the event asks of the remote CRM; what was done, for the log."""

    async def create_lead(self, data: dict[str, Any], *, first_try: bool = False) -> str:
        """Create the lead (once: looked up by our id first unless `first_try`); its id."""


class ConnectorDispatcher:
    """Runs connector deliveries, with one request-limit bucket per connector."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self._storage = storage
        self._settings = settings
        self._buckets: dict[int, TokenBucket] = {}

    def secret(self, subscription: Subscription) -> str | None:
        """The connector's secret from the environment variable its settings name."""
        name = (subscription.connector_config or {}).get("secret_env")
        value = self._settings.environ.get(name, "") if isinstance(name, str) else ""
        return value.strip() or None

    async def attempt(
        self, http: aiohttp.ClientSession, subscription: Subscription, delivery: Delivery
    ) -> Attempt:
        """Try the delivery once against the remote CRM."""
        started = time.monotonic()
        webhooks = self._settings.webhooks
        try:
            connector = self._connector(http, subscription, Links(self._storage, subscription.id))
            # Within the lease (twice a try plus room to record), so no other try overlaps.
            async with asyncio.timeout(webhooks.timeout_seconds * 2):
                done = await connector.deliver(
                    json.loads(delivery.body), first_try=never_tried(delivery)
                )
        except TimeoutError:
            return Attempt(None, None, _ms(started), "timeout")
        except RemoteFailed as err:
            status = err.status if err.status is None or err.status >= 300 else NOT_DONE
            hide = self.secret(subscription)
            return Attempt(
                status, _hidden(err.answer, hide), _ms(started), _hidden(err.message, hide)
            )
        return Attempt(OK, done, _ms(started))

    async def test_lead(
        self, http: aiohttp.ClientSession, subscription: Subscription, data: dict[str, Any]
    ) -> str:
        """Create a test lead in the remote CRM (linked to nothing of ours); its remote id, or
        RemoteFailed with the secret hidden."""
        connector = self._connector(http, subscription, Forgetful())
        try:
            async with asyncio.timeout(self._settings.webhooks.timeout_seconds * 2):
                return await connector.create_lead(data, first_try=True)
        except TimeoutError as err:
            raise RemoteFailed(None, "timeout") from err
        except RemoteFailed as err:
            hide = self.secret(subscription)
            raise RemoteFailed(
                err.status, _hidden(err.message, hide) or "", _hidden(err.answer, hide)
            ) from None

    def _connector(
        self, http: aiohttp.ClientSession, subscription: Subscription, links: RemoteIds
    ) -> Connector:
        secret = self.secret(subscription)
        config = subscription.connector_config or {}
        if secret is None:
            raise RemoteFailed(None, f"secret not set: environment {config.get('secret_env')}")
        mapping = config.get("mapping") or {}
        timeout = self._settings.webhooks.timeout_seconds
        if subscription.connector == "bitrix24":
            base = f"{subscription.url.rstrip('/')}/{secret.strip('/')}/"
            client = Bitrix24Client(http, base, self._bucket(subscription), timeout)
            return Bitrix24Connector(client, links, mapping)
        if subscription.connector == "amocrm":
            api = AmoCrmClient(http, subscription.url, secret, self._bucket(subscription), timeout)
            return AmoCrmConnector(api, links, mapping)
        raise RemoteFailed(None, f"unknown connector kind {subscription.connector!r}")

    def _bucket(self, subscription: Subscription) -> TokenBucket:
        bucket = self._buckets.get(subscription.id)
        if bucket is None:
            webhooks = self._settings.webhooks
            if subscription.connector == "amocrm":
                bucket = TokenBucket(webhooks.amocrm_rate, webhooks.amocrm_burst)
            else:
                bucket = TokenBucket(webhooks.bitrix24_rate, webhooks.bitrix24_burst)
            self._buckets[subscription.id] = bucket
        return bucket


def never_tried(delivery: Delivery) -> bool:
    """No earlier try of this delivery can have reached the remote CRM: this is its first
    claim (a lease that ran out counts a second), and it was never replayed (a replay resets
    the count but keeps when it was last tried)."""
    return delivery.attempts <= 1 and delivery.last_attempt_at is None


def _hidden(text: str | None, secret: str | None) -> str | None:
    """The text without the secret (an error may quote the URL it is part of)."""
    return text.replace(secret, "***") if text and secret else text


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
