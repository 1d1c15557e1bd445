"""The generic webhook route: read the body, let the channel verify and parse it, store the
event durably in the inbox, and only then acknowledge.

A channel that declares a `channels.webhook.Webhook` in its spec needs no HTTP code of its
own: a re-delivery (same external id) is a no-op thanks to the inbox's unique
(channel, external_id), and every refusal names what was wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.webhook import Ignored, UnknownSource, Webhook, WebhookRequest
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.inbound import BodyTooLarge, read_body, store_event
from intake.http.keys import SERVICES
from intake.http.responses import json_response

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def webhook_handler(hook: Webhook) -> Handler:
    """The aiohttp handler serving one channel's webhook."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await _handle(hook, request)

    handle.__doc__ = f"Receive one {hook.channel} webhook event: verify, store, acknowledge."
    return handle


async def _handle(hook: Webhook, request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    counter = services.metrics.intake_requests
    try:
        body = await read_body(request)
    except BodyTooLarge as err:
        return err.response()
    wire = WebhookRequest(
        path=dict(request.match_info),
        query=dict(request.query),
        headers=dict(request.headers),
        body=body,
        received_at=utcnow(),
    )
    try:
        outcome = hook.receive(wire, services.settings.channel(hook.settings_attribute))
    except UnknownSource as err:
        counter.labels(hook.channel, "rejected").inc()
        return error_response(404, "unknown_source", err.message, field=err.field)
    except ChannelAuthFailed as err:
        counter.labels(hook.channel, "rejected").inc()
        log.warning("webhook_auth_rejected channel=%s path=%s", hook.channel, request.path)
        return error_response(403, "forbidden", str(err), field=hook.auth_field)
    except MalformedBody as err:
        counter.labels(hook.channel, "rejected").inc()
        return error_response(400, "malformed_body", str(err), field=err.field)
    except InvalidSubmission as err:
        counter.labels(hook.channel, "rejected").inc()
        return error_response(400, "invalid_field", err.message, field=err.field)
    if isinstance(outcome, Ignored):
        counter.labels(hook.channel, "ignored").inc()
        log.debug("webhook_event_ignored channel=%s reason=%s", hook.channel, outcome.reason)
        return json_response(dict(hook.answer))
    receipt = await store_event(request, outcome.event, outcome.payload, hook.safe_headers)
    if not receipt.created:
        log.info(
            "webhook_event_duplicate channel=%s source=%s intake_id=%s",
            hook.channel,
            outcome.event.source,
            receipt.intake_id,
        )
    return json_response(dict(hook.answer))
