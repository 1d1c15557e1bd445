"""POST /api/v1/forms/{form_key}: verify, persist durably, then acknowledge."""

from __future__ import annotations

import uuid

from aiohttp import web

from channels.errors import (
    ChannelAuthFailed,
    InvalidSubmission,
    MalformedBody,
    UnsupportedContentType,
)
from channels.webform.adapter import parse_submission
from channels.webform.spec import AcceptedSubmission, FormSpec, HoneypotTripped, TildaTestPing
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.inbound import BodyTooLarge, read_body, store_event
from intake.http.keys import SERVICES
from intake.http.responses import json_response

CHANNEL = "webform"
# Kept with the raw request for support and anti-spam; never credentials or cookies.
SAFE_HEADERS = (
    "User-Agent",
    "Content-Type",
    "Content-Length",
    "Referer",
    "Origin",
    "Idempotency-Key",
    "X-Request-Id",
    "X-Forwarded-For",
    "X-Real-Ip",
)


async def post_form(request: web.Request) -> web.Response:
    """Accept one website form submission."""
    services = request.app[SERVICES]
    key = request.match_info["form_key"]
    spec = services.forms.get(key)
    if spec is None:
        return error_response(404, "unknown_form", f"no form with key {key!r}", field="form_key")
    try:
        body = await read_body(request)
    except BodyTooLarge as err:
        return err.response()
    return await _accept(request, spec, body)


async def _accept(request: web.Request, spec: FormSpec, body: bytes) -> web.Response:
    services = request.app[SERVICES]
    counter = services.metrics.intake_requests
    try:
        outcome = parse_submission(
            spec,
            content_type=request.headers.get("Content-Type", ""),
            body=body,
            headers=request.headers,
            received_at=utcnow(),
            new_id=lambda: uuid.uuid4().hex,
        )
    except ChannelAuthFailed as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(401, "unauthorized", str(err), field=spec.secret_field)
    except UnsupportedContentType as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(
            415,
            "unsupported_media_type",
            f"{err}; send application/json, application/x-www-form-urlencoded"
            " or multipart/form-data",
            field="Content-Type",
        )
    except MalformedBody as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(400, "malformed_body", str(err), field=err.field)
    except InvalidSubmission as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(
            422, "invalid_field", err.message, field=err.field, expected=["phone", "email"]
        )
    if isinstance(outcome, TildaTestPing):
        counter.labels(CHANNEL, "test").inc()
        return json_response({"status": "ok", "test": True})
    if isinstance(outcome, HoneypotTripped):
        counter.labels(CHANNEL, "honeypot").inc()
        return json_response({"status": "ok"})
    return await _store(request, outcome)


async def _store(request: web.Request, outcome: AcceptedSubmission) -> web.Response:
    event = outcome.event
    receipt = await store_event(
        request,
        event,
        {"content_type": event.meta.get("content_type"), "fields": outcome.payload},
        SAFE_HEADERS,
    )
    if outcome.redirect_url:
        raise web.HTTPSeeOther(outcome.redirect_url)
    return json_response(
        {"intake_id": receipt.intake_id, "status": "accepted", "duplicate": not receipt.created},
        status=202 if receipt.created else 200,
    )
