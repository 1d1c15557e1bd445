"""POST /hooks/vk/{group_id}: verify, persist durably in the inbox, then answer `ok`.

VK treats any answer other than a 200 with the body `ok` as a failure and re-sends the event
(with X-Retry-Counter), so `ok` is sent only once the event is committed; the inbox's unique
(channel, external_id), built from VK's event_id, turns a re-send into a no-op.
"""

from __future__ import annotations

import logging

from aiohttp import web

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.vk.adapter import (
    AcceptedEvent,
    ConfirmationRequested,
    IgnoredEvent,
    VkGroupSpec,
    WrongGroup,
    parse_callback,
)
from channels.vk.const import CHANNEL, RETRY_HEADER
from config.channel_settings import VkGroupSettings
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.inbound import BodyTooLarge, read_body, store_event
from intake.http.keys import SERVICES

log = logging.getLogger(__name__)
# Kept with the raw event for support; the body's secret is dropped before storing.
SAFE_HEADERS = (
    "User-Agent",
    "Content-Type",
    "Content-Length",
    RETRY_HEADER,
    "X-Request-Id",
    "X-Forwarded-For",
    "X-Real-Ip",
)
OK = "ok"


async def post_update(request: web.Request) -> web.StreamResponse:
    """Receive one vk update: verify, persist in the inbox, then acknowledge."""
    services = request.app[SERVICES]
    counter = services.metrics.intake_requests
    raw_id = request.match_info["group_id"]
    group = _group(services.settings.vk_groups, raw_id)
    if group is None:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(
            404, "unknown_group", f"no VK community {raw_id!r} is configured", field="group_id"
        )
    try:
        body = await read_body(request)
    except BodyTooLarge as err:
        return err.response()
    try:
        outcome = parse_callback(group, body, received_at=utcnow())
    except WrongGroup as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(404, "unknown_group", err.message, field=err.field)
    except ChannelAuthFailed as err:
        counter.labels(CHANNEL, "rejected").inc()
        log.warning("vk_secret_rejected group_id=%s", group.group_id)
        return error_response(403, "forbidden", str(err), field="secret")
    except MalformedBody as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(400, "malformed_body", str(err), field="body")
    except InvalidSubmission as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(400, "invalid_field", err.message, field=err.field)
    if isinstance(outcome, ConfirmationRequested):
        counter.labels(CHANNEL, "confirmation").inc()
        log.info("vk_confirmation group_id=%s", group.group_id)
        return web.Response(text=outcome.code, content_type="text/plain")
    if isinstance(outcome, IgnoredEvent):
        counter.labels(CHANNEL, "ignored").inc()
        log.debug(
            "vk_event_ignored group_id=%s event_id=%s type=%s reason=%s",
            group.group_id,
            outcome.event_id,
            outcome.event_type,
            outcome.reason,
        )
        return web.Response(text=OK, content_type="text/plain")
    return await _store(request, outcome)


async def _store(request: web.Request, outcome: AcceptedEvent) -> web.Response:
    event = outcome.event
    receipt = await store_event(request, event, {"update": outcome.payload}, SAFE_HEADERS)
    if not receipt.created:
        log.info(
            "vk_event_duplicate group_id=%s event_id=%s intake_id=%s retry=%s",
            event.source,
            event.meta.get("event_id"),
            receipt.intake_id,
            request.headers.get(RETRY_HEADER, "0"),
        )
    return web.Response(text=OK, content_type="text/plain")


def _group(groups: tuple[VkGroupSettings, ...], raw_id: str) -> VkGroupSpec | None:
    """The community the URL names, as the adapter sees it (None when not configured)."""
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 19):
        return None
    found = next((g for g in groups if g.group_id == int(raw_id)), None)
    if found is None:
        return None
    return VkGroupSpec(
        group_id=found.group_id, confirmation=found.confirmation, secret=found.secret
    )
