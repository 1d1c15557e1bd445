"""What every intake route shares: a size-capped body read and the durable store."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from channels.model import InboundEvent
from crm_core.model import InboxReceipt, NewInboxItem
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.keys import SERVICES
from intake.storable import scrubbed


class BodyTooLarge(Exception):
    """The request body exceeds the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body is larger than {limit} bytes")
        self.limit = limit

    def response(self) -> web.Response:
        """The 413 answer naming the body."""
        return error_response(413, "payload_too_large", str(self), field="body")


async def read_body(request: web.Request) -> bytes:
    """The raw body, refused (BodyTooLarge) above `[http] max_body_bytes`."""
    limit = request.app[SERVICES].settings.http.max_body_bytes
    if (request.content_length or 0) > limit:
        raise BodyTooLarge(limit)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as err:
        raise BodyTooLarge(limit) from err
    if len(body) > limit:
        raise BodyTooLarge(limit)
    return body


async def store_event(
    request: web.Request,
    event: InboundEvent,
    payload: dict[str, Any],
    safe_headers: Iterable[str],
    *,
    body_hash: str | None = None,
    checked: bool = False,
) -> InboxReceipt:
    """Persist the event in the inbox (idempotent on channel + external id), count it.

    `checked`: the route already refused unstorable fields (forms), so only the headers are
    cleaned here; the event and payload hold nothing but those fields.
    """
    services = request.app[SERVICES]
    # Free text a platform relays (a NUL in a chat message, a stray byte in a header) is
    # replaced and flagged rather than refused: the request is still somebody's lead.
    altered: list[str] = []
    headers = {h: request.headers[h] for h in safe_headers if h in request.headers}
    event_json = event.to_json() if checked else scrubbed(event.to_json(), "", altered)
    item = NewInboxItem(
        channel=event.channel,
        source=event.source,
        external_id=event.external_id,
        received_at=event.received_at,
        payload=payload if checked else scrubbed(payload, "payload", altered),
        headers=scrubbed(headers, "headers", altered),
        event=event_json,
        body_hash=body_hash,
    )
    if altered:
        event_json.setdefault("meta", {})["altered_fields"] = ", ".join(altered)
        services.metrics.errors.labels("input_altered").inc()
    receipt = await services.writer.store(item)
    outcome = "accepted" if receipt.created else "conflict" if receipt.conflict else "duplicate"
    services.metrics.intake_requests.labels(event.channel, outcome).inc()
    # Pushed channels report no state of their own: when one last delivered is theirs.
    services.last_pushed[f"{event.channel}:{event.source}"] = utcnow()
    return receipt
